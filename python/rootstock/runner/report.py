"""The one build report: every derivation with what it was checked against and its log, the oracle verdicts,
and how the run ended, as deterministic JSON and Markdown. Stage steps and static packages write the same format."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from attrs import Factory, asdict, frozen
from cattrs.gen import make_dict_structure_fn, override

from rootstock import schema
from rootstock.core.files import write_atomic
from rootstock.errors import InputError
from rootstock.stages.oracle import Verdict

REPORT_FILES = ("report.json", "report.md")


@frozen
class StepRecord:
    """One built derivation as the report shows it."""

    name: str
    drv: str
    out: str
    pinned: str
    check: str
    log: str
    seconds: float | None = None
    """Wall time of the derivation's own build, where it was built alone (None when built beside others)."""


@frozen
class Failure:
    """The derivation a failed run stopped at, why, and where its log is."""

    name: str
    error: str
    log: str


@frozen
class BuildReport:
    """What one run established: on success every record; on failure the records before it and the failure."""

    title: str
    label: str
    steps: tuple[StepRecord, ...]
    verdicts: tuple[Verdict, ...] = ()
    status: Literal["ok", "failed"] = "ok"
    failure: Failure | None = None
    notes: tuple[str, ...] = ()
    result: Mapping[str, Any] | None = None
    """What the command established beyond the derivations, as data (a DDC pass's verdict and facts)."""
    extra: Mapping[str, Any] = Factory(dict)
    """Top-level keys a command adds to the format for readers that expect them by name (verify-with's
    `second_nix` and `log_compare`, which the trust report reads)."""

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, no timestamps, trailing newline."""
        data = asdict(self)
        return json.dumps(data | data.pop("extra"), sort_keys=True, indent=2) + "\n"

    def to_markdown(self) -> str:
        """A table of derivations, one of oracle verdicts, and the failure if the run stopped."""
        lines = [f"# {self.title}", ""]
        if self.failure is not None:
            lines += [
                f"**FAILED at {self.failure.name}** (log: `{self.failure.log}`):",
                "",
                "```",
                self.failure.error,
                "```",
                "",
                f"{len(self.steps)} derivations were built and checked before it.",
            ]
        else:
            lines.append(f"{len(self.steps)} derivations, each checked against its pin.")
        lines += ["", "| # | name | pinned | checked by | seconds | output |", "| --- | --- | --- | --- | --- | --- |"]
        lines += [
            f"| {n} | {s.name} | `{s.pinned}` | {s.check} | {'-' if s.seconds is None else f'{s.seconds:.0f}'} "
            f"| `{s.out}` |"
            for n, s in enumerate(self.steps, 1)
        ]
        if self.verdicts:
            ok = sum(v.ok for v in self.verdicts)
            lines += [
                "",
                f"## Oracles: {ok} of {len(self.verdicts)} programs agree or are explained",
                "",
                "| oracle | program | verdict | oracle sha256 | built sha256 | why |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            lines += [
                f"| {v.oracle} | {v.program} | {v.status} | `{v.expected}` | `{v.actual or '-'}` | {v.note} |"
                for v in self.verdicts
            ]
        if self.notes:
            lines += ["", *self.notes]
        return "\n".join(lines) + "\n"

    def write(self, directory: Path) -> Path:
        """Write report.json and report.md into directory; returns the JSON's path."""
        json_path, md_path = (directory / name for name in REPORT_FILES)
        write_atomic(json_path, self.to_json())
        write_atomic(md_path, self.to_markdown())
        return json_path


# `extra` is what a command adds at the top level of the file, not a key of its own: read_report takes those keys
# apart, and a key "extra" in the file is as unknown as any other.
schema.converter.register_structure_hook(
    BuildReport, make_dict_structure_fn(BuildReport, schema.converter, extra=override(omit=True))
)


def forget_previous(directory: Path) -> None:
    """Remove the report of an earlier run, so that a run that fails before writing its own never leaves an
    older success standing."""
    for name in REPORT_FILES:
        (directory / name).unlink(missing_ok=True)


def read_report(path: Path, *, extra: tuple[str, ...] = ()) -> tuple[BuildReport, dict[str, Any]]:
    """A report.json read back, strictly: every field of the format, nothing else but the top-level keys extra
    names (what another command adds to the format, such as verify-with's `second_nix`), returned apart.

    Raises:
        InputError: the file is missing, not JSON, or not a report (naming the file and the field).
    """
    data = schema.read_document(path, "build report", json.loads, json.JSONDecodeError, "JSON")
    if not isinstance(data, dict):
        msg = f"{path}: not a build report: expected a JSON object, got {schema.shown(data)}"
        raise InputError(msg)
    added = {key: data.pop(key) for key in extra if key in data}
    report = schema.structure(data, BuildReport, source=str(path), what="build report", path="", syntax="JSON")
    return report, added
