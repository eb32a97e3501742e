"""`rootstock sbom` through the real CLI parser and handlers."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest

from rootstock.cli import build_parser, main
from rootstock.commands.sbom import run_derive
from rootstock.host import proc
from rootstock.options import GlobalOptions
from rootstock.sbom.evidence import NINJA_DEPS_SIGNATURE, NINJA_DEPS_VERSION, check_ninja_deps
from sbom_support import ARCHIVES, FakeHost, FixtureBuild, build_fixture


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pins.toml").write_text("")
    return tmp_path


def test_derive_writes_all_three_documents(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    b = build_fixture(root / "w")
    out = root / "out"
    out.mkdir()
    args = build_parser().parse_args(
        [
            *derive_args(root, b),
            "--map",
            str(b.map),
            "--csv",
            str(out / "sbom.csv"),
            "--cyclonedx",
            str(out / "sbom.cdx.json"),
            "--spdx",
            str(out / "sbom.spdx.json"),
        ]
    )
    assert run_derive(GlobalOptions.from_args(args, {}), args, host=FakeHost()) == 0
    printed = capsys.readouterr().out
    assert "source link  hdronly 1.0" in printed
    assert "finding: source:hdronly: its headers were compiled into the binary" in printed
    assert (out / "sbom.csv").read_text().startswith("name,type,usage,url,checksum\n")
    assert json.loads((out / "sbom.cdx.json").read_text())["specVersion"] == "1.6"
    assert json.loads((out / "sbom.spdx.json").read_text())["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    assert json.loads((out / "sbom.cdx.json").read_text())["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"


def test_creator_and_time_given_on_the_command_line(
    root: Path, built: FixtureBuild, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    out = root / "given"
    out.mkdir()
    argv = [*with_evidence(root, built), "--cyclonedx", str(out / "sbom.cdx.json")]
    given = ["--creator", "mailto:sbom@example.org", "--source-date-epoch", "315532800"]
    args = build_parser().parse_args([*argv, *given])
    assert run_derive(GlobalOptions.from_args(args, {}), args, host=FakeHost()) == 0
    metadata = json.loads((out / "sbom.cdx.json").read_text())["metadata"]
    assert metadata["timestamp"] == "1980-01-01T00:00:00+00:00"
    assert metadata["manufacturer"]["contact"] == [{"email": "sbom@example.org"}]
    capsys.readouterr()
    err = refused([*argv, "--creator", "the SBOM team"], capsys, code=3)
    assert "--creator: expected an email address (name@example.org, or mailto:…) or an http(s) URL" in err
    err = refused([*argv, "--source-date-epoch", "noon"], capsys, code=3)
    assert "rootstock: error: --source-date-epoch: expected whole seconds since the epoch, an integer" in err
    err = refused([*argv, "--source-date-epoch", "99999999999999"], capsys, code=3)
    assert err.endswith(" (the end of year 9999), got 99999999999999\n")


def test_derive_without_link_evidence_is_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = build_fixture(root / "w", ("greet", "hdronly"))
    code = main(derive_args(root, b))
    assert code == 3
    assert "no linker trace" in capsys.readouterr().err


def test_check_static(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = root / "a.c"
    src.write_text("int main(void) { return 0; }\n")
    proc.run(["gcc", "-static", "-o", str(root / "static"), str(src)])
    proc.run(["gcc", "-o", str(root / "dynamic"), str(src)])
    assert main(["--root", str(root), "sbom", "check-static", str(root / "static")]) == 0
    assert "no PT_INTERP, no DT_NEEDED" in capsys.readouterr().out
    assert main(["--root", str(root), "sbom", "check-static", str(root / "static"), str(root / "dynamic")]) == 1
    err = capsys.readouterr().err
    assert f"rootstock: error: {root / 'dynamic'} is not a fully static binary" in err
    assert "Traceback" not in err


def test_check_static_reads_what_the_loader_reads(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "a.c").write_text("int main(void) { return 0; }\n")
    proc.run(["gcc", "-o", str(root / "dynamic"), str(root / "a.c")])
    data = bytearray((root / "dynamic").read_bytes())
    (phoff,) = struct.unpack_from("<Q", data, 32)
    for at in range(phoff, phoff + 56 * struct.unpack_from("<H", data, 56)[0], 56):
        if struct.unpack_from("<I", data, at)[0] == 3:  # PT_INTERP becomes PT_NULL
            struct.pack_into("<I", data, at, 0)
    struct.pack_into("<H", data, 60, 0)  # e_shnum: no section headers
    (root / "no-interp").write_bytes(data)
    struct.pack_into("<H", data, 56, 0)  # e_phnum: no program headers
    (root / "no-phdrs").write_bytes(data)
    (root / "truncated").write_bytes(data[:40])
    argv = ["--root", str(root), "sbom", "check-static", "--allow-static-pie"]

    assert main([*argv, str(root / "no-interp")]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"rootstock: error: {root / 'no-interp'} is not a fully static binary:\n"
        "  DT_NEEDED requires the shared library libc.so.6\n"
    )
    assert main([*argv, str(root / "no-phdrs")]) == 1
    err = capsys.readouterr().err
    assert err.endswith(" is not a fully static binary:\n  not a loadable executable: no program headers\n")
    assert main([*argv, str(root / "truncated")]) == 3
    err = capsys.readouterr().err
    assert err == (
        f"rootstock: error: {root / 'truncated'}: a truncated or damaged ELF file "
        "(40 bytes, cut short inside the 64-byte ELF64 header)\n"
    )


def test_probe_toolchain(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(root), "sbom", "probe-toolchain", "--workdir", str(root / "p"), "gcc", "-static"]) == 0
    assert main(["--root", str(root), "sbom", "probe-toolchain", "--workdir", str(root / "q"), "gcc"]) == 1
    assert "(built by toolchain gcc) is not a fully static binary" in capsys.readouterr().err


def derive_args(root: Path, b: FixtureBuild, binary: Path | None = None) -> list[str]:
    """`sbom derive` of a fixture build (or of another binary), without link evidence or outputs."""
    return [
        *("--root", str(root), "sbom", "derive", "--manifest", str(b.manifest)),
        *("--binary", str(binary or b.binary), "--build-dir", str(b.build_dir)),
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> FixtureBuild:
    """One fixture build for the refusals: none of them changes it."""
    return build_fixture(tmp_path_factory.mktemp("refusals") / "w")


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], code: int = 1) -> str:
    """Run `sbom derive`, assert it failed with code, one message and no traceback, and return that message."""
    assert main(argv) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.count("rootstock: error:") == 1
    assert captured.out == ""
    return captured.err


def with_evidence(
    root: Path,
    b: FixtureBuild,
    *extra: str,
    binary: Path | None = None,
    trace: Path | None = None,
    map_: Path | None = None,
) -> list[str]:
    """`sbom derive` of a fixture build with its trace and map (or the binary and files given instead)."""
    return [*derive_args(root, b, binary), "--trace", str(trace or b.trace), "--map", str(map_ or b.map), *extra]


def test_a_missing_build_dir_is_refused(root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*with_evidence(root, built), "--link-dir", str(built.build_dir), "--build-dir", str(root / "nope")]
    err = refused(argv, capsys)
    assert f"build evidence {root / 'nope'}: does not exist; expected the build directory holding" in err


def test_a_build_dir_without_depfiles_is_refused(
    root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "empty").mkdir()
    argv = [*with_evidence(root, built), "--build-dir", str(root / "empty")]
    err = refused(argv, capsys)
    assert f"build evidence {root / 'empty'}: holds no dependency files (no *.d, no usable .ninja_deps)" in err


def ninja_log(*records: bytes) -> bytes:
    return NINJA_DEPS_SIGNATURE + struct.pack("<i", NINJA_DEPS_VERSION) + b"".join(records)


def path_record(path: str, node: int) -> bytes:
    body = path.encode().ljust((len(path) + 3) // 4 * 4, b"\0") + struct.pack("<I", ~node & 0xFFFFFFFF)
    return struct.pack("<I", len(body)) + body


def deps_record(out: int, *inputs: int) -> bytes:
    body = struct.pack(f"<{3 + len(inputs)}i", out, 1, 0, *inputs)
    return struct.pack("<I", len(body) | 0x80000000) + body


GOOD_LOG = ninja_log(path_record("a.o", 0), path_record("a.c", 1), deps_record(0, 1))


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (GOOD_LOG[:-3], "is truncated or corrupt: the record at offset 40 claims 16 bytes, 13 follow"),
        (GOOD_LOG[:-2] + b"\0", "is truncated or corrupt"),
        (GOOD_LOG[:18], "is truncated: 2 byte(s) at offset 16 are not a record header"),
        (GOOD_LOG.replace(struct.pack("<i", 4), struct.pack("<i", 3), 1), "has deps log version 3; expected 4"),
        (b"# ninjalog v5\n" + GOOD_LOG[12:], "does not start with ninja's signature"),
        (ninja_log(path_record("a.o", 0), deps_record(0, 7)), "names a path that was never recorded"),
        (ninja_log(path_record("a.o", 1)), "the path record at offset 16 does not carry its id 0"),
    ],
)
def test_a_damaged_ninja_log_is_refused(
    root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str], log: bytes, expected: str
) -> None:
    ninja_dir = root / "ninja"
    ninja_dir.mkdir()
    (ninja_dir / ".ninja_deps").write_bytes(log)
    err = refused([*with_evidence(root, built), "--build-dir", str(ninja_dir)], capsys)
    assert f"build evidence {ninja_dir / '.ninja_deps'}: " in err
    assert expected in err
    assert (ninja_dir / ".ninja_deps").read_bytes() == log  # ninja never got to "recover" (truncate) it


def test_check_ninja_deps_accepts_a_whole_log() -> None:
    check_ninja_deps(GOOD_LOG)
    check_ninja_deps(ninja_log())


@pytest.mark.parametrize("which", ["trace", "map"])
def test_an_unparsable_trace_or_map_is_refused(
    root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str], which: str
) -> None:
    bad = root / f"bad.{which}"
    bad.write_text("hello world\nthis is not what a linker writes\n")
    err = refused(with_evidence(root, built, **{("trace" if which == "trace" else "map_"): bad}), capsys, code=3)
    kind = (
        "a linker trace (-Wl,--trace,--trace of GNU ld or LLD)" if which == "trace" else "a linker map (GNU ld or LLD)"
    )
    assert err == f"rootstock: error: {bad}: not {kind}: line 1 is of no known form: 'hello world'\n"


@pytest.mark.parametrize("which", ["trace", "map"])
def test_a_binary_trace_or_map_is_not_one(
    root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str], which: str
) -> None:
    bad = root / f"random.{which}"
    bad.write_bytes(b"Memory Configuration\n\x00\xff\xfe\x9c" + bytes(range(256)) * 4)
    err = refused(with_evidence(root, built, **{("trace" if which == "trace" else "map_"): bad}), capsys, code=3)
    kind = "trace (-Wl,--trace,--trace of GNU ld or LLD)" if which == "trace" else "map (GNU ld or LLD)"
    assert err == f"rootstock: error: {bad}: not a linker {kind}: it holds binary data (byte 0x00 at character 21)\n"


def test_the_map_output_is_taken_from_the_directory_the_link_ran_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `gcc -Wl,-Map,build/app.map -o build/app` run from build's parent: OUTPUT(build/app ...).
    b = build_fixture(tmp_path / "w")
    libs = [f"-L{b.root / 'prefix' / name / 'lib'}" for name in ARCHIVES if name != "extra"]
    libs += [f"-l{ARCHIVES[name]}" for name in ARCHIVES if name != "extra"]
    proc.run(["g++", "-static", "-o", "build/app", "build/main.o", *libs, "-Wl,-Map,build/app.map"], cwd=b.root)
    assert "OUTPUT(build/app elf64-x86-64)" in b.map.read_text()
    argv = [
        *("--root", str(b.root), "sbom", "derive", "--manifest", "deps.json"),
        *("--binary", "build/app", "--build-dir", "build", "--map", "build/app.map"),
    ]
    monkeypatch.chdir(b.root)
    assert main(argv) == 0
    assert "greet" in capsys.readouterr().out

    monkeypatch.chdir(b.build_dir)
    argv = [*argv[:5], str(b.manifest), "--binary", "app", "--build-dir", ".", "--map", "app.map"]
    err = refused(argv, capsys)
    assert err == (
        f"rootstock: error: binary app is not the output {b.build_dir / 'build/app'} of the link that app.map records: "
        "that output does not exist (any more); build/app is in none of the directories the link may have run in "
        f"({b.build_dir}); give --link-dir\n"
    )
    assert main([*argv, "--link-dir", ".."]) == 0


def test_a_truncated_map_is_refused(root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str]) -> None:
    cut = root / "cut.map"
    text = built.map.read_text()
    cut.write_text(text[: len(text) // 2])
    err = refused(with_evidence(root, built, map_=cut), capsys)
    assert f"build evidence {cut}: has no OUTPUT(file format) line, which ends every GNU ld map" in err


def test_a_trace_of_another_link_is_refused(
    root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "hello.c").write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    other = proc.run(["gcc", "-static", "-o", "hello", "hello.c", "-Wl,--trace,--trace"], cwd=root)
    trace = root / "hello.trace"
    trace.write_bytes(other.stdout_bytes)
    err = refused(with_evidence(root, built, trace=trace), capsys)
    assert f"build evidence {trace}: lacks archive members the map {built.map} lists (libgreet.a(greet.o)" in err
    assert "not a trace of the same link" in err


@pytest.mark.parametrize("what", ["the map names another output", "the binary is another file"])
def test_a_binary_that_is_not_the_linked_one_is_refused(
    root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    binary, linked, map_ = built.binary, built.binary, built.map
    if what == "the map names another output":
        map_, linked = root / "other.map", built.build_dir / "gone"
        map_.write_text(built.map.read_text().replace("OUTPUT(app ", "OUTPUT(gone "))
    else:
        binary = built.build_dir / "main.o"
    err = refused(with_evidence(root, built, binary=binary, map_=map_), capsys)
    assert f"binary {binary} is not the output {linked} of the link that {map_} records: " in err


def test_a_stripped_copy_of_the_linked_binary_is_its_subject(
    root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str]
) -> None:
    # Meson's -Dstrip=true installs the linked binary stripped: it loads the same code and data.
    stripped = root / "app-stripped"
    proc.run(["strip", "-o", str(stripped), str(built.binary)])
    out = root / "out"
    out.mkdir()
    assert main(with_evidence(root, built, "--cyclonedx", str(out / "sbom.cdx.json"), binary=stripped)) == 0
    subject = json.loads((out / "sbom.cdx.json").read_text())["metadata"]["component"]
    assert subject["hashes"][0]["content"] == hashlib.sha256(stripped.read_bytes()).hexdigest()
    assert {
        "name": "rootstock:linked",
        "value": "the link output (app, named by app.map) stripped: entry point and loaded sections equal",
    } in subject["properties"]
    capsys.readouterr()


def test_a_missing_output_directory_writes_nothing(
    root: Path, built: FixtureBuild, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "out").mkdir()
    targets = [root / "out" / "sbom.csv", root / "missing" / "sbom.cdx.json", root / "out" / "sbom.spdx.json"]
    argv = with_evidence(root, built, *("--csv", str(targets[0]), "--cyclonedx", str(targets[1])))
    err = refused([*argv, "--spdx", str(targets[2])], capsys, code=3)  # bad input: a path the user gave
    assert f"output directory {root / 'missing'} does not exist; create it first (no SBOM was written)" in err
    assert list((root / "out").iterdir()) == []
