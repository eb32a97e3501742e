"""The trust page in a real headless Chromium (Debian's `chromium`, which dev/setup installs): it loads without a
console message, every `#` link of the page and of its graph has its target, it runs no script, and a screenshot
is taken (kept at $ROOTSTOCK_TEST_SCREENSHOT as well when that is set, for a person to look at)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_support import CHROMIUM, load
from chain_support import Chain
from trust_support import SYSTEM, Evidence

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (dev/setup installs Debian's chromium package)"
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_page_loads_cleanly_and_every_link_resolves(nix_store: Path, checkout: Path, tmp_path: Path) -> None:
    found = Evidence(Chain(checkout, tmp_path, SYSTEM), tmp_path)
    secret, public = found.key()
    found.build_report(failed_at="joined")
    found.custody(secret)
    found.verify_with()
    out = tmp_path / "trust"
    assert found.report("--out", str(out), "--key", str(public)) == 1  # joined failed: the page shows it

    seen = load(out / "trust.html")

    assert seen.console == ()
    assert seen.scripts == 0
    assert seen.duplicate_ids == ()
    broken = [href for href, ok in seen.links if not ok]
    assert broken == []
    hrefs = {href for href, _ in seen.links}
    # The contents, the graph's nodes and clusters, each step's inputs and evidence: all internal links.
    assert {f"#step-{SYSTEM}-catm", f"#chain-stage0-{SYSTEM}", "#pin-src", "#custody", "#sources"} <= hrefs
    assert seen.screenshot.startswith(PNG)
    shot = tmp_path / "trust.png"
    shot.write_bytes(seen.screenshot)
    if keep := os.environ.get("ROOTSTOCK_TEST_SCREENSHOT"):
        shutil.copy(shot, keep)
