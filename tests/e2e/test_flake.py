"""The flake: thin, input-free, and every output evaluates with Debian's Nix offline (no nixpkgs anywhere)."""

from __future__ import annotations

import json
from pathlib import Path

from common_support import REPO
from rootstock.host import proc
from rootstock.host.nix import EXPERIMENTAL, OFFLINE

FLAKES = [*EXPERIMENTAL, *OFFLINE]


def nix(*args: str) -> str:
    return proc.run(["nix", *FLAKES, *args], cwd=REPO).stdout


def test_flake_has_no_inputs(nix_store: Path) -> None:
    lock = json.loads((REPO / "flake.lock").read_text())
    assert lock["nodes"] == {"root": {}}
    metadata = json.loads(nix("flake", "metadata", "--json", "--no-write-lock-file", str(REPO)))
    assert metadata["locks"]["nodes"]["root"].get("inputs", {}) == {}


def test_flake_check_evaluates_every_output(nix_store: Path) -> None:
    # Offline and with nothing placed: ROOTSTOCK_NO_FETCH=1 (seen with --impure) keeps the evaluator from
    # fetching the git pins, which a pure `nix flake check` does (tests/stages/test_flake_fetch.py).
    check = ["flake", "check", "--impure", "--no-build", "--no-write-lock-file", str(REPO)]
    proc.run(["env", "ROOTSTOCK_NO_FETCH=1", "nix", *FLAKES, *check])


def test_packages_are_the_stage_graph_steps(nix_store: Path) -> None:
    names = json.loads(nix("eval", "--json", f"{REPO}#packages.x86_64-linux", "--apply", "builtins.attrNames"))
    assert {"hex0", "kaem-unwrapped", "mescc-tools", "mescc-tools-extra", "default"} <= set(names)
    # The static musl nix of static-nix.toml, on the recipe's system only.
    assert "nix-static" in names
    assert json.loads(nix("eval", "--json", f"{REPO}#packages.x86_64-linux.nix-static.name")) == "nix-2.28.7"
    i686 = json.loads(nix("eval", "--json", f"{REPO}#packages.i686-linux", "--apply", "builtins.attrNames"))
    assert "nix-static" not in i686
    app = json.loads(nix("eval", "--json", f"{REPO}#apps.x86_64-linux.bootstrap"))
    assert app["type"] == "app"
    assert app["program"].endswith("/dev/nix-run-bootstrap")
    assert app["meta"]["description"]


def test_the_app_program_has_no_string_context(nix_store: Path) -> None:
    # Nix 2.8 to 2.12 take a source path in an app's context for a derivation output and abort on an
    # assertion (`nameFromPath`) before the program starts (docs/flake.md).
    apply = "app: builtins.hasContext app.program"
    assert json.loads(nix("eval", "--json", f"{REPO}#apps.x86_64-linux.bootstrap", "--apply", apply)) is False
