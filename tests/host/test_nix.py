"""The Nix runner's typed failures on real Nix builds in a test store."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootstock.errors import BuildError, CommandError, InputError, NotReproducibleError, listing
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


@pytest.mark.parametrize(
    ("printed", "version"),
    [
        ("nix (Nix) 2.8.0\n", (2, 8, 0)),
        ("nix (Nix) 2.28.7", (2, 28, 7)),
        ("nix (Nix) 2.29pre20250101_abc\n", (2, 29, 0)),
    ],
)
def test_a_nix_version_is_read_once_typed(printed: str, version: tuple[int, int, int]) -> None:
    parsed = nix.NixVersion.parse(printed, "second Nix /opt/nix")
    assert (parsed.major, parsed.minor, parsed.patch) == version
    assert nix.NixVersion(2, 8, 0) < nix.NixVersion(2, 15, 0) <= nix.NixVersion(2, 28, 7)


@pytest.mark.parametrize("printed", ["", "GNU hello 2.12\n", "nix 2.28.7"])
def test_what_is_not_a_nix_version_says_what_printed_it(printed: str) -> None:
    with pytest.raises(InputError, match=r"^second Nix /opt/x is not a Nix: its --version printed '.*', expected"):
        nix.NixVersion.parse(printed, "second Nix /opt/x")


def test_each_release_shows_derivations_with_its_own_subcommand() -> None:
    assert nix.Installation(version=nix.NixVersion(2, 8, 0)).derivation_show() == ("show-derivation",)
    assert nix.Installation(version=nix.NixVersion(2, 28, 7)).derivation_show() == ("derivation", "show")
    assert nix.Installation().derivation_show() == ("show-derivation",)


def test_a_chroot_store_keeps_store_paths_and_its_bytes_elsewhere(tmp_path: Path) -> None:
    chroot = nix.Installation(store=tmp_path / "root", store_dir="/nix/store")
    assert chroot.physical("/nix/store/abc-x/bin/y") == tmp_path / "root" / "nix" / "store" / "abc-x" / "bin" / "y"
    assert chroot.log_dir() == tmp_path / "root" / "nix" / "var" / "log" / "nix"
    assert chroot.argv(["nix-store", "--add-fixed"]) == ["nix-store", "--store", str(tmp_path / "root"), "--add-fixed"]
    assert nix.physical("/nix/store/abc-x") == Path("/nix/store/abc-x")


def test_path_infos_reads_the_object_later_releases_print(tmp_path: Path) -> None:
    # Nix 2.19 and later print `nix path-info --json` as an object keyed by path; 2.8 as a list.
    path, ref = "/nix/store/" + "a" * 32 + "-x", "/nix/store/" + "b" * 32 + "-y"
    printed = f'{{"{path}": {{"narHash": "sha256-{"A" * 43}=", "narSize": 120, "references": ["{ref}"]}}}}'
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nix").write_text(f"#!/bin/sh\ncat <<'EOF'\n{printed}\nEOF\n")
    (bin_dir / "nix").chmod(0o755)
    with nix.using(nix.Installation(bin_dir=bin_dir, version=nix.NixVersion(2, 28, 7))):
        info = nix.path_infos([path])[path]
    assert (info.nar_size, info.references) == (120, (ref,))
    assert info.fingerprint() == f"1;{path};sha256:{'0' * 52};120;{ref}"
