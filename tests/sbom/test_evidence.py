"""Parsing compiler dependency files, linker traces and maps, and joining them into evidence."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from rootstock.host import proc
from rootstock.sbom.errors import EvidenceError
from rootstock.sbom.evidence import (
    ArchiveMember,
    DepRule,
    LinkInputs,
    collect,
    parse_depfile,
    parse_map,
    parse_ninja_deps,
    parse_trace,
    read_link_evidence,
)

CWD = Path("/b")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.o: a.c h.h\n", [DepRule(("a.o",), ("a.c", "h.h"))]),
        (
            "a.o: a.c \\\n  /usr/include/stdio.h \\\n  x.h\n",
            [DepRule(("a.o",), ("a.c", "/usr/include/stdio.h", "x.h"))],
        ),
        ("a.o: my\\ dir/h.h $$x.h\n", [DepRule(("a.o",), ("my dir/h.h", "$x.h"))]),
        ("a.o a.d: a.c\n", [DepRule(("a.o", "a.d"), ("a.c",))]),
        ("a.o: a.c h.h\n\nh.h:\n", [DepRule(("a.o",), ("a.c", "h.h")), DepRule(("h.h",), ())]),
        ("src/c.cc.o: C:x.h\n", [DepRule(("src/c.cc.o",), ("C:x.h",))]),
    ],
)
def test_parse_depfile(text: str, expected: list[DepRule]) -> None:
    assert parse_depfile(text) == expected


def test_parse_trace_takes_members_and_objects_not_opened_archives() -> None:
    text = "\n".join(
        [
            "/usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/crt1.o",
            "main.o",
            "./libg.a",
            "(./libg.a)a.o",
            "/usr/lib/x86_64-linux-gnu/libm.a",
            "(/usr/lib/x86_64-linux-gnu/libc.a)printf.o",
            "/usr/bin/ld: warning: something odd",
            "",
        ]
    )
    found = parse_trace(text, CWD)
    assert found.objects == {Path("/usr/lib/x86_64-linux-gnu/crt1.o"), Path("/b/main.o")}
    assert found.members == {
        ArchiveMember(Path("/b/libg.a"), "a.o"),
        ArchiveMember(Path("/usr/lib/x86_64-linux-gnu/libc.a"), "printf.o"),
    }


MAP = """\
Archive member included to satisfy reference by file (symbol)

./libg.a(a.o)                 main.o (greet)
/usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a(eh_personality.o)
                              main.o (__gxx_personality_v0)

Discarded input sections

 .text          0x0000000000000000        0x0 main.o
(x.a)odd.o                    not a member line: the section is over

Memory Configuration

LOAD /usr/lib/x86_64-linux-gnu/crt1.o
LOAD main.o
LOAD ./libg.a
LOAD /usr/lib/x86_64-linux-gnu/libm.a
"""


def test_parse_map() -> None:
    found = parse_map(MAP, CWD)
    assert found.objects == {Path("/usr/lib/x86_64-linux-gnu/crt1.o"), Path("/b/main.o")}
    assert found.members == {
        ArchiveMember(Path("/b/libg.a"), "a.o"),
        ArchiveMember(Path("/usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a"), "eh_personality.o"),
    }


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """A read that blocks (on a FIFO) raises TimeoutError after seconds, failing the test instead of hanging it."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError

    before = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_read_link_evidence_refuses_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"app\.trace: cannot be read"):
        read_link_evidence([tmp_path / "app.trace"], [], [tmp_path])
    os.mkfifo(tmp_path / "fifo.trace")  # refused at once, never waited on for a writer
    fifo_message = r"fifo\.trace: not a regular file \(a fifo\); expected the linker trace"
    with deadline(5), pytest.raises(EvidenceError, match=fifo_message):
        read_link_evidence([tmp_path / "fifo.trace"], [], [tmp_path])
    empty = tmp_path / "empty.map"
    empty.write_text("Memory Configuration\n")
    with pytest.raises(EvidenceError, match=r"empty\.map: names no linked object"):
        read_link_evidence([], [empty], [tmp_path])


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_only_depfiles_of_linked_objects_count(tmp_path: Path) -> None:
    write(tmp_path / "main.d", "main.o: ../src/main.c /inc/used.h\n")
    write(tmp_path / "tool.d", "tool.o: ../src/tool.c /inc/tool-only.h\n")
    evidence = collect([tmp_path], LinkInputs(frozenset({tmp_path / "main.o"}), frozenset()))
    assert evidence.compiled_from == {tmp_path.parent / "src" / "main.c", Path("/inc/used.h")}


def test_archive_members_built_here_bring_their_headers(tmp_path: Path) -> None:
    # Meson layout: objects of libu.a live in libu.a.p/; another a.o elsewhere must not be taken.
    write(tmp_path / "sub" / "libu.a.p" / "a.o.d", "sub/libu.a.p/a.o: /inc/json.hpp\n")
    write(tmp_path / "other" / "a.o.d", "other/a.o: /inc/unrelated.h\n")
    member = ArchiveMember(tmp_path / "sub" / "libu.a", "a.o")
    evidence = collect([tmp_path], LinkInputs(frozenset(), frozenset({member})))
    assert evidence.compiled_from == {Path("/inc/json.hpp")}


def test_prelinked_member_stands_for_its_whole_private_dir(tmp_path: Path) -> None:
    # Meson's prelink: libu.a holds one `ld -r` object, made of every object in libu.a.p/.
    write(tmp_path / "libu.a.p" / "x.cc.o.d", "libu.a.p/x.cc.o: /inc/toml.hpp\n")
    write(tmp_path / "libu.a.p" / "y.cc.o.d", "libu.a.p/y.cc.o: /inc/json.hpp\n")
    member = ArchiveMember(tmp_path / "libu.a", "libu.a-prelink.o")
    evidence = collect([tmp_path], LinkInputs(frozenset(), frozenset({member})))
    assert evidence.compiled_from == {Path("/inc/toml.hpp"), Path("/inc/json.hpp")}


def test_members_of_foreign_archives_bring_no_headers(tmp_path: Path) -> None:
    write(tmp_path / "a.d", "a.o: /inc/a.h\n")
    member = ArchiveMember(Path("/usr/lib/libfoo.a"), "a.o")
    assert collect([tmp_path], LinkInputs(frozenset(), frozenset({member}))).compiled_from == frozenset()


NINJA_DEPS = """\
sub/greet.o: #deps 2, deps mtime 1795396148956773710 (VALID)
    greet.c
    /usr/include/stdio.h

old.o: #deps 1, deps mtime 1 (STALE)
    /inc/old.h

"""


def test_parse_ninja_deps_skips_stale_entries() -> None:
    assert parse_ninja_deps(NINJA_DEPS) == [DepRule(("sub/greet.o",), ("greet.c", "/usr/include/stdio.h"))]


@pytest.mark.skipif(shutil.which("ninja") is None, reason="needs ninja")
def test_ninja_deps_log_stands_in_for_deleted_depfiles(tmp_path: Path) -> None:
    write(tmp_path / "a.c", '#include "a.h"\nint a(void) { return A; }\n')
    write(tmp_path / "a.h", "#define A 1\n")
    write(
        tmp_path / "build.ninja",
        "rule cc\n  command = gcc -MD -MF $out.d -c $in -o $out\n"
        "  deps = gcc\n  depfile = $out.d\nbuild sub/a.o: cc a.c\n",
    )
    proc.run(["ninja"], cwd=tmp_path)
    assert not (tmp_path / "sub" / "a.o.d").exists()  # ninja read it into .ninja_deps and deleted it
    evidence = collect([tmp_path], LinkInputs(frozenset({tmp_path / "sub" / "a.o"}), frozenset()))
    assert {tmp_path / "a.c", tmp_path / "a.h"} <= evidence.compiled_from


LLD_TRACE = """\
/cache/o/67a5/crt1.o
m.o
./libg.a(a.o)
/cache/o/f941/libc++abi.a(/cache/o/e85b/cxa_personality.o)
"""

LLD_MAP = """\
             VMA              LMA     Size Align Out     In      Symbol
         1000238          1000238      73c     4 .gcc_except_table
         1000238          1000238       14     4         m.o:(.gcc_except_table)
         1000238          1000238        0     1                 GCC_except_table0
         100024c          100024c       54     4         /cache/o/f941/libc++abi.a(/cache/o/e85b/cxa_personality.o):(.t)
         1001000          1001000        4     4         ./libg.a(a.o):(.text)
         1002000          1002000        8     8         <internal>:(.got)
"""


def test_lld_trace_and_map_agree() -> None:
    # What `zig c++ -v` prints as its ld.lld line, rerun through `zig ld.lld … --trace -Map`, looks like this.
    expected = LinkInputs(
        frozenset({Path("/cache/o/67a5/crt1.o"), Path("/b/m.o")}),
        frozenset(
            {
                ArchiveMember(Path("/b/libg.a"), "a.o"),
                ArchiveMember(Path("/cache/o/f941/libc++abi.a"), "/cache/o/e85b/cxa_personality.o"),
            }
        ),
    )
    assert parse_trace(LLD_TRACE, CWD) == expected
    from_map = parse_map(LLD_MAP, CWD)
    assert from_map.members == expected.members
    assert from_map.objects == {Path("/b/m.o")}  # crt1.o contributed no section in this excerpt
