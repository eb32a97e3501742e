"""The audited programs' pinned hashes, read from the stage graph: each program is the output of one step.

The seeds and the early stages are outputs of steps whose output hash stages.toml pins (the seeds through
the steps that must reproduce them), so the audit checks the very bytes it read against that one record
instead of keeping a second list of hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import frozen

from rootstock.audit.model import Check, Finding, Section
from rootstock.core.hashes import Hash
from rootstock.core.nar import file_nar_hash


@frozen
class PinnedOutput:
    """The output hash stages.toml pins for the step that produces a program (NAR of an executable file)."""

    step: str
    system: str
    hash: Hash


def check_pinned(programs: Iterable[tuple[str, bytes]], pinned: Mapping[str, PinnedOutput]) -> Section:
    """One check per program: its bytes, as an executable store file, have the hash its step pins."""
    checks, findings = [], []
    for name, data in programs:
        actual = file_nar_hash(data, executable=True)
        pin = pinned.get(name)
        if pin is None:
            findings.append(Finding(f"pin/{name}", "info", f"no pinned output for {name}; its NAR sha256 is {actual}"))
            continue
        checks.append(
            Check(
                f"pin/{name}",
                f"{name} has the output hash stages.toml pins for step '{pin.step}' ({pin.system})",
                pin.hash.sri,
                actual.sri,
                actual == pin.hash,
            )
        )
    return Section("pinned hashes", tuple(checks), tuple(findings))
