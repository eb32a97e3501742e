"""Build evidence: which objects and archive members the linker took, and which headers reached them."""

from __future__ import annotations

import os
import re
import struct
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from rootstock.core import files
from rootstock.errors import InputError
from rootstock.host import proc
from rootstock.sbom.errors import EvidenceError, NotEvidenceError

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
# A plain trace line is a file the linker opened; the inputs of a static link end in one of these.
_TRACE_INPUT = re.compile(r"^\S.*\.(o|obj|lo|a|so(\.[0-9]+)*)$")
# GNU ld starts a map with one of its sections; which ones it writes depends on the link.
_GNU_MAP_FIRST = (
    _MAP_MEMBERS_HEADER,
    "As-needed library included to satisfy reference by file (symbol)",
    "Allocating common symbols",
    "Merging program properties",
    "Discarded input sections",
    "Memory Configuration",
)
# GNU ld ends the memory map with the script's OUTPUT statement, naming the file it wrote and its format.
_MAP_OUTPUT = re.compile(r"^OUTPUT\((?P<file>.+) (?P<format>[^ ()]+)\)$", re.MULTILINE)
_LLD_MAP_HEADER = re.compile(r"^\s*VMA\s+LMA\s+Size\s+Align\s+Out\s+In\s+Symbol\s*$")
# Every line of an LLD map after its header starts with the VMA, LMA, size and alignment columns.
_LLD_MAP_LINE = re.compile(r"^\s*[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+(\s|$)")

# Neither linker writes a control character other than white space; random or binary data has them at once.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
TRACE = "a linker trace (-Wl,--trace,--trace of GNU ld or LLD)"
MAP = "a linker map (GNU ld or LLD)"

# ninja's deps log (deps_log.cc): a signature, a version, then records of a 32-bit size (high bit: a deps
# record) and that many bytes. A path record is the path, NUL-padded to 4 bytes, and the one's complement of
# its node id; a deps record is the output's node id, its mtime (two ints) and the node ids it depends on.
NINJA_DEPS_SIGNATURE = b"# ninjadeps\n"
NINJA_DEPS_VERSION = 4
_NINJA_MAX_RECORD = (1 << 19) - 1
_DEPFILES_EXPECTED = "expected the build directory holding the compiler's dependency files (-MD) or ninja's .ninja_deps"


class UnknownLineError(ValueError):
    """A line of a linker trace or map that is none of the forms GNU ld or LLD write."""

    def __init__(self, number: int, line: str) -> None:
        self.number = number
        self.line = line
        super().__init__(f"line {number} is of no known form: {line[:120]!r}")


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
    # The file the link wrote, as the evidence names it (relative to the link's cwd); None where it names
    # none (a GNU ld trace, LLD's trace and map).
    output: str | None = None

    def merged(self, other: LinkInputs) -> LinkInputs:
        """Both traces' inputs (a trace and a map of the same link agree; together they miss less)."""
        return LinkInputs(self.objects | other.objects, self.members | other.members, self.output or other.output)


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
    "(archive)member" are the archive members it took. Neither linker names the output in its trace.

    Raises:
        UnknownLineError: a line is neither a linker input, an archive member nor a linker diagnostic.
    """
    objects: set[Path] = set()
    members: set[ArchiveMember] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or _LD_DIAGNOSTIC.match(line):
            continue
        if m := _TRACE_MEMBER.match(line) or _LLD_MEMBER.match(line):
            members.add(ArchiveMember(_norm(m["archive"], cwd), m["member"]))
        elif not _TRACE_INPUT.match(line):
            raise UnknownLineError(number, line)
        elif not line.endswith(".a"):
            objects.add(_norm(line, cwd))
    return LinkInputs(frozenset(objects), frozenset(members))


def _parse_lld_map(lines: list[str], cwd: Path) -> LinkInputs:
    """An LLD map lists only input sections that reached the output, each with the file it came from."""
    objects: set[Path] = set()
    members: set[ArchiveMember] = set()
    for number, line in enumerate(lines[1:], 2):
        if line.strip() and not _LLD_MAP_LINE.match(line):
            raise UnknownLineError(number, line)
        if (m := _LLD_MAP_INPUT.match(line)) is None:
            continue
        if member := _LLD_MEMBER.match(m["file"]):
            members.add(ArchiveMember(_norm(member["archive"], cwd), member["member"]))
        elif not m["file"].startswith("<"):  # "<internal>" holds linker-made sections
            objects.add(_norm(m["file"], cwd))
    return LinkInputs(frozenset(objects), frozenset(members))


def parse_map(text: str, cwd: Path) -> LinkInputs:
    """Parse a link map (`-Wl,-Map,FILE`): GNU ld's archive-member section, LOAD lines and OUTPUT statement,
    or LLD's table.

    Raises:
        UnknownLineError: the map starts with none of the sections GNU ld or LLD write, or a line of an LLD
            map is not a row of its table.
    """
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return LinkInputs(frozenset(), frozenset())
    lines = lines[first:]
    if _is_lld_map(text):
        return _parse_lld_map(lines, cwd)
    if lines[0].rstrip() not in _GNU_MAP_FIRST:
        raise UnknownLineError(first + 1, lines[0])
    objects: set[Path] = set()
    members: set[ArchiveMember] = set()
    output: str | None = None
    in_members = False
    for line in lines:
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
        elif m := _MAP_OUTPUT.match(line):
            output = m["file"]
    return LinkInputs(frozenset(objects), frozenset(members), output)


def _is_lld_map(text: str) -> bool:
    return bool(_LLD_MAP_HEADER.match(text.lstrip().partition("\n")[0]))


def _read_text(path: Path) -> str:
    # Through the input reader, so that a FIFO given as a trace is refused rather than waited on; not decoded
    # strictly: _parsed names binary data itself, by its first byte.
    try:
        raw = files.read_input_bytes(path, "linker trace or map", missing=f"{path}: cannot be read (no such file)")
    except InputError as exc:
        raise EvidenceError(path, str(exc).removeprefix(f"{path}: ")) from None
    return raw.decode(errors="replace")


def _parsed(path: Path, text: str, kind: str, cwd: Path) -> LinkInputs:
    if m := _NOT_TEXT.search(text):
        raise NotEvidenceError(path, kind, f"it holds binary data (byte {ord(m[0]):#04x} at character {m.start()})")
    try:
        found = parse_trace(text, cwd) if kind == TRACE else parse_map(text, cwd)
    except UnknownLineError as exc:
        raise NotEvidenceError(path, kind, str(exc)) from None
    if not found.objects and not found.members:
        raise EvidenceError(path, "names no linked object or archive member; was it written by the link?")
    return found


@frozen
class LinkRecord:
    """What the traces and maps of one link say: its inputs, the map naming its output, the cwd it ran in."""

    inputs: LinkInputs
    named_by: Path | None
    cwd: Path


def link_cwd(map_texts: Sequence[str], cwds: Sequence[Path]) -> Path:
    """The first of cwds holding the output the maps name (GNU ld records it relative to the link's cwd, which
    need not be the map's directory or the build directory); the first of them when none holds it."""
    outputs = [m["file"] for text in map_texts for m in _MAP_OUTPUT.finditer(text)]
    return next((cwd for cwd in cwds if any((cwd / out).is_file() for out in outputs)), cwds[0])


def read_link_evidence(traces: Sequence[Path], maps: Sequence[Path], cwds: Sequence[Path]) -> LinkRecord:
    """Read linker traces and maps of one link, run in one of cwds (the first holding the output the maps name,
    else the first); also the map that names the link's output.

    Raises:
        NotEvidenceError: a file holds binary data or text of no form either linker writes.
        EvidenceError: a file is missing or names no linked input at all; a GNU ld map has no closing OUTPUT
            statement (it is truncated); the maps name different outputs, or a trace lacks members a map
            lists (they are not of the same link).
    """
    trace_texts = [(t, _read_text(t)) for t in traces]
    map_texts = [(m, _read_text(m)) for m in maps]
    cwd = link_cwd([text for _, text in map_texts], cwds)
    found_traces = [(t, _parsed(t, text, TRACE, cwd)) for t, text in trace_texts]
    result = LinkInputs(frozenset(), frozenset())
    named_by: Path | None = None
    for path, text in map_texts:
        found = _parsed(path, text, MAP, cwd)
        if found.output is None and not _is_lld_map(text):
            raise EvidenceError(path, "has no OUTPUT(file format) line, which ends every GNU ld map: it is truncated")
        if named_by is not None and found.output != result.output:
            msg = f"names the output {found.output}, but {named_by} names {result.output}: not of the same link"
            raise EvidenceError(path, msg)
        for trace, taken in found_traces:
            # Both linkers trace every member they take; a map lists them too (LLD: those that kept a section).
            if missing := sorted(found.members - taken.members):
                shown = ", ".join(f"{m.archive.name}({m.member})" for m in missing[:3])
                more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
                msg = f"lacks archive members the map {path} lists ({shown}{more}): not a trace of the same link"
                raise EvidenceError(trace, msg)
        if found.output is not None:
            named_by = path
        result = result.merged(found)
    for _, found in found_traces:
        result = result.merged(found)
    return LinkRecord(result, named_by, cwd)


def check_ninja_deps(data: bytes) -> None:
    """Check the structure of a ninja deps log (`.ninja_deps`): header, record sizes, node ids.

    ninja itself repairs a damaged log by truncating it to the last good record, or deletes it when the
    header is wrong, and only warns: the packages whose records were lost would silently leave the SBOM.

    Raises:
        ValueError: saying where the log is damaged.
    """
    if not data.startswith(NINJA_DEPS_SIGNATURE):
        msg = f"does not start with ninja's signature {NINJA_DEPS_SIGNATURE!r}"
        raise ValueError(msg)
    at = len(NINJA_DEPS_SIGNATURE)
    if len(data) < at + 4 or (version := struct.unpack_from("<i", data, at)[0]) != NINJA_DEPS_VERSION:
        got = "none" if len(data) < at + 4 else str(version)
        msg = f"has deps log version {got}; expected {NINJA_DEPS_VERSION} (ninja 1.10 or later)"
        raise ValueError(msg)
    at += 4
    nodes = 0
    while at < len(data):
        if at + 4 > len(data):
            msg = f"is truncated: {len(data) - at} byte(s) at offset {at} are not a record header"
            raise ValueError(msg)
        (head,) = struct.unpack_from("<I", data, at)
        size, is_deps = head & 0x7FFFFFFF, bool(head >> 31)
        body = data[at + 4 : at + 4 + size]
        if size > _NINJA_MAX_RECORD or len(body) < size:
            msg = f"is truncated or corrupt: the record at offset {at} claims {size} bytes, {len(body)} follow"
            raise ValueError(msg)
        if size % 4 or size < (12 if is_deps else 8):
            msg = f"is corrupt: the record at offset {at} has an impossible size {size}"
            raise ValueError(msg)
        if is_deps:
            out, _mtime_lo, _mtime_hi, *inputs = struct.unpack(f"<{size // 4}i", body)
            if not all(0 <= node < nodes for node in (out, *inputs)):
                msg = f"is corrupt: the deps record at offset {at} names a path that was never recorded"
                raise ValueError(msg)
        else:
            if struct.unpack_from("<I", body, size - 4)[0] != ~nodes & 0xFFFFFFFF:
                msg = f"is corrupt: the path record at offset {at} does not carry its id {nodes}"
                raise ValueError(msg)
            nodes += 1
        at += 4 + size


def _ninja_rules(build_dir: Path) -> list[DepRule]:
    """The rules of ninja's deps log in build_dir, after checking it is whole.

    Raises:
        EvidenceError: the log is damaged, or ninja warns while reading it.
    """
    log = build_dir / ".ninja_deps"
    try:
        check_ninja_deps(log.read_bytes())
    except ValueError as exc:
        raise EvidenceError(log, f"{exc}; rebuild with ninja to rewrite it") from None
    done = proc.run(["ninja", "-C", str(build_dir), "-t", "deps"])
    if warnings := [line for line in done.stderr.splitlines() if "warning:" in line]:
        raise EvidenceError(log, f"ninja warns reading it: {warnings[0].strip()}")
    return parse_ninja_deps(done.stdout)


def _depfile_index(build_dirs: Sequence[Path]) -> dict[Path, list[Path]]:
    """Object path → prerequisites, from every .d file under the build directories and ninja's deps log.

    Raises:
        EvidenceError: a build directory does not exist or holds no dependency files; a deps log is damaged.
    """
    index: dict[Path, list[Path]] = {}
    for build_dir in build_dirs:
        if not build_dir.is_dir():
            raise EvidenceError(build_dir, f"does not exist; {_DEPFILES_EXPECTED}")
        rules: list[DepRule] = []
        if (build_dir / ".ninja_deps").is_file():
            rules += _ninja_rules(build_dir)
        for depfile in sorted(build_dir.rglob("*.d")):
            if depfile.is_file():
                rules += parse_depfile(depfile.read_text(errors="replace"))
        # The compiler (and ninja) run in the build directory, so their paths are relative to it.
        rules = [rule for rule in rules if rule.prerequisites]
        if not rules:
            msg = f"holds no dependency files (no *.d, no usable .ninja_deps); {_DEPFILES_EXPECTED}"
            raise EvidenceError(build_dir, msg)
        for rule in rules:
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
