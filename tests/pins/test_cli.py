"""pins update / verify / fetch and mirror fill against upstreams the tests create (git repos, tarballs)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from common_support import PLACEHOLDER, commit, git, make_repo
from common_support import cli as run
from rootstock.core.hashes import Hash
from rootstock.core.nar import nar_hash
from rootstock.host import nix
from rootstock.pins.convert import load_pins
from rootstock.pins.mirror import Mirror

ZERO_REV = "0" * 40


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """A repository with a submodule, a junk directory to remove, and an annotated tag v1."""
    up = tmp_path / "upstream"
    make_repo(up / "sub", {"lib.txt": "from the submodule\n"})
    make_repo(up / "main", {"README": "main\n", "junk/a": "remove me\n", "tool.sh": "#!/bin/false\n"})
    main_repo = up / "main"
    (main_repo / "tool.sh").chmod(0o755)
    git(main_repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", (up / "sub").as_uri(), "sub")
    commit(main_repo, {}, "add submodule")
    git(main_repo, "tag", "-a", "v1", "-m", "release 1")
    return up


def git_pin(url: str, *, remove: str = "") -> str:
    return (
        f'[pins.src]\nkind = "git"\nurl = "{url}"\nrev = "{ZERO_REV}"\ntag = "v1"\nsubmodules = true\n'
        f'hash = "{PLACEHOLDER}"\n{remove}'
    )


def test_update_then_verify_git_pin(
    nix_store: Path, checkout: Path, upstream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = (upstream / "main").as_uri()
    (checkout / "pins.toml").write_text(git_pin(url))
    assert run(checkout, "pins", "update", "src") == 0
    pin = load_pins(checkout / "pins.toml").get("src").pin
    assert pin.rev == git(upstream / "main", "rev-parse", "HEAD")
    # Nix's own git fetcher is the independent oracle for the built-in prefetch (Debian has no nix-prefetch-git).
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text('[protocol "file"]\n\tallow = always\n')
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        assert pin.hash == nix.fetch_git_nar_hash(url, pin.rev, submodules=True)
    assert run(checkout, "pins", "verify") == 0
    assert "src: ok" in capsys.readouterr().out


# nixpkgs' nix-prefetch-git in miniature: the same steps (clone, exact rev, submodules, drop .git, nix-hash),
# written in shell so that it shares no code with rootstock's built-in fetcher. Old-style JSON (base32 sha256).
PREFETCH_GIT = """#!/bin/sh
set -eu
url= rev= subs=
while [ $# -gt 0 ]; do
  case $1 in --url) url=$2; shift ;; --rev) rev=$2; shift ;; --fetch-submodules) subs=1 ;; esac
  shift
done
dir=$(mktemp -d)/checkout
git -c protocol.file.allow=always clone -q "$url" "$dir"
git -C "$dir" checkout -q "$rev"
[ -z "$subs" ] || git -C "$dir" -c protocol.file.allow=always submodule -q update --init --recursive
find "$dir" -name .git -prune -exec rm -rf {} +
printf '{"url": "%s", "rev": "%s", "sha256": "%s"}\n' "$url" "$rev" "$(nix-hash --type sha256 --base32 "$dir")"
"""


def test_nix_prefetch_git_and_the_built_in_fetcher_agree(
    nix_store: Path,
    checkout: Path,
    upstream: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = (upstream / "main").as_uri()
    (checkout / "pins.toml").write_text(git_pin(url))
    assert run(checkout, "pins", "update", "src") == 0
    built_in = load_pins(checkout / "pins.toml").get("src").pin
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "prefetch-calls"
    prefetch = bin_dir / "nix-prefetch-git"
    prefetch.write_text(PREFETCH_GIT.replace("set -eu\n", f'set -eu\necho "$*" >> {calls}\n', 1))
    prefetch.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    (checkout / "pins.toml").write_text(git_pin(url))
    assert run(checkout, "pins", "update", "src") == 0
    prefetched = load_pins(checkout / "pins.toml").get("src").pin
    assert f"--url {url} --rev {built_in.rev}" in calls.read_text()  # the prefetcher really was the path taken
    assert "--fetch-submodules" in calls.read_text()
    assert (prefetched.rev, prefetched.hash) == (built_in.rev, built_in.hash)


def test_moved_tag_fails_naming_both_commits(
    nix_store: Path, checkout: Path, upstream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (checkout / "pins.toml").write_text(git_pin((upstream / "main").as_uri()))
    assert run(checkout, "pins", "update", "src") == 0
    pinned = git(upstream / "main", "rev-parse", "HEAD")
    moved = commit(upstream / "main", {"README": "force-pushed\n"}, "rewrite")
    git(upstream / "main", "tag", "-f", "-a", "v1", "-m", "moved")
    capsys.readouterr()
    assert run(checkout, "pins", "verify", "src") == 1
    err = capsys.readouterr().err
    assert "tag 'v1' moved" in err
    assert pinned in err
    assert moved in err
    assert "Traceback" not in err


def test_preparation_removes_paths_and_changes_the_hash(
    nix_store: Path, checkout: Path, upstream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = (upstream / "main").as_uri()
    (checkout / "pins.toml").write_text(git_pin(url, remove='remove = ["junk/*"]\n'))
    assert run(checkout, "pins", "update", "src") == 0
    capsys.readouterr()
    assert run(checkout, "pins", "fetch", "src") == 0
    store_path = Path(capsys.readouterr().out.split(": ", 1)[1].strip())
    assert (store_path / "junk").is_dir()
    assert not list((store_path / "junk").iterdir())
    assert (store_path / "sub" / "lib.txt").read_text() == "from the submodule\n"
    assert not (store_path / ".git").exists()
    assert not (store_path / "sub" / ".git").exists()
    assert (store_path / ".gitmodules").is_file()
    pin = load_pins(checkout / "pins.toml").get("src").pin
    assert nar_hash(store_path) == pin.hash


def test_remove_pattern_matching_nothing_is_an_error(
    nix_store: Path, checkout: Path, upstream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (checkout / "pins.toml").write_text(git_pin((upstream / "main").as_uri(), remove='remove = ["nothing/*"]\n'))
    assert run(checkout, "pins", "update", "src") == 3
    assert "remove pattern 'nothing/*' matches nothing" in capsys.readouterr().err


def make_tarball(path: Path, content: bytes) -> None:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("pkg-1.0/data.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))


@pytest.mark.parametrize("unpack", [False, True])
def test_changed_tarball_fails_with_both_hashes(
    nix_store: Path, checkout: Path, tmp_path: Path, unpack: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    tarball = tmp_path / "pkg-1.0.tar.gz"
    make_tarball(tarball, b"original\n")
    (checkout / "pins.toml").write_text(
        f'[pins.pkg]\nkind = "tarball"\nurls = ["{tarball.as_uri()}"]\nversion = "1.0"\n'
        f'unpack = {str(unpack).lower()}\nhash = "{PLACEHOLDER}"\n'
    )
    assert run(checkout, "pins", "update", "pkg") == 0
    pinned = load_pins(checkout / "pins.toml").get("pkg").pin.hash
    assert run(checkout, "pins", "verify", "pkg") == 0
    make_tarball(tarball, b"tampered\n")
    capsys.readouterr()
    assert run(checkout, "pins", "verify", "pkg") == 1
    err = capsys.readouterr().err
    assert "hash mismatch for pin 'pkg'" in err
    assert f"expected: {pinned.sri}" in err
    assert "rootstock pins update pkg" in err


def test_mirror_serves_everything_offline(
    nix_store: Path, checkout: Path, upstream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tarball = tmp_path / "pkg-1.0.tar.gz"
    make_tarball(tarball, b"mirrored\n")
    (checkout / "pins.toml").write_text(
        git_pin((upstream / "main").as_uri())
        + f'\n[pins.pkg]\nkind = "tarball"\nurls = ["{tarball.as_uri()}"]\nunpack = true\nhash = "{PLACEHOLDER}"\n'
    )
    assert run(checkout, "pins", "update", "src") == 0
    assert run(checkout, "pins", "update", "pkg") == 0
    mirror = tmp_path / "mirror"
    assert run(checkout, "mirror", "fill", str(mirror)) == 0
    # Upstream disappears: the air-gapped site has only the mirror.
    upstream.rename(tmp_path / "gone")
    tarball.unlink()
    capsys.readouterr()
    assert run(checkout, "pins", "verify") == 3
    url = (upstream / "main").as_uri()
    err = capsys.readouterr().err
    assert "rootstock: error: 2 of 2 pins failed (0 passed)" in err
    assert f"  pin 'src': cannot reach {url} to look up tag 'v1' (" in err
    assert "  pin 'pkg': cannot download any of its URLs and no mirror is configured" in err
    assert run(checkout, "pins", "verify", mirror=mirror) == 0
    assert run(checkout, "pins", "fetch", mirror=mirror) == 0


def test_missing_mirror_entry_names_pin_and_hash(
    nix_store: Path, checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = Hash.parse(PLACEHOLDER)
    (checkout / "pins.toml").write_text(
        f'[pins.seed]\nkind = "file"\nurls = ["https://example.invalid/seed"]\nhash = "{digest.sri}"\n'
    )
    (tmp_path / "empty-mirror").mkdir()
    assert run(checkout, "pins", "verify", mirror=tmp_path / "empty-mirror") == 3
    err = capsys.readouterr().err
    assert "pin 'seed' is not in the mirror" in err
    assert digest.sri in err


def test_unreachable_url_without_mirror(
    nix_store: Path, checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (checkout / "pins.toml").write_text(
        f'[pins.seed]\nkind = "file"\nurls = ["{(tmp_path / "absent").as_uri()}"]\nhash = "{PLACEHOLDER}"\n'
    )
    assert run(checkout, "pins", "verify") == 3
    err = capsys.readouterr().err
    assert "pin 'seed': cannot download any of its URLs and no mirror is configured" in err
    assert "Traceback" not in err


def test_nix_not_installed_is_one_clear_error(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (checkout / "pins.toml").write_text(
        f'[pins.seed]\nkind = "file"\nurls = ["{(tmp_path / "seed").as_uri()}"]\nhash = "{PLACEHOLDER}"\n'
    )
    bare = tmp_path / "bin-without-nix"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    assert run(checkout, "pins", "fetch") == 4
    err = capsys.readouterr().err
    assert "required program 'nix-store' is not installed" in err
    assert "apt-get install nix-bin" in err


def drop_empty_directories(tree: Path) -> None:
    """Copy tools that keep only files lose every empty directory: a bare repository then has no refs/."""
    directories = [path for path in tree.rglob("*") if path.is_dir()]
    for directory in sorted(directories, key=lambda path: len(path.parts), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def snapshot(tree: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry below tree with its mode, modification time and (for files) bytes."""
    entries = {}
    for path in sorted(tree.rglob("*")):
        stat = path.lstat()
        entries[str(path.relative_to(tree))] = (
            stat.st_mode,
            stat.st_mtime_ns,
            path.read_bytes() if path.is_file() else b"",
        )
    return entries


@pytest.fixture
def refless_mirror(checkout: Path, upstream: Path, tmp_path: Path) -> Iterator[Path]:
    """The git pin 'src' filled into a mirror that was then copied by a tool dropping empty directories (its
    bare repositories without refs/) and made read-only, as an air-gapped site receives it; upstream is gone."""
    (checkout / "pins.toml").write_text(git_pin((upstream / "main").as_uri()))
    assert run(checkout, "pins", "update", "src") == 0
    mirror = tmp_path / "mirror"
    assert run(checkout, "mirror", "fill", str(mirror)) == 0
    upstream.rename(tmp_path / "gone")
    for repo in (mirror / "git").rglob("*.git"):
        git(repo, "pack-refs", "--all")
    drop_empty_directories(mirror)
    assert not [repo for repo in (mirror / "git").rglob("*.git") if (repo / "refs").exists()]
    subprocess.run(["chmod", "-R", "a-w", str(mirror)], check=True)
    yield mirror
    subprocess.run(["chmod", "-R", "u+w", str(mirror)], check=True)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory rootstock's own scratch space goes into, to see what it leaves behind."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_read_only_mirror_without_refs_serves_verify_and_fetch(
    nix_store: Path, checkout: Path, refless_mirror: Path, private_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(refless_mirror)
    capsys.readouterr()
    assert run(checkout, "pins", "verify", "src", mirror=refless_mirror) == 0
    assert "src: ok" in capsys.readouterr().out
    assert run(checkout, "pins", "fetch", "src", mirror=refless_mirror) == 0
    store_path = Path(capsys.readouterr().out.split(": ", 1)[1].strip())
    assert (store_path / "sub" / "lib.txt").read_text() == "from the submodule\n"
    assert snapshot(refless_mirror) == before
    assert not list(private_tmp.iterdir())


def test_read_only_mirror_without_refs_still_fails_clearly_and_cleans_up(
    nix_store: Path, checkout: Path, refless_mirror: Path, private_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pinned = load_pins(checkout / "pins.toml").get("src").pin
    (checkout / "pins.toml").write_text(
        (checkout / "pins.toml").read_text().replace(pinned.rev, "1" * 40).replace('tag = "v1"\n', "")
    )
    capsys.readouterr()
    assert run(checkout, "pins", "verify", "src", mirror=refless_mirror) == 3
    err = capsys.readouterr().err
    assert f"lacks commit {'1' * 40}" in err
    assert "Traceback" not in err
    assert not list(private_tmp.iterdir())


@pytest.mark.parametrize("command", ["verify", "fetch"])
def test_repository_missing_from_a_mirror_without_refs_names_the_pin(
    nix_store: Path, checkout: Path, refless_mirror: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Mirror(refless_mirror).git_path(load_pins(checkout / "pins.toml").get("src").pin.url)
    subprocess.run(["chmod", "u+w", str(repo.parent)], check=True)
    shutil.rmtree(repo)
    capsys.readouterr()
    assert run(checkout, "pins", command, "src", mirror=refless_mirror) == 3
    err = capsys.readouterr().err
    assert "pin 'src' is not in the mirror" in err
    assert str(repo) in err


SEED = f'[pins.seed]\nkind = "file"\nurls = ["https://example.invalid/seed"]\nhash = "{PLACEHOLDER}"\n'


@pytest.mark.parametrize("command", [["pins", "list"], ["render", "--check"], ["pins", "fetch"]])
@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("nosuchpin", "pins.src.patches item 1: no pin named 'nosuchpin'; a patch is the name of a file pin"),
        ("src", "pins.src.patches item 1: pin 'src' is a git pin; a patch is the name of a file pin"),
    ],
)
def test_a_patch_naming_no_file_pin_fails_every_command_that_loads_pins(
    checkout: Path, command: list[str], patch: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pins = checkout / "pins.toml"
    pins.write_text(git_pin("https://example.invalid/src") + f'patches = ["{patch}"]\n\n' + SEED)
    assert run(checkout, *command) == 3
    assert capsys.readouterr().err == f"rootstock: error: {pins}: {message}\n"


@pytest.mark.parametrize(("table", "where"), [("[pins.Bad_Name]", "pins.Bad_Name"), ('[pins."a b"]', 'pins."a b"')])
def test_a_bad_pin_name_is_one_line(checkout: Path, table: str, where: str, capsys: pytest.CaptureFixture[str]) -> None:
    pins = checkout / "pins.toml"
    pins.write_text(SEED.replace("[pins.seed]", table))
    assert run(checkout, "pins", "list") == 3
    assert capsys.readouterr().err == (
        f"rootstock: error: {pins}: {where}: a pin name is lower-case letters, digits and '-' (or '.', '_', '+'), "
        "starting with a letter or digit\n"
    )


@pytest.fixture
def filled_mirror(checkout: Path, upstream: Path, tmp_path: Path) -> Path:
    """The git pin 'src' (with its submodule 'sub') pinned and filled into a mirror."""
    (checkout / "pins.toml").write_text(git_pin((upstream / "main").as_uri()))
    assert run(checkout, "pins", "update", "src") == 0
    mirror = tmp_path / "mirror"
    assert run(checkout, "mirror", "fill", str(mirror)) == 0
    return mirror


def the_error(err: str) -> str:
    """The one line stderr holds besides the progress lines (`[1/1] …`)."""
    lines = [line for line in err.splitlines() if not line.startswith("[")]
    assert len(lines) == 1, err
    return lines[0]


def submodule_rev(upstream: Path) -> str:
    return git(upstream / "main", "rev-parse", "HEAD:sub")


def test_a_submodule_missing_from_the_mirror_is_one_message(
    nix_store: Path, checkout: Path, upstream: Path, filled_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub_url = (upstream / "sub").as_uri()
    repo = Mirror(filled_mirror).git_path(sub_url)
    rev = submodule_rev(upstream)
    shutil.rmtree(repo)
    capsys.readouterr()
    assert run(checkout, "pins", "fetch", "src", mirror=filled_mirror) == 3
    assert the_error(capsys.readouterr().err) == (
        f"rootstock: error: pin 'src': submodule 'sub' ({sub_url}) is not in the mirror: expected a repository "
        f"holding commit {rev} at {repo}; run 'rootstock mirror fill' on a machine with network access and copy "
        "the mirror over (or import local clones and downloads with 'rootstock mirror fill MIRROR --from DIR')"
    )


def test_a_mirrored_submodule_without_the_recorded_commit_is_one_message(
    nix_store: Path,
    checkout: Path,
    upstream: Path,
    filled_mirror: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sub_url = (upstream / "sub").as_uri()
    repo = Mirror(filled_mirror).git_path(sub_url)
    rev = submodule_rev(upstream)
    # Another history under the same URL (a force-push upstream, then a fill of the new history alone).
    rewritten = filled_mirror.parent / "rewritten"
    make_repo(rewritten, {"other.txt": "rewritten\n"})
    shutil.rmtree(repo)
    git(rewritten, "clone", "-q", "--mirror", str(rewritten), str(repo))
    capsys.readouterr()
    assert run(checkout, "pins", "verify", "src", mirror=filled_mirror) == 3
    assert the_error(capsys.readouterr().err) == (
        f"rootstock: error: pin 'src': submodule 'sub' ({sub_url}): the mirror's {repo} lacks commit {rev}, which "
        "the pinned commit records; run 'rootstock mirror fill' on a machine with network access and copy the "
        "mirror over (or import local clones and downloads with 'rootstock mirror fill MIRROR --from DIR')"
    )


def test_an_unreachable_upstream_submodule_is_one_message(
    nix_store: Path, checkout: Path, upstream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (checkout / "pins.toml").write_text(git_pin((upstream / "main").as_uri()))
    assert run(checkout, "pins", "update", "src") == 0
    rev = submodule_rev(upstream)
    shutil.rmtree(upstream / "sub")
    capsys.readouterr()
    assert run(checkout, "pins", "fetch", "src") == 3
    assert the_error(capsys.readouterr().err) == (
        f"rootstock: error: pin 'src': submodule 'sub' ({(upstream / 'sub').as_uri()}) cannot be reached to fetch "
        f"commit {rev} (offline? use --mirror DIR or ROOTSTOCK_MIRROR)"
    )


def test_an_upstream_submodule_without_the_recorded_commit_is_one_message(
    nix_store: Path, checkout: Path, upstream: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (checkout / "pins.toml").write_text(git_pin((upstream / "main").as_uri()))
    assert run(checkout, "pins", "update", "src") == 0
    rev = submodule_rev(upstream)
    shutil.rmtree(upstream / "sub")
    make_repo(upstream / "sub", {"other.txt": "rewritten\n"})
    capsys.readouterr()
    assert run(checkout, "pins", "verify", "src") == 3
    assert the_error(capsys.readouterr().err) == (
        f"rootstock: error: pin 'src': submodule 'sub' ({(upstream / 'sub').as_uri()}) lacks commit {rev}, which "
        "the pinned commit records; if upstream changed on purpose, review the change, then run "
        "'rootstock pins update src'"
    )


def test_a_nested_submodule_is_named_by_its_path_in_the_pin(
    nix_store: Path, checkout: Path, upstream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = tmp_path / "inner"
    inner_rev = make_repo(inner, {"deep.txt": "deep\n"})
    sub = upstream / "sub"
    git(sub, "-c", "protocol.file.allow=always", "submodule", "add", "-q", inner.as_uri(), "deps/inner")
    commit(sub, {}, "add nested submodule")
    git(upstream / "main" / "sub", "-c", "protocol.file.allow=always", "pull", "-q", "origin", "main")
    commit(upstream / "main", {}, "move the submodule")
    git(upstream / "main", "tag", "-f", "-a", "v1", "-m", "release 1")
    (checkout / "pins.toml").write_text(git_pin((upstream / "main").as_uri()))
    assert run(checkout, "pins", "update", "src") == 0
    shutil.rmtree(inner)
    capsys.readouterr()
    assert run(checkout, "pins", "fetch", "src") == 3
    assert the_error(capsys.readouterr().err) == (
        f"rootstock: error: pin 'src': submodule 'sub/deps/inner' ({inner.as_uri()}) cannot be reached to fetch "
        f"commit {inner_rev} (offline? use --mirror DIR or ROOTSTOCK_MIRROR)"
    )


def absent_file_pin(name: str, content: bytes) -> str:
    digest = Hash("sha256", hashlib.sha256(content).digest())
    return f'\n[pins.{name}]\nkind = "file"\nurls = ["https://example.invalid/{name}"]\nhash = "{digest.sri}"\n'


def test_verify_goes_on_past_pins_the_mirror_lacks_and_lists_them_once(
    nix_store: Path, checkout: Path, filled_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mirror holding only some pins (the static recipe's, say) verifies those; the others are listed at the end,
    each with what the mirror should hold, and what to do said once."""
    pins = checkout / "pins.toml"
    pins.write_text(pins.read_text() + absent_file_pin("seed-a", b"a\n") + absent_file_pin("seed-b", b"b\n"))
    loaded = load_pins(pins)
    capsys.readouterr()
    assert run(checkout, "pins", "verify", mirror=filled_mirror) == 3
    captured = capsys.readouterr()
    assert captured.out.startswith("src: ok (")
    mirror = Mirror(filled_mirror)
    expected = [
        "rootstock: error: 2 of 3 pins failed (1 passed)",
        *(
            f"  pin '{name}' is not in the mirror: expected {loaded.get(name).pin.hash.sri} at "
            f"{mirror.file_path(loaded.get(name).pin.hash)}"
            for name in ("seed-a", "seed-b")
        ),
        "  then run 'rootstock mirror fill' on a machine with network access and copy the mirror over (or import "
        "local clones and downloads with 'rootstock mirror fill MIRROR --from DIR')",
    ]
    assert captured.err.splitlines()[-4:] == expected


def test_a_changed_pin_does_not_hide_the_others_and_outweighs_absent_ones(
    nix_store: Path, checkout: Path, filled_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pins = checkout / "pins.toml"
    pins.write_text(pins.read_text() + absent_file_pin("changed", b"pinned\n") + absent_file_pin("absent", b"x\n"))
    changed = load_pins(pins).get("changed").pin.hash
    stored = Mirror(filled_mirror).file_path(changed)
    stored.parent.mkdir()
    stored.write_bytes(b"tampered\n")
    capsys.readouterr()
    assert run(checkout, "pins", "verify", mirror=filled_mirror) == 1
    captured = capsys.readouterr()
    assert "src: ok (" in captured.out
    assert "rootstock: error: 2 of 3 pins failed (1 passed)" in captured.err
    assert "  pin 'absent' is not in the mirror" in captured.err
    assert f"  hash mismatch for pin 'changed' as the mirror holds it ({stored})\n    expected: " in captured.err


def test_a_superproject_that_cannot_be_fetched_is_one_message_naming_pin_url_and_what_failed(
    nix_store: Path, checkout: Path, upstream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = (upstream / "main").as_uri()
    (checkout / "pins.toml").write_text(git_pin(url))
    assert run(checkout, "pins", "update", "src") == 0
    rev = load_pins(checkout / "pins.toml").get("src").pin.rev
    capsys.readouterr()
    # A repository that answers but lacks the pinned commit (history rewritten upstream)...
    shutil.rmtree(upstream / "main")
    make_repo(upstream / "main", {"README": "rewritten\n"})
    assert run(checkout, "pins", "fetch", "src") == 3
    assert capsys.readouterr().err.splitlines()[1:] == [
        f"rootstock: error: pin 'src': repository {url} lacks commit {rev}; if upstream changed on purpose, "
        "review the change, then run 'rootstock pins update src'"
    ]
    # ...and one that is not there at all: git's reason, in one line.
    shutil.rmtree(upstream / "main")
    assert run(checkout, "pins", "fetch", "src") == 3
    err = capsys.readouterr().err.split("\n", 1)[1]  # after the progress line
    assert err.startswith(f"rootstock: error: pin 'src': repository {url} cannot be reached to fetch commit {rev} (")
    assert err.endswith("; offline? use --mirror DIR or ROOTSTOCK_MIRROR)\n")
    assert err.count("\n") == 1
    assert "fatal: " in err


def test_a_patch_that_does_not_apply_names_both_pins_and_the_first_failing_hunk(
    nix_store: Path, checkout: Path, upstream: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "fix.patch"
    stale.write_text("--- a/README\n+++ b/README\n@@ -1 +1 @@\n-not what the file says\n+patched\n")
    url = (upstream / "main").as_uri()
    fix = f'\n[pins.fix]\nkind = "file"\nurls = ["{stale.as_uri()}"]\nhash = "{PLACEHOLDER}"\n'
    (checkout / "pins.toml").write_text(git_pin(url) + 'patches = ["fix"]\n' + fix)
    assert run(checkout, "pins", "update", "fix") == 0
    capsys.readouterr()
    assert run(checkout, "pins", "update", "src") == 3
    rev = git(upstream / "main", "rev-parse", "HEAD")
    assert capsys.readouterr().err == (
        f"rootstock: error: pin 'src': its patch, pin 'fix', does not apply to commit {rev}: README: the hunk at "
        "line 1 does not match; update the patch for this commit, or drop it from the pin's patches\n"
    )


def test_a_download_pin_without_urls_is_one_schema_error(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pins = checkout / "pins.toml"
    pins.write_text(SEED.replace('urls = ["https://example.invalid/seed"]', "urls = []"))
    assert run(checkout, "pins", "list") == 3
    assert capsys.readouterr().err == (
        f"rootstock: error: {pins}: pins.seed.urls: expected at least one URL where the file is published, "
        "got an empty array\n"
    )


@pytest.mark.parametrize("command", ["verify", "fetch"])
def test_a_damaged_mirror_file_is_blamed_not_upstream(
    nix_store: Path, checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (checkout / "pins.toml").write_text(absent_file_pin("seed", b"pinned\n"))
    pinned = load_pins(checkout / "pins.toml").get("seed").pin.hash
    mirror = tmp_path / "mirror"
    copy = Mirror(mirror).file_path(pinned)
    copy.parent.mkdir(parents=True)
    damaged = b"damaged in transit\n"
    copy.write_bytes(damaged)
    capsys.readouterr()
    assert run(checkout, "pins", command, "seed", mirror=mirror) == 1
    assert capsys.readouterr().err.splitlines()[-4:] == [
        f"rootstock: error: hash mismatch for pin 'seed' as the mirror holds it ({copy})",
        f"  expected: {pinned.sri}",
        f"  actual:   {Hash('sha256', hashlib.sha256(damaged).digest()).sri}",
        "  the mirror's copy is damaged or not the pinned one: re-fill it with "
        f"'rootstock mirror fill {mirror} seed' (offline: with --from DIR)",
    ]
