"""Shared test fixtures: an isolated Nix store per test, isolated git, and throwaway rootstock checkouts."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from common_support import REPO


def pytest_configure(config: pytest.Config) -> None:
    # A suite started in the background by a non-interactive shell (`cmd &`, nohup) inherits SIGINT ignored, and
    # Python then keeps it so, in itself and in every program it starts: the interrupt tests would see nothing.
    # They test rootstock's handling of a Ctrl-C, not the way the suite was started.
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user or system git configuration, and commits with a fixed identity and date."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "rootstock tests")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "tests@rootstock.invalid")
        monkeypatch.setenv(f"GIT_{who}_DATE", "2026-01-01T00:00:00Z")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ROOTSTOCK_MIRROR", raising=False)
    monkeypatch.delenv("ROOTSTOCK_ROOT", raising=False)


@pytest.fixture
def nix_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh Nix store and state for this test only: sandboxed builds, no substituters."""
    base = tmp_path / "nix"
    conf = base / "etc"
    conf.mkdir(parents=True)
    (conf / "nix.conf").write_text("substituters =\nsandbox = true\nbuild-users-group =\nexperimental-features =\n")
    monkeypatch.setenv("NIX_STORE_DIR", str(base / "store"))
    monkeypatch.setenv("NIX_STATE_DIR", str(base / "state"))
    monkeypatch.setenv("NIX_LOG_DIR", str(base / "log"))
    monkeypatch.setenv("NIX_CONF_DIR", str(conf))
    monkeypatch.delenv("NIX_REMOTE", raising=False)
    monkeypatch.delenv("NIX_PATH", raising=False)
    return base / "store"


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[Path]:
    """A throwaway rootstock checkout: the real templates and Nix library, with empty pins and graph."""
    root = tmp_path / "checkout"
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "nix" / "lib", root / "nix" / "lib")
    shutil.copytree(REPO / "nix" / "static", root / "nix" / "static")
    shutil.copy(REPO / "nix" / "default.nix", root / "nix" / "default.nix")
    (root / "pins.toml").write_text("# test pins\n")
    (root / "stages.toml").write_text("# test graph\n")
    yield root
