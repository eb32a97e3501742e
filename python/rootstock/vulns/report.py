"""The vulnerability report: one data structure, written as JSON and Markdown, deterministic for its inputs."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from attrs import frozen

from rootstock.sbom.read import Document
from rootstock.vulns.feeds import Feed
from rootstock.vulns.match import Target, Undecided
from rootstock.vulns.suppress import Status, Suppression


@frozen
class Report:
    """Everything `rootstock vulns` found and how it decided."""

    sbom: Document
    pins: str  # the pins file components were tied to, or "" without one
    history: str  # where commit ancestry came from, or "" (exact commits only)
    today: datetime.date
    feeds: tuple[Feed, ...]
    targets: tuple[Target, ...]
    statuses: tuple[Status, ...]
    undecided: tuple[Undecided, ...]
    unused: tuple[Suppression, ...]
    expired: tuple[Suppression, ...]
    suppressions: str = ""

    @property
    def open(self) -> list[Status]:
        """The vulnerabilities that fail the command."""
        return [s for s in self.statuses if s.open]


def _suppression(s: Suppression) -> dict[str, str]:
    return {"id": s.id, "component": s.component, "reason": s.reason, "expires": s.expires.isoformat()}


def data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (sorted, no wall-clock time but the date suppressions were judged on)."""
    return {
        "sbom": {"path": str(report.sbom.path), "format": report.sbom.format, "subject": report.sbom.subject},
        "date": report.today.isoformat(),
        "pins": report.pins,
        "history": report.history,
        "feeds": [{"path": str(f.path), "kinds": list(f.kinds), "advisories": len(f.advisories)} for f in report.feeds],
        "components": [
            {
                "component": t.listed.ref,
                "version": t.version,
                "pin": t.pin.name if t.pin else None,
                "cpe": str(t.pin.pin.cpe) if t.pin and t.pin.pin.cpe else None,
                "repositories": list(t.repos),
            }
            for t in report.targets
        ],
        "vulnerabilities": [
            {
                "id": s.vulnerability.id,
                "ids": list(s.vulnerability.ids),
                "component": s.vulnerability.component,
                "version": s.vulnerability.version,
                "status": s.state,
                "note": s.note,
                "matched": [
                    {
                        "feed": h.advisory.feed,
                        "advisory": h.advisory.id,
                        "source": h.advisory.source,
                        "identity": h.identity,
                        "rule": h.rule,
                        "summary": h.advisory.summary,
                        "severity": h.advisory.severity,
                    }
                    for h in s.vulnerability.hits
                ],
            }
            for s in report.statuses
        ],
        "undecided": [
            {"component": u.component, "advisory": u.advisory, "source": u.source, "reason": u.reason}
            for u in report.undecided
        ],
        "suppressions": {
            "file": report.suppressions,
            "unused": [_suppression(s) for s in report.unused],
            "expired": [_suppression(s) for s in report.expired],
        },
        "summary": {
            state: sum(1 for s in report.statuses if s.state == state)
            for state in ("open", "suppressed", "fixed-by-patch")
        }
        | {"undecided": len(report.undecided)},
    }


def to_json(report: Report) -> str:
    """The JSON text."""
    return json.dumps(data(report), indent=2, sort_keys=True) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def to_markdown(report: Report) -> str:
    """The Markdown text: the verdict, the vulnerabilities with how each matched, the undecided, suppressions."""
    d = data(report)
    n = d["summary"]
    verdict = (
        f"**{n['open']} open vulnerabilit{'y' if n['open'] == 1 else 'ies'}**"
        if n["open"]
        else "**no open vulnerability**"
    )
    out = [
        f"# Vulnerabilities of {report.sbom.subject or report.sbom.path}",
        "",
        f"{verdict}; {n['suppressed']} suppressed, {n['fixed-by-patch']} fixed by a patch, "
        f"{n['undecided']} undecided. SBOM `{report.sbom.path}` ({report.sbom.format}); judged on "
        f"{d['date']}; pins: {report.pins or 'none (no CPE, GIT or repository matching)'}; "
        f"commit history: {report.history or 'none (GIT ranges by exact commits only)'}.",
        "",
        "Feeds: " + ", ".join(f"`{f['path']}` ({'/'.join(f['kinds'])}, {f['advisories']})" for f in d["feeds"]),
        "",
    ]
    if d["vulnerabilities"]:
        rows = [
            [
                v["status"],
                v["id"],
                f"{v['component']} {v['version']}",
                "; ".join(f"{m['feed']} {m['advisory']}: {m['identity']}; {m['rule']}" for m in v["matched"]),
                v["note"],
            ]
            for v in d["vulnerabilities"]
        ]
        out += ["## Vulnerabilities", "", *_table(["status", "id", "component", "matched", "note"], rows), ""]
    if d["undecided"]:
        rows = [[u["component"], u["advisory"], u["reason"]] for u in d["undecided"]]
        out += [
            "## Undecided (identity matched, range not decidable)",
            "",
            *_table(["component", "advisory", "why"], rows),
            "",
        ]
    unused, expired = d["suppressions"]["unused"], d["suppressions"]["expired"]
    if unused or expired:
        rows = [
            [s["id"], s["component"], s["expires"], "expired" if s in expired else "unused", s["reason"]]
            for s in unused + [e for e in expired if e not in unused]
        ]
        out += [
            "## Suppressions needing attention",
            "",
            *_table(["id", "component", "expires", "", "reason"], rows),
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"
