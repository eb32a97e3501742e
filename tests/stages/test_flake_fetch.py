"""The flake needs no rootstock step first: its evaluator fetches a git pin (submodules too), prepares it with
the pin's `remove`, checks it against the pinned hash and builds the fixture chain from it (docs/flake.md).

Upstream is a local file:// repository with a submodule; Nix runs in a store of the test's own, offline.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from chain_support import Chain

from common_support import REPO, commit, git, make_repo
from rootstock.core.nar import nar_hash
from rootstock.errors import CommandError
from rootstock.host import nix, proc
from rootstock.pins.convert import load_pins

pytestmark = pytest.mark.slow

SYSTEM = "x86_64-linux"


@pytest.fixture
def chain(nix_store: Path, checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Chain:
    """The fixture chain whose source pin gained a submodule and a directory its `remove` drops, as a flake."""
    chain = Chain(checkout, tmp_path, SYSTEM)
    sub = tmp_path / "upstream-sub"
    make_repo(sub, {"lib.txt": "from the submodule\n"})
    # git refuses file:// submodules unless told (CVE-2022-39253); Nix's fetchGit runs git with this config.
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text('[protocol "file"]\n\tallow = always\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    git(chain.upstream, "submodule", "add", "-q", sub.as_uri(), "sub")
    commit(chain.upstream, {"junk/a.txt": "removed\n", "junk/b.txt": "removed\n"}, "submodule and junk")
    pins = (checkout / "pins.toml").read_text()
    prepared = '[pins.src]\nkind = "git"\nsubmodules = true\nremove = ["junk/*"]\n'
    pins = pins.replace('[pins.src]\nkind = "git"\n', prepared)
    (checkout / "pins.toml").write_text(pins)
    assert chain.cli("pins", "update", "src", "--rev", chain.head()) == 0
    assert chain.cli("render") == 0
    shutil.copy(REPO / "flake.nix", checkout / "flake.nix")
    shutil.copy(REPO / "flake.lock", checkout / "flake.lock")
    return chain


def flake(chain: Chain, *args: str) -> str:
    return proc.run(["nix", *nix.EXPERIMENTAL, *nix.OFFLINE, *args], cwd=chain.root).stdout


def placed_tree(chain: Chain) -> Path:
    named = load_pins(chain.root / "pins.toml").get("src")
    return nix.fixed_path(named.store_name, named.pin.hash, recursive=True)


def test_the_flake_fetches_prepares_and_builds_with_no_rootstock_step(chain: Chain) -> None:
    tree = placed_tree(chain)
    assert not nix.is_valid(tree)
    # Unsandboxed only so that Nix's builtin:fetchurl can read the seed's file:// URL from the test's directory.
    target = f"path:{chain.root}#checks.{SYSTEM}.joined"
    (built,) = json.loads(flake(chain, "build", "--option", "sandbox", "false", "--no-link", "--json", target))
    assert Path(built["outputs"]["out"]).read_text() == "first part\nsecond part\n"
    # The very path `rootstock pins fetch` places, with the submodule in and the removed files out.
    assert nix.is_valid(tree)
    assert nar_hash(tree) == load_pins(chain.root / "pins.toml").get("src").pin.hash
    assert (tree / "sub" / "lib.txt").read_text() == "from the submodule\n"
    assert (tree / "junk").is_dir()
    assert not any((tree / "junk").iterdir())
    assert not (tree / ".git").exists()


def test_fetching_changes_no_store_path(chain: Chain) -> None:
    fetched = flake(chain, "eval", "--raw", f"path:{chain.root}#checks.{SYSTEM}.joined.drvPath")
    # Without the evaluator's fetch (rootstock's own evaluations) the same derivation, the tree merely named.
    offline = nix.instantiate(chain.root / "nix" / "default.nix", [f'stages."{SYSTEM}".joined'])
    assert offline == [fetched]


def test_content_other_than_pinned_is_refused_and_nothing_is_placed(chain: Chain) -> None:
    # The pin without its `remove`: the hash still pins the prepared tree, the evaluator's tree differs.
    pins = (chain.root / "pins.toml").read_text()
    (chain.root / "pins.toml").write_text(pins.replace('remove = ["junk/*"]\n', ""))
    assert chain.cli("render") == 0
    with pytest.raises(CommandError) as failure:
        flake(chain, "eval", "--raw", f"path:{chain.root}#checks.{SYSTEM}.joined.drvPath")
    assert "store path mismatch in (possibly filtered) path added from" in failure.value.stderr_tail
    assert not nix.is_valid(placed_tree(chain))


def test_no_fetch_evaluates_without_the_network_and_the_build_says_what_to_do(chain: Chain) -> None:
    shutil.rmtree(chain.upstream)
    env_flake = ["env", "ROOTSTOCK_NO_FETCH=1", "nix", *nix.EXPERIMENTAL, *nix.OFFLINE]
    drv = proc.run([*env_flake, "eval", "--impure", "--raw", f"path:{chain.root}#checks.{SYSTEM}.joined.drvPath"])
    assert drv.stdout.endswith(".drv")
    with pytest.raises(CommandError) as failure:
        proc.run([*env_flake, "build", "--impure", "--no-link", f"path:{chain.root}#checks.{SYSTEM}.joined"])
    assert "rootstock-place-src-with-rootstock-fetch" in failure.value.stderr_tail
