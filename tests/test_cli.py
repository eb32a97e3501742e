"""The CLI border: where progress and command lines go at each loudness, and what start-up imports."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from common_support import REPO
from rootstock.cli import main
from rootstock.core.nar import flat_hash


@pytest.fixture
def seed_checkout(checkout: Path, tmp_path: Path) -> Path:
    """A checkout pinning one local file, so `pins verify` runs nix-prefetch-url and nothing slower."""
    seed = tmp_path / "seed"
    seed.write_bytes(b"seed\n")
    (checkout / "pins.toml").write_text(
        f'[pins.seed]\nkind = "file"\nurls = ["{seed.as_uri()}"]\nhash = "{flat_hash(seed).sri}"\n'
    )
    return checkout


@pytest.mark.usefixtures("nix_store")
def test_progress_on_stderr_results_on_stdout(seed_checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(seed_checkout), "pins", "verify"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("seed: ok (sha256-")
    assert err == "[1/1] verifying seed\n"


@pytest.mark.usefixtures("nix_store")
def test_quiet_hides_progress_but_not_errors(seed_checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "--root", str(seed_checkout), "pins", "verify"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-q", "--root", str(seed_checkout), "pins", "verify", "nothing"]) == 1
    assert capsys.readouterr().err.startswith("rootstock: error: no pin named 'nothing'")


@pytest.mark.usefixtures("nix_store")
def test_verbose_shows_the_commands_run_but_not_the_sh_library(
    seed_checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-v", "--root", str(seed_checkout), "pins", "verify"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert "[1/1] verifying seed" in lines
    assert any(line.startswith("$ nix-prefetch-url ") for line in lines)
    # sh logs every process event under loggers named sh.*, each message naming "<Command '...', pid N>".
    assert not [line for line in lines if re.search(r", pid \d+>", line)]


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["-q", "-v", "pins", "list"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_version_anywhere_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["-q", "--root", "/nonexistent", "--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("rootstock ")


@pytest.mark.parametrize(
    "start_up",
    ["import rootstock.cli", "import rootstock.cli; rootstock.cli.build_parser()"],
    ids=["import", "full parser"],
)
def test_start_up_imports_no_heavy_library(start_up: str) -> None:
    # Every run imports the CLI and builds its parser from every command module (`--help` does no more): that
    # is start-up time (benchmarks/startup_bench.py); the libraries below are imported by the handlers that use them.
    heavy = ("capstone", "jinja2", "cattrs", "sh", "cyclonedx", "spdx_tools", "attrs")
    probe = f"import sys; {start_up}; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    env = {"PYTHONPATH": str(REPO / "python")}
    done = subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True)
    assert done.stdout.split() == []
