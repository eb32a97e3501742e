"""`rootstock audit --system` end to end on the real chain: the early stages built from the mirror's pins, the
graph's audit tables read, the reports written to the audit's own directory, the same bytes every run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from common_support import REPO
from rootstock.cli import main

MIRROR = os.environ.get("ROOTSTOCK_TEST_MIRROR")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MIRROR, reason="needs a mirror of the real inputs in $ROOTSTOCK_TEST_MIRROR"),
]


def test_audit_system_writes_its_own_deterministic_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_report = REPO / "build-logs" / "x86_64-linux" / "report.json"
    before = build_report.read_bytes() if build_report.exists() else None
    runs = []
    for run in ("first", "second"):
        report_dir = tmp_path / run
        argv = ["--root", str(REPO), "--mirror", str(MIRROR), "audit", "--system", "x86_64-linux"]
        argv += ["--report-dir", str(report_dir), "--json", str(tmp_path / f"{run}.json")]
        assert main(argv) == 0
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
    assert (build_report.read_bytes() if build_report.exists() else None) == before
