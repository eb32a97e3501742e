"""Independent oracles: compare built programs with a sha256sum-style answers file (stage0-posix's *.answers)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from attrs import frozen

from rootstock.core.nar import flat_hash
from rootstock.errors import BuildError, InputError
from rootstock.stages.model import Oracle
from rootstock.stages.resolve import Part, Ref, Text

Status = Literal["match", "explained", "differs", "missing"]


@frozen
class Verdict:
    """One program of an answers file: what the oracle says, what we built, and whether that is acceptable."""

    oracle: str
    program: str
    expected: str
    actual: str | None
    status: Status
    note: str = ""

    @property
    def ok(self) -> bool:
        """A match, or a difference the graph explains."""
        return self.status in ("match", "explained")


def parse_answers(text: str, prefix: str, source: str) -> dict[str, str]:
    """Program name -> sha256 hex from `<sha256>  <path>` lines whose path starts with prefix.

    Raises:
        InputError: a line is not of that form.
    """
    answers = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, path = line.partition("  ")
        if len(digest) != 64 or not path:
            msg = f"{source}:{number}: expected '<sha256>  <path>', got {line!r}"
            raise InputError(msg)
        answers[path.removeprefix("./").removeprefix(prefix)] = digest.lower()
    return answers


def materialize(parts: tuple[Part, ...], paths: dict[Ref, Path]) -> str:
    """A resolved string with every reference replaced by its store path."""
    return "".join(p.text if isinstance(p, Text) else str(paths[p]) for p in parts)


def find_program(program: str, outputs: dict[str, Path], steps: tuple[str, ...]) -> Path | None:
    """The built file for a program: a step of that name whose output is the file, `<out>/bin/<program>`, or,
    for a path such as `lib/x86-mes/libc.a`, `<out>/<path>`; the first of the steps that has it."""
    for step in steps:
        out = outputs.get(step)
        if out is None:
            continue
        if step == program and out.is_file():
            return out
        for candidate in (out / "bin" / program, out / program):
            if candidate.is_file():
                return candidate
    return None


def judge(oracle: Oracle, answers: dict[str, str], outputs: dict[str, Path]) -> list[Verdict]:
    """Compare every program of the answers with what was built."""
    verdicts = []
    for program, expected in sorted(answers.items()):
        built = find_program(program, outputs, oracle.steps)
        why = oracle.explained.get(program, "")
        if built is None:
            status: Status = "explained" if why else "missing"
            verdicts.append(Verdict(oracle.name, program, expected, None, status, why))
            continue
        actual = flat_hash(built).hex
        status = "match" if actual == expected else "explained" if why else "differs"
        verdicts.append(Verdict(oracle.name, program, expected, actual, status, why if status != "match" else ""))
    return verdicts


def require_all_ok(verdicts: list[Verdict]) -> None:
    """Fail when any program differs from its oracle without an explanation in the graph.

    Raises:
        BuildError: listing each unexplained program with both hashes.
    """
    bad = [v for v in verdicts if not v.ok]
    if bad:
        lines = [f"{v.program}: {v.status} (oracle {v.expected}, built {v.actual or 'nothing'})" for v in bad]
        msg = f"{len(bad)} program(s) disagree with oracle '{bad[0].oracle}' and the graph explains none of them:\n  "
        raise BuildError(msg + "\n  ".join(lines))
