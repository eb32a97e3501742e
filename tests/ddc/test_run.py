"""`rootstock ddc`'s orchestration with the runner replaced by fake outputs: what is built with which sandbox
paths, the report on success and on a mismatch (exit 1, one message), and bad outputs (exit 3)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from elf_support import tiny_elf

from common_support import REPO
from rootstock.ddc import run as ddc_run
from rootstock.ddc.compare import HOST_RECORD, DdcMismatchError
from rootstock.errors import ExitCode, InputError
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.runner.report import BuildReport, Failure
from rootstock.runner.run import Target

TCC = tiny_elf({".text": b"\x90" * 32, ".data.ro": b"\0\0\0\0\0\0\xf0\x41"})


class FakeBuilt:
    def __init__(self, target: Target, out: Path) -> None:
        self.target, self.out = target, out


class FakeRunner:
    """The runner's interface as run_ddc uses it; outputs come from a directory per target name."""

    outputs: Path
    builds: list[tuple[list[str], tuple[str, ...]]]

    def __init__(self, plan: Plan, directory: Path, title: str, total: int, **_: Any) -> None:
        self.directory, self.title = directory, title
        self.sandbox_paths: tuple[str, ...] = ()

    def start(self, pins: Iterable[str]) -> dict[str, Path]:
        assert "tinycc-mes" in list(pins)
        return {}

    def build(self, targets: Sequence[Target], *, alone: bool = False) -> list[FakeBuilt]:
        assert alone
        FakeRunner.builds.append(([t.name for t in targets], self.sandbox_paths))
        return [FakeBuilt(t, FakeRunner.outputs / t.name) for t in targets]

    def finish(
        self, notes: Sequence[str] = (), failure: Failure | None = None, result: dict[str, Any] | None = None
    ) -> Path:
        status = "ok" if failure is None else "failed"
        report = BuildReport(self.title, "t", (), status=status, failure=failure, notes=tuple(notes), result=result)
        return report.write(self.directory)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    outputs = tmp_path / "store"
    for name in ("tinycc-mes", "tinycc-mes-again", "tinycc-host-gcc", "tinycc-host2"):
        (outputs / name / "bin").mkdir(parents=True)
        (outputs / name / "bin" / "tcc").write_bytes(TCC)
        (outputs / name / "lib").mkdir()
        (outputs / name / "lib" / "libc.a").write_bytes(b"!<arch>\n")
    (outputs / "tinycc-host-gcc" / HOST_RECORD).parent.mkdir(parents=True)
    (outputs / "tinycc-host-gcc" / HOST_RECORD).write_text("version: gcc (Debian 12.2.0-14+deb12u1) 12.2.0\n")
    FakeRunner.outputs, FakeRunner.builds = outputs, []
    monkeypatch.setattr(ddc_run, "Runner", FakeRunner)
    return outputs


def plan() -> Plan:
    return Plan.from_options(GlobalOptions(REPO, REPO / "pins.toml", None, verbose=False))


def test_a_pass_builds_the_chain_then_the_host_with_its_sandbox_paths_and_reports(fake: Path, tmp_path: Path) -> None:
    result = ddc_run.run_ddc(plan(), "tinycc", log_dir=tmp_path / "logs")
    assert result.verdict == "equal"
    assert FakeRunner.builds == [
        (["tinycc-mes", "tinycc-mes-again"], ()),
        (["tinycc-host-gcc"], ("/bin", "/usr", "/lib", "/lib64", "/etc/alternatives")),
        (["tinycc-host2"], ()),
    ]
    report = json.loads((tmp_path / "logs" / "ddc" / "tinycc" / "report.json").read_text())
    assert report["status"] == "ok"
    assert report["result"]["verdict"] == "equal"
    assert report["result"]["facts"]["source_pin"] == "tinycc-mes"
    assert report["result"]["facts"]["host_argv"][:3] == ["gcc", "-m32", "-static"]
    assert "-std=c99" in report["result"]["facts"]["flags"]["tinycc-mes"]
    assert report["result"]["libc_files"] == {"libc.a": report["result"]["libc_files"]["libc.a"]}
    assert "**PASS**" in (tmp_path / "logs" / "ddc" / "tinycc" / "report.md").read_text()


def test_a_mismatch_fails_with_one_message_and_a_failed_report(fake: Path, tmp_path: Path) -> None:
    (fake / "tinycc-host2" / "bin" / "tcc").write_bytes(TCC.replace(b"\xf0\x41", b"\0\0"))
    with pytest.raises(DdcMismatchError) as e:
        ddc_run.run_ddc(plan(), "tinycc", log_dir=tmp_path / "logs")
    assert e.value.exit_code == ExitCode.CHECK_FAILED
    assert "\n" not in str(e.value)
    assert "in section .data.ro" in str(e.value)
    report = json.loads((tmp_path / "logs" / "ddc" / "tinycc" / "report.json").read_text())
    assert report["status"] == "failed"
    assert report["failure"]["error"] == str(e.value)
    assert report["result"]["difference"]["host2_part"] == "section .data.ro"


def test_an_output_that_is_not_elf_fails_as_bad_input_with_a_report(fake: Path, tmp_path: Path) -> None:
    (fake / "tinycc-host-gcc" / "bin" / "tcc").write_text("#!/bin/sh\n")
    with pytest.raises(InputError, match=r"tcc-host .*: not an ELF file") as e:
        ddc_run.run_ddc(plan(), "tinycc", log_dir=tmp_path / "logs")
    assert e.value.exit_code == ExitCode.BAD_INPUT
    report = json.loads((tmp_path / "logs" / "ddc" / "tinycc" / "report.json").read_text())
    assert report["status"] == "failed"
    assert report["failure"]["name"] == "the ddc comparison"
