"""`rootstock audit --system` end to end on the real chain: the early stages built from the mirror's pins, the
graph's audit tables read, the reports written to the audit's own directory, the same bytes every run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from common_support import plan_loads
from rootstock.cli import main

pytestmark = pytest.mark.e2e


def audit(root: Path, mirror: Path, report_dir: Path, *extra: str) -> int:
    argv = ["--root", str(root), "--mirror", str(mirror), "audit", "--system", "x86_64-linux"]
    return main([*argv, "--report-dir", str(report_dir), *extra])


def test_audit_system_writes_its_own_deterministic_reports(
    real_mirror: Path, untouched_checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = []
    for run in ("first", "second"):
        report_dir = tmp_path / run
        assert audit(untouched_checkout, real_mirror, report_dir, "--json", str(tmp_path / f"{run}.json")) == 0
        assert capsys.readouterr().out.startswith("AMD64: ")
        audit_json = (report_dir / "audit.json").read_bytes()
        assert audit_json == (tmp_path / f"{run}.json").read_bytes()
        runs.append((audit_json, (report_dir / "audit.md").read_bytes()))
        # The chain it built is logged below the audit's directory, not over the build's own report.
        assert (report_dir / "chain" / "x86_64-linux" / "report.json").is_file()
    assert runs[0] == runs[1]
    report = json.loads(runs[0][0])
    assert report["totals"]["failures"] == 0
    assert [p["name"] for p in report["programs"]] == [
        "hex0-seed",
        "kaem-optional-seed",
        "hex0",
        "hex1",
        "hex2-0",
        "catm",
        "M0",
        "cc_amd64",
    ]


def test_audit_system_loads_and_resolves_the_data_once(
    real_mirror: Path, untouched_checkout: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rootstock.plan")
    caplog.clear()
    assert audit(untouched_checkout, real_mirror, tmp_path / "audit") == 0
    assert plan_loads(caplog.records) == 1
