"""The golden checkout the render tests start from: tests/golden's pins and graph in a throwaway checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

from common_support import REPO
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.project import Project

GOLDEN = REPO / "tests" / "golden"


def golden_checkout(checkout: Path) -> Path:
    shutil.copy(GOLDEN / "pins.toml", checkout / "pins.toml")
    shutil.copy(GOLDEN / "stages.toml", checkout / "stages.toml")
    shutil.copy(GOLDEN / "static-nix.toml", checkout / "static-nix.toml")
    return checkout


def load_plan(root: Path) -> Plan:
    return Plan.load(Project.load(GlobalOptions(root, root / "pins.toml", None, verbose=False)))
