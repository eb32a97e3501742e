"""The Nix runner's typed failures on real Nix builds in a test store."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootstock.errors import BuildError, CommandError, NotReproducibleError, listing
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
    with pytest.raises(NotReproducibleError, match=r"derivation 'noisy' is not reproducible: .*than .*-noisy"):
        nix.build([], file=expr, sandbox=False, check=True)
    assert out.is_file()


@pytest.mark.parametrize(
    ("drv", "name"),
    [
        # mkStep's digest of builder, argv and environment is not part of the step's name.
        ("/nix/store/0c2cd976e62b8b1f7239e2687a6fc987-hex1-7248a1b2c3d4.drv", "hex1"),
        ("/nix/store/0c2cd976e62b8b1f7239e2687a6fc987-M0.hex2-0123456789ab.drv", "M0.hex2"),
        ("/nix/store/0c2cd976e62b8b1f7239e2687a6fc987-zlib-1.3.1.drv", "zlib-1.3.1"),
        ("/nix/store/0c2cd976e62b8b1f7239e2687a6fc987-noisy.drv", "noisy"),
    ],
)
def test_a_derivation_is_named_as_the_data_names_it(drv: str, name: str) -> None:
    assert nix.drv_name(drv) == name


def test_lists_in_messages_are_cut_short() -> None:
    assert listing(["a", "b"]) == "a, b"
    assert listing([f"s{i}" for i in range(20)], limit=3) == "s0, s1, s2 and 17 more"


def test_a_command_line_in_a_message_is_cut_short() -> None:
    drvs = [f"/nix/store/{i:032d}-step-{i}.drv" for i in range(60)]
    error = CommandError(["nix-build", "--no-out-link", *drvs], 1, "error: something\n")
    first = str(error).splitlines()[0]
    assert first == (
        "command failed (exit 1): nix-build --no-out-link "
        + " ".join(drvs[:10])
        + " … (50 more arguments; -v logs the whole command)"
    )


# One derivation that fails at once, one that is still running when it does.
PAIR = """{
  fails = derivation {
    name = "fails";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "exit 1" ];
  };
  slow = derivation {
    name = "slow";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/sleep 3; echo done > $out" ];
  };
}
"""


@pytest.mark.parametrize("keep_going", [True, False])
def test_keep_going_finishes_what_does_not_depend_on_a_failure(
    nix_store: Path, tmp_path: Path, keep_going: bool
) -> None:
    expr = tmp_path / "pair.nix"
    expr.write_text(PAIR)
    (slow_drv,) = nix.instantiate(expr, ["slow"])
    slow = nix.derivation_outputs([slow_drv])[slow_drv]["out"]
    with pytest.raises(BuildError, match="fails"):
        nix.build(["fails", "slow"], file=expr, sandbox=False, max_jobs=2, keep_going=keep_going)
    assert nix.is_valid(slow) == keep_going
