"""`nix run .#bootstrap` starts on Debian's Nix 2.8, installs only what python/requirements.lock pins (from
PyPI, hashes checked) and leaves the flake's store path exactly as Nix hashed it (docs/flake.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name
from test_lock import LOCK, locked

from common_support import REPO, git
from rootstock.host import nix, proc

pytestmark = pytest.mark.slow


def for_this_machine(lock: str) -> dict[str, str]:
    """The locked packages whose environment marker (`; sys_platform == 'win32'`) holds here."""
    entries = locked(lock)
    markers = {
        canonicalize_name(line.split("==")[0]): line.split(";", 1)[1] for line in lock.splitlines() if " ; " in line
    }
    return {
        name: str(version)
        for name, (version, _, _) in entries.items()
        if name not in markers or Marker(markers[name].rstrip(" \\")).evaluate()
    }


def test_nix_run_bootstrap_installs_from_the_lock_and_writes_nothing_into_the_store(
    nix_store: Path, tmp_path: Path
) -> None:
    flake = tmp_path / "flake"
    files = git(REPO, "ls-files", "-z").split("\0")
    for name in filter(None, files):
        if (REPO / name).is_symlink() or (REPO / name).is_file():
            (flake / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, flake / name, follow_symlinks=False)
    cache = tmp_path / "cache"
    run = ["env", f"XDG_CACHE_HOME={cache}", "nix", *nix.EXPERIMENTAL, *nix.OFFLINE, "run", f"path:{flake}#bootstrap"]
    out = proc.run([*run, "--", "--help"]).stdout
    assert "usage: rootstock build stage0" in out
    source = json.loads(proc.run(["nix", *nix.EXPERIMENTAL, "flake", "metadata", "--json", f"path:{flake}"]).stdout)
    # The store path is still what Nix registered: no build/, *.egg-info or __pycache__ in it.
    proc.run(["nix-store", "--verify-path", source["path"]])
    (venv,) = cache.glob("rootstock/venv-*")
    assert (venv / ".complete").is_file()
    (dist,) = venv.glob("lib/python3*/site-packages/rootstock-*.dist-info")
    assert "License-Expression: Apache-2.0" in (dist / "METADATA").read_text()
    assert (dist / "licenses" / "LICENSE").read_text() == (REPO / "LICENSE").read_text()
    freeze = proc.run([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--all", "--exclude", "pip"]).stdout
    installed = {canonicalize_name(n): v for n, _, v in (line.partition("==") for line in freeze.splitlines()) if v}
    assert installed == {name: str(version) for name, version in for_this_machine(LOCK.read_text()).items()}
    assert not list(cache.glob("rootstock/package.*")), "the package copy is removed"
