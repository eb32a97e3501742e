"""The Nix runner's typed failures on real Nix builds in a test store."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootstock.errors import NotReproducibleError
from rootstock.host import nix

# Different bytes on every build: the kernel hands out a fresh UUID each time.
NOISY = """derivation {
  name = "noisy";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "read -r id < /proc/sys/kernel/random/uuid; echo $id > $out" ];
}
"""


def test_a_check_that_gives_other_bytes_is_not_reproducible(nix_store: Path, tmp_path: Path) -> None:
    expr = tmp_path / "noisy.nix"
    expr.write_text(NOISY)
    (out,) = nix.build([], file=expr, sandbox=False)
    with pytest.raises(NotReproducibleError, match=r"derivation .*-noisy\.drv is not reproducible: .*than .*-noisy"):
        nix.build([], file=expr, sandbox=False, check=True)
    assert out.is_file()
