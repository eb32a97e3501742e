"""The build report: every step with its pinned hash and log, and every oracle verdict, as JSON and Markdown."""

from __future__ import annotations

import json
from pathlib import Path

from attrs import asdict, frozen

from rootstock.core.files import write_atomic
from rootstock.stages.oracle import Verdict


@frozen
class StepRecord:
    """One built step as the report shows it."""

    name: str
    drv: str
    out: str
    pinned: str
    check: str
    log: str


@frozen
class BuildReport:
    """What one build of the chain on one system established."""

    system: str
    steps: tuple[StepRecord, ...]
    verdicts: tuple[Verdict, ...]

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, no timestamps, trailing newline."""
        return json.dumps(asdict(self), sort_keys=True, indent=2) + "\n"

    def to_markdown(self) -> str:
        """A table of steps and one of oracle verdicts."""
        lines = [
            f"# rootstock build report: {self.system}",
            "",
            f"{len(self.steps)} steps, each checked against its pinned hash.",
            "",
            "| # | step | pinned | checked by | output |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [f"| {n} | {s.name} | `{s.pinned}` | {s.check} | `{s.out}` |" for n, s in enumerate(self.steps, 1)]
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
        return "\n".join(lines) + "\n"

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write report.json and report.md into directory."""
        paths = (directory / "report.json", directory / "report.md")
        write_atomic(paths[0], self.to_json())
        write_atomic(paths[1], self.to_markdown())
        return paths
