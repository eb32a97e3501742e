"""The committed list of every step's output store path: a refactoring of the data, templates or Nix library
that moves a path is caught here (re-record with dev/out-paths --write when the move is intended)."""

from __future__ import annotations

import json

from common_support import REPO
from rootstock.host import nix


def test_every_step_keeps_its_recorded_output_path() -> None:
    # Paths depend on the store directory, so this evaluates against the default store (no build happens).
    recorded = json.loads((REPO / "tests" / "golden" / "out-paths.json").read_text())
    actual = nix.eval_json(REPO / "nix" / "checks" / "out-paths.nix", args={})
    moved = sorted(
        f"{system}/{step}"
        for system, steps in recorded.items()
        for step, path in steps.items()
        if actual.get(system, {}).get(step) != path
    )
    assert not moved, f"output paths moved (dev/out-paths --write after review): {moved}"
    assert set(actual) == set(recorded)
    assert {s: set(v) for s, v in actual.items()} == {s: set(v) for s, v in recorded.items()}
