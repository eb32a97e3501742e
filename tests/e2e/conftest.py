"""The end-to-end tests' fixture: the mirror of the real upstream inputs, when the environment names one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from common_support import REPO, git


@pytest.fixture
def real_mirror() -> Path:
    """The mirror in $ROOTSTOCK_TEST_MIRROR (dev/test sets it to ../shared/mirror when that exists); the test is
    skipped without one, so that a checkout without the mirror still passes."""
    value = os.environ.get("ROOTSTOCK_TEST_MIRROR")
    if not value:
        pytest.skip("needs a mirror of the real inputs in $ROOTSTOCK_TEST_MIRROR")
    mirror = Path(value).resolve()
    if not (mirror / "git").is_dir() or not (mirror / "files").is_dir():
        pytest.fail(f"$ROOTSTOCK_TEST_MIRROR={value}: expected a mirror (files/ and git/), not found at {mirror}")
    return mirror


def checkout_state() -> tuple[str, dict[str, bytes]]:
    """What a run could leave in the checkout: git's view of it, and the default build reports (ignored by git)."""
    reports = {str(path): path.read_bytes() for path in sorted((REPO / "build-logs").glob("*/report.*"))}
    return git(REPO, "status", "--porcelain"), reports


@pytest.fixture
def untouched_checkout() -> Iterator[Path]:
    """The repository itself as the root of a test that must only read it (its logs go under the test's tmp)."""
    before = checkout_state()
    yield REPO
    assert checkout_state() == before
