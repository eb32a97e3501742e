"""The custody log (`build-logs/custody/log.jsonl`): signed entries appended after every successful stage build,
verified line by line (signatures, the chain of previous-line hashes, each entry against stages.toml and
pins.toml), and two builders' logs compared step by step. docs/custody.md says what it proves."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from rootstock import schema
from rootstock.core import files
from rootstock.core.files import write_atomic
from rootstock.core.hashes import Hash
from rootstock.custody.entry import GENESIS, VERSION, Entry, Mode, fingerprint, line_hash
from rootstock.custody.keys import PublicKey, SecretKey, Signature, keyring
from rootstock.errors import CustodyError, InputError, WriteError, listing
from rootstock.host import nix

if TYPE_CHECKING:
    from rootstock.plan import Plan
    from rootstock.runner.run import Built
    from rootstock.stages.resolve import ResolvedStep

log = logging.getLogger(__name__)

DEFAULT_LOG = Path("custody") / "log.jsonl"
"""Under the build's log directory (build-logs/ by default)."""


@frozen
class Line:
    """One line of a log file as read: its number (from 1), its text without the newline, and the entry."""

    number: int
    text: str
    entry: Entry


def _where(path: Path, number: int, entry: Entry | None) -> str:
    where = f" (entry {entry.seq}, {entry.where()})" if entry is not None else ""
    return f"{path}: line {number}{where}"


def _fail(path: Path, number: int, what: str, entry: Entry | None = None) -> CustodyError:
    """A line that reads as an entry but fails a check: what `log verify` exists to find."""
    return CustodyError(f"{_where(path, number, entry)}: {what}")


def _malformed(path: Path, number: int, what: str, entry: Entry | None = None) -> InputError:
    """A line that is not an entry this rootstock reads: the file is not a custody log, which is bad input
    (README's exit 3) for every command that reads one."""
    return InputError(f"{_where(path, number, entry)}: {what}")


def read_text(path: Path) -> str:
    """The log's text.

    Raises:
        InputError: missing or unreadable.
    """
    missing = f"no custody log at {path} (a build with --sign-key writes one)"
    return files.read_input_text(path, "custody log", missing=missing)


def parse_line(path: Path, number: int, text: str) -> Entry:
    """One line as an entry, in canonical form.

    Raises:
        InputError: not JSON, not an entry (a missing, unknown or mistyped field, named in JSON's words), or
            another format version.
        CustodyError: not the canonical form of what it holds (the line was edited).
    """
    try:
        data = files.loads_json(text)
    except files.JsonError as exc:
        raise _malformed(path, number, f"not a JSON object ({exc})") from None
    if not isinstance(data, dict):
        raise _malformed(path, number, f"not a JSON object: {schema.shown(data)}")
    source = _where(path, number, None)
    entry = schema.structure(data, Entry, source=source, what="custody log entry", path="", syntax="JSON")
    if entry.v != VERSION:
        what = f"entry format version {entry.v}; this rootstock reads version {VERSION}"
        raise _malformed(path, number, what, entry)
    if entry.line() != text:
        raise _fail(path, number, "not in canonical form (sorted keys, no spaces): the line was edited", entry)
    return entry


def read_lines(path: Path) -> list[Line]:
    """Every line of the log as an entry, in order.

    Raises:
        InputError: the log is missing, unreadable or empty, a line is cut short (the last has no newline) or is
            not an entry.
        CustodyError: a line is not in canonical form.
    """
    text = read_text(path)
    if not text:
        msg = f"{path} holds no entries: nothing to verify (a build with --sign-key appends them)"
        raise InputError(msg)
    raw = text.split("\n")
    if raw[-1] != "":
        what = "truncated: the last line has no newline, so it is not a whole entry"
        raise _malformed(path, len(raw), what)
    lines = []
    for number, line in enumerate(raw[:-1], 1):
        if not line:
            raise _malformed(path, number, "an empty line")
        lines.append(Line(number, line, parse_line(path, number, line)))
    return lines


def tail(path: Path) -> tuple[int, str]:
    """The seq and line hash the next entry appended to the log chains onto: (0, GENESIS) for a log not yet
    written (or an empty file). A build checks this before it starts, and again under the lock as it appends.

    Raises:
        InputError: the log exists but does not read whole (naming the file and the line).
        CustodyError: a line is not in canonical form.
    """
    if not path.exists() or not read_text(path):
        return 0, GENESIS
    try:
        last = read_lines(path)[-1]
    except (CustodyError, InputError) as exc:
        msg = f"refusing to append to a custody log that does not read whole: {exc}"
        raise type(exc)(msg) from None
    return last.entry.seq, line_hash(last.text)


def _seq_of(text: str) -> Any:
    with contextlib.suppress(files.JsonError, AttributeError):
        return files.loads_json(text).get("seq")
    return None


def check_integrity(path: Path, lines: Sequence[Line], keys: Mapping[str, PublicKey]) -> None:
    """Every entry signed by a trusted key, both signatures valid, its fingerprint its own fields', and the chain
    whole: entry n on line n, each `prev` the hash of the line before.

    Raises:
        CustodyError: the first line that fails, naming it and why.
    """
    previous = GENESIS
    for line in lines:
        entry = line.entry
        for field, message in (("sig", entry.unsigned()), ("narinfo_sig", entry.fingerprint)):
            try:
                signature = Signature.parse(getattr(entry, field), field)
            except InputError as exc:
                raise _fail(path, line.number, str(exc), entry) from None
            key = keys.get(signature.key)
            if key is None:
                trusted = listing(sorted(keys)) or "none"
                raise _fail(path, line.number, f"signed by unknown key '{signature.key}' (trusted: {trusted})", entry)
            if not key.verifies(message, signature):
                what = "the entry was changed after it was signed" if field == "sig" else "the fingerprint was changed"
                what = f"{field} does not verify with key '{key.name}': {what}, or another key of that name signed it"
                raise _fail(path, line.number, what, entry)
        expected = fingerprint(entry.out, entry.nar_hash, entry.nar_size, entry.references)
        if entry.fingerprint != expected:
            raise _fail(path, line.number, "fingerprint is not that of its out, nar_hash, nar_size, references", entry)
        if entry.seq != line.number:
            moved = next((other.number for other in lines if _seq_of(other.text) == line.number), None)
            why = (
                f"entry {line.number} is on line {moved}: lines were reordered"
                if moved is not None
                else f"entry {line.number} is missing: a line was dropped"
            )
            raise _fail(path, line.number, f"holds entry {entry.seq}, not {line.number}; {why}", entry)
        if entry.prev != previous:
            before = f"line {line.number - 1}" if line.number > 1 else "the start of the log"
            what = f"prev {entry.prev[:16]}… is not the hash of {before}: the chain of entries is broken"
            raise _fail(path, line.number, what, entry)
        previous = line_hash(line.text)


def check_graph(path: Path, line: Line, plan: Plan) -> None:
    """The entry agrees with the data: its step exists on its system in its stage, with the pinned output, the
    builder and the pins (and their hashes) stages.toml and pins.toml give it now; a pinned output is the NAR
    hash recorded.

    Raises:
        CustodyError: the first disagreement.
    """
    problem = disagreement(line.entry, plan)
    if problem is not None:
        raise _fail(path, line.number, problem, line.entry)


def disagreement(entry: Entry, plan: Plan) -> str | None:
    """How the entry contradicts the data, or None."""
    if entry.system not in plan.systems:
        return f"stages.toml builds nothing for system '{entry.system}'"
    step = next((s for s in plan.systems[entry.system].steps if s.name == entry.step), None)
    if step is None:
        return f"stages.toml has no step '{entry.step}' on {entry.system}"
    want = inputs(step, plan)
    for field in ("stage", "pinned", "files", "builder", "pins"):
        got = getattr(entry, field)
        if got != want[field]:
            return f"{field} {_shown(got)} is not stages.toml's and pins.toml's {_shown(want[field])}"
    if entry.pinned is not None and Hash.parse(entry.nar_hash.removeprefix("sha256:")) != Hash.parse(entry.pinned):
        return f"nar_hash {entry.nar_hash} is not the pinned output {entry.pinned}"
    return None


def _shown(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else f"'{value}'"


def inputs(step: ResolvedStep, plan: Plan) -> dict[str, Any]:
    """What an entry records of a step's inputs, from the resolved graph and the pins."""
    return {
        "stage": step.stage,
        "pinned": step.output.sri if step.output is not None else None,
        "files": {rel: digest.hex for rel, digest in step.files},
        "builder": f"{step.builder.kind}:{step.builder.name}",
        "pins": {name: plan.pins.get(name).pin.hash.sri for name in sorted(step.pin_names())},
    }


@frozen
class Verified:
    """What verify established."""

    entries: int
    keys: tuple[str, ...]
    head: str
    """The hash of the last line: what the next entry's prev will be, and what `--head` checks later."""


def verify(path: Path, plan: Plan, keys: Mapping[str, PublicKey], *, head: str | None = None) -> Verified:
    """Check every line of the log: form, signatures, chain, and agreement with the data.

    With head (a line hash recorded earlier, e.g. from an earlier verify), require the log to still hold that
    line: lines dropped from the end leave no gap in the chain, but lose the recorded head.

    Raises:
        InputError: the log is missing, unreadable, empty or not a custody log.
        CustodyError: the first line that fails, or head is not in the log.
    """
    lines = read_lines(path)
    check_integrity(path, lines, keys)
    for line in lines:
        check_graph(path, line, plan)
    last = line_hash(lines[-1].text)
    if head is not None and head not in {GENESIS, *(line_hash(line.text) for line in lines)}:
        msg = f"{path}: no line hashes to the recorded head {head}: lines were dropped from its end ({len(lines)} left)"
        raise CustodyError(msg)
    used = tuple(sorted({Signature.parse(line.entry.sig).key for line in lines}))
    return Verified(len(lines), used, last)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time (two builds that finish together each append whole)."""
    lock = path.with_name(f".{path.name}.lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = lock.open("a")
    except OSError as exc:
        raise WriteError(lock, exc.strerror or str(exc)) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def append_build(
    path: Path, plan: Plan, system: str, built: Sequence[Built], *, mode: Mode, key: SecretKey
) -> list[Entry]:
    """Sign one entry per built step and append them to the log in one atomic write (the log is rewritten whole
    with the new lines after the old, so an interrupted append leaves it as it was).

    The NAR hash, size and references are the store's (`nix path-info`); a pinned output must equal that hash.

    Raises:
        InputError: the log does not read whole (refusing to chain onto it; tail()).
        CustodyError: an output's NAR hash is not its pin (refusing to sign it).
        BuildError: an output is not valid in the store.
        WriteError: the log cannot be written.
    """
    chain = plan.system(system)
    infos = nix.path_infos([str(b.out) for b in built])
    with _locked(path):
        seq, prev = tail(path)
        old = read_text(path) if seq else ""
        entries = []
        for item in built:
            step = chain.step(item.target.name)
            info = infos[str(item.out)]
            nar_hash = f"sha256:{info.nar_hash.nix32}"
            if step.output is not None and info.nar_hash != step.output:
                msg = f"refusing to sign step '{step.name}' on {system}: its NAR hash {nar_hash} is not the pinned "
                raise CustodyError(msg + step.output.sri)
            seq += 1
            unsigned = Entry(
                v=VERSION,
                seq=seq,
                prev=prev,
                system=system,
                step=step.name,
                mode=mode,
                drv=item.drv,
                out=info.path,
                nar_hash=nar_hash,
                nar_size=info.nar_size,
                references=info.references,
                fingerprint=info.fingerprint(),
                narinfo_sig=str(key.sign(info.fingerprint())),
                **inputs(step, plan),
            )
            entry = unsigned.signed(str(key.sign(unsigned.unsigned())))
            entries.append(entry)
            prev = line_hash(entry.line())
        write_atomic(path, old + "".join(entry.line() + "\n" for entry in entries))
    log.info("custody log: %d entries signed by '%s' appended to %s", len(entries), key.name, path)
    return entries


@frozen
class Difference:
    """A step two logs record with different outputs."""

    system: str
    step: str
    first: tuple[Entry, ...]
    second: tuple[Entry, ...]


@frozen
class Comparison:
    """Two logs side by side, by (system, step)."""

    same: tuple[tuple[str, str, str], ...]
    """system, step, nar_hash of each step both record alike."""
    differ: tuple[Difference, ...]
    only_first: tuple[tuple[str, str], ...]
    only_second: tuple[tuple[str, str], ...]


def _by_step(lines: Sequence[Line]) -> dict[tuple[str, str], list[Entry]]:
    out: dict[tuple[str, str], list[Entry]] = {}
    for line in lines:
        out.setdefault((line.entry.system, line.entry.step), []).append(line.entry)
    return out


def compare(first: Sequence[Line], second: Sequence[Line]) -> Comparison:
    """Every step either log records: the same fingerprints in both, different ones, or only in one."""
    a, b = _by_step(first), _by_step(second)
    same, differ = [], []
    for key in sorted(a.keys() & b.keys()):
        prints = {e.fingerprint for e in a[key]} | {e.fingerprint for e in b[key]}
        if len(prints) == 1:
            same.append((*key, a[key][0].nar_hash))
        else:
            differ.append(Difference(*key, tuple(a[key]), tuple(b[key])))
    return Comparison(
        tuple(same), tuple(differ), tuple(sorted(a.keys() - b.keys())), tuple(sorted(b.keys() - a.keys()))
    )


def describe(difference: Difference, first: Path, second: Path) -> str:
    """The difference as one message: the step and both logs' NAR hashes (and paths, where they differ)."""

    def shown(entries: tuple[Entry, ...]) -> str:
        seen = dict.fromkeys(f"{e.nar_hash} ({e.nar_size} bytes, {e.out})" for e in entries)
        return " and ".join(seen)

    return (
        f"step '{difference.step}' on {difference.system} differs: {first} records {shown(difference.first)}; "
        f"{second} records {shown(difference.second)}"
    )


def load_keys(paths: Sequence[Path]) -> dict[str, PublicKey]:
    """The trusted public keys, by name.

    Raises:
        InputError: a key file is missing or malformed, or two keys share a name.
    """
    return dict(keyring([PublicKey.load(p) for p in paths]))
