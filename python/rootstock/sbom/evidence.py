"""Build evidence: which objects and archive members the linker took, and which headers reached them."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from attrs import frozen

from rootstock.host import proc
from rootstock.sbom.errors import EvidenceError

# GNU ld prints diagnostics as "<program>: message"; they are not input files.
_LD_DIAGNOSTIC = re.compile(r"^\S*ld(\.bfd|\.gold|\.lld)?: ")
# `ld -t -t` names an archive member as "(archive)member"; LLD's --trace as "archive(member)".
_TRACE_MEMBER = re.compile(r"^\((?P<archive>.+)\)(?P<member>[^()]+)$")
_LLD_MEMBER = re.compile(r"^(?P<archive>.+?\.a)\((?P<member>[^()]+)\)$")
# An LLD map's input-section line: VMA LMA size align, then "file:(section)" where file may be "archive(member)".
_LLD_MAP_INPUT = re.compile(r"^\s*[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+\s+(?P<file>\S[^:]*?):\(")
# The map names one as "archive(member)", followed by the reference that pulled it in.
_MAP_MEMBER = re.compile(r"^(?P<archive>\S.*?\.a)\((?P<member>[^()]+)\)(\s|$)")
_MAP_MEMBERS_HEADER = "Archive member included to satisfy reference by file (symbol)"


@frozen(order=True)
class ArchiveMember:
    """One member of a static archive that the linker pulled into the output."""

    archive: Path
    member: str


@frozen
class LinkInputs:
    """What the linker put into the binary: plain object files and archive members."""

    objects: frozenset[Path]
    members: frozenset[ArchiveMember]

    def merged(self, other: LinkInputs) -> LinkInputs:
        """Both traces' inputs (a trace and a map of the same link agree; together they miss less)."""
        return LinkInputs(self.objects | other.objects, self.members | other.members)


@frozen
class DepRule:
    """One rule of a compiler dependency file: an object and the files it was compiled from."""

    targets: tuple[str, ...]
    prerequisites: tuple[str, ...]


@frozen
class Evidence:
    """Every file whose contents reached the binary, by how it got there."""

    objects: frozenset[Path]
    members: frozenset[ArchiveMember]
    # Sources and headers read to compile the objects (and archive members) that were linked.
    compiled_from: frozenset[Path]

    def files(self) -> dict[Path, tuple[str, ...]]:
        """Each file that reached the binary, with short reasons saying how."""
        reasons: dict[Path, list[str]] = defaultdict(list)
        for obj in self.objects:
            reasons[obj].append(f"linked object: {obj.name}")
        for m in self.members:
            # Thin archives (LLD, zig) name members by path; the name alone keeps the SBOM free of build paths.
            reasons[m.archive].append(f"linked member: {m.archive.name}({Path(m.member).name})")
        for src in self.compiled_from:
            reasons[src].append(f"compiled in: {src.name}")
        return {path: tuple(sorted(rs)) for path, rs in reasons.items()}


def _norm(path: str, cwd: Path) -> Path:
    # normpath, not resolve: "gcc/12/../../../x86_64-linux-gnu/crt1.o" must name the file the linker opened
    # even when the build tree is later moved; owners resolve symlinks themselves.
    return Path(os.path.normpath(cwd / path))


def parse_depfile(text: str) -> list[DepRule]:
    """Parse a make-style dependency file as written by `gcc -MD` / `clang -MD`.

    Handles line continuations, escaped spaces and `$$`; phony header rules (`-MP`) come back with no
    prerequisites.

    Examples:
        >>> parse_depfile("a.o: a.c \\\\\\n inc/my\\\\ h.h\\n")
        [DepRule(targets=('a.o',), prerequisites=('a.c', 'inc/my h.h'))]
    """
    joined = re.sub(r"\\\r?\n", " ", text)
    rules: list[DepRule] = []
    for line in joined.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = _split_make_words(line)
        if ":" not in words:
            continue
        colon = words.index(":")
        rules.append(DepRule(tuple(words[:colon]), tuple(words[colon + 1 :])))
    return rules


def _split_make_words(line: str) -> list[str]:
    """Split a dependency line into words; a lone ':' separates targets from prerequisites."""
    words: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] in " #\\":
            current.append(line[i + 1])
            i += 2
            continue
        if ch == "$" and i + 1 < len(line) and line[i + 1] == "$":
            current.append("$")
            i += 2
            continue
        if ch.isspace():
            if current:
                words.append("".join(current))
                current = []
        elif ch == ":" and (i + 1 == len(line) or line[i + 1].isspace()):
            if current:
                words.append("".join(current))
                current = []
            words.append(":")
        else:
            current.append(ch)
        i += 1
    if current:
        words.append("".join(current))
    return words


def parse_ninja_deps(text: str) -> list[DepRule]:
    """Parse `ninja -t deps`: ninja's `deps = gcc` mode (Meson's) deletes the .d files it has read.

    Examples:
        >>> parse_ninja_deps("a.o: #deps 2, deps mtime 1 (VALID)\n    a.c\n    /usr/include/stdio.h\n\n")
        [DepRule(targets=('a.o',), prerequisites=('a.c', '/usr/include/stdio.h'))]
    """
    rules: list[DepRule] = []
    target: str | None = None
    prerequisites: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("    ") and target is not None:
            prerequisites.append(line.strip())
            continue
        if target is not None:
            rules.append(DepRule((target,), tuple(prerequisites)))
            target, prerequisites = None, []
        head, sep, rest = line.partition(": #deps ")
        # A STALE entry describes an older compile than the object that was linked.
        if sep and rest.endswith("(VALID)"):
            target = head
    return rules


def parse_trace(text: str, cwd: Path) -> LinkInputs:
    """Parse the output of `ld -t -t` (`-Wl,--trace,--trace`), paths taken relative to the link's cwd.

    Plain lines are files the linker opened: object files are linked whole, archives only opened; lines
    "(archive)member" are the archive members it took.
    """
    objects: set[Path] = set()
    members: set[ArchiveMember] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _LD_DIAGNOSTIC.match(line):
            continue
        if m := _TRACE_MEMBER.match(line) or _LLD_MEMBER.match(line):
            members.add(ArchiveMember(_norm(m["archive"], cwd), m["member"]))
        elif not line.endswith(".a"):
            objects.add(_norm(line, cwd))
    return LinkInputs(frozenset(objects), frozenset(members))


def _parse_lld_map(text: str, cwd: Path) -> LinkInputs:
    """An LLD map lists only input sections that reached the output, each with the file it came from."""
    objects: set[Path] = set()
    members: set[ArchiveMember] = set()
    for line in text.splitlines():
        if (m := _LLD_MAP_INPUT.match(line)) is None:
            continue
        if member := _LLD_MEMBER.match(m["file"]):
            members.add(ArchiveMember(_norm(member["archive"], cwd), member["member"]))
        elif not m["file"].startswith("<"):  # "<internal>" holds linker-made sections
            objects.add(_norm(m["file"], cwd))
    return LinkInputs(frozenset(objects), frozenset(members))


def parse_map(text: str, cwd: Path) -> LinkInputs:
    """Parse a link map (`-Wl,-Map,FILE`): GNU ld's archive-member section and LOAD lines, or LLD's table."""
    if text.lstrip().startswith("VMA"):
        return _parse_lld_map(text, cwd)
    objects: set[Path] = set()
    members: set[ArchiveMember] = set()
    in_members = False
    for line in text.splitlines():
        if line.startswith(_MAP_MEMBERS_HEADER):
            in_members = True
            continue
        if in_members and line and not line[0].isspace():
            m = _MAP_MEMBER.match(line)
            if m is None:
                # The next section header ends the member list.
                in_members = False
            else:
                members.add(ArchiveMember(_norm(m["archive"], cwd), m["member"]))
                continue
        if line.startswith("LOAD "):
            path = line[len("LOAD ") :].strip()
            if not path.endswith(".a"):
                objects.add(_norm(path, cwd))
    return LinkInputs(frozenset(objects), frozenset(members))


def read_link_evidence(traces: Iterable[Path], maps: Iterable[Path], cwd: Path) -> LinkInputs:
    """Read linker traces and maps of one link, run in cwd.

    Raises:
        EvidenceError: a file is missing or names no linked input at all.
    """
    result = LinkInputs(frozenset(), frozenset())
    for path, parse in [*((t, parse_trace) for t in traces), *((m, parse_map) for m in maps)]:
        try:
            text = path.read_text(errors="replace")
        except OSError as exc:
            raise EvidenceError(path, f"cannot be read ({exc.strerror})") from None
        found = parse(text, cwd)
        if not found.objects and not found.members:
            raise EvidenceError(path, "names no linked object or archive member; was it written by the link?")
        result = result.merged(found)
    return result


def _depfile_index(build_dirs: Sequence[Path]) -> dict[Path, list[Path]]:
    """Object path → prerequisites, from every .d file under the build directories and ninja's deps log."""
    index: dict[Path, list[Path]] = {}
    for build_dir in build_dirs:
        rules: list[DepRule] = []
        if (build_dir / ".ninja_deps").is_file():
            rules += parse_ninja_deps(proc.run(["ninja", "-C", str(build_dir), "-t", "deps"]).stdout)
        for depfile in sorted(build_dir.rglob("*.d")):
            if depfile.is_file():
                rules += parse_depfile(depfile.read_text(errors="replace"))
        # The compiler (and ninja) run in the build directory, so their paths are relative to it.
        for rule in rules:
            if not rule.prerequisites:
                continue
            for target in rule.targets:
                index[_norm(target, build_dir)] = [_norm(p, build_dir) for p in rule.prerequisites]
    return index


def _objects_of_member(member: ArchiveMember, index: dict[Path, list[Path]]) -> list[Path]:
    """The compiled objects an archive member came from.

    A member keeps only its basename, so it is matched by name, preferring objects beside the archive
    (Meson's `<archive>.p/`). A member with no such object is Meson's prelinked `ld -r` of everything in
    `<archive>.p/`, so then all of that directory's objects count.
    """
    named = Path(member.member)
    if named.is_absolute() and named in index:  # thin archives (LLD) name members by path
        return [named]
    same_name = [obj for obj in index if obj.name == named.name]
    private = member.archive.parent / f"{member.archive.name}.p"
    for candidates in (
        [o for o in same_name if o.is_relative_to(private)],
        [o for o in same_name if o.is_relative_to(member.archive.parent)],
        same_name,
    ):
        if candidates:
            return candidates
    return [obj for obj in index if obj.is_relative_to(private)]


def collect(build_dirs: Sequence[Path], link: LinkInputs) -> Evidence:
    """Join the link inputs with the dependency files (or ninja deps logs) of the build directories.

    Only dependency files of objects that were linked count: a header read for an object that never
    reached the binary is build-only.
    """
    index = _depfile_index(build_dirs)
    compiled_from: set[Path] = set()
    for obj in link.objects:
        compiled_from.update(index.get(obj, ()))
    for member in link.members:
        if any(member.archive.is_relative_to(d) for d in build_dirs):
            for obj in _objects_of_member(member, index):
                compiled_from.update(index[obj])
    return Evidence(link.objects, link.members, frozenset(compiled_from))
