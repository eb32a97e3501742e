"""The audit tests' fixture: a fresh miniature stage0-posix tree per test, for each architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_support import Tree, make_tree
from rootstock.audit.policy import ARCHES


@pytest.fixture(params=sorted(ARCHES))
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    """A fresh miniature tree per test, for each architecture."""
    return make_tree(tmp_path / "tree", ARCHES[request.param])
