"""`mirror fill DEST --from DIR`: local clones, snapshots that lost objects and downloaded files imported into a
mirror, every pin then verified from it; and what is missing or cannot be written, said once."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from common_support import PLACEHOLDER, commit, git, make_repo
from common_support import cli as run
from rootstock.core.hashes import Hash
from rootstock.core.nar import file_nar_hash
from rootstock.errors import CommandError
from rootstock.pins import fill
from rootstock.pins.convert import load_pins
from rootstock.pins.mirror import Mirror

ZERO_REV = "0" * 40


def git_pin(name: str, url: str, *, submodules: bool = False) -> str:
    subs = "submodules = true\n" if submodules else ""
    return (
        f'[pins.{name}]\nkind = "git"\nurl = "{url}"\nrev = "{ZERO_REV}"\ntag = "v1"\n{subs}hash = "{PLACEHOLDER}"\n\n'
    )


def pin_git(checkout: Path, name: str, repo: Path, *, submodules: bool = False) -> str:
    """Pin tag v1 of repo (as `pins update` does from upstream) and return the pinned commit."""
    pins = checkout / "pins.toml"
    pins.write_text(pins.read_text() + git_pin(name, repo.as_uri(), submodules=submodules))
    assert run(checkout, "pins", "update", name) == 0
    return load_pins(pins).get(name).pin.rev


def lose(repo: Path, sha: str) -> None:
    """Delete a loose object, as a snapshot that lost old blobs (a fetch limit, a broken pack) has."""
    gitdir = repo / ".git" if (repo / ".git").is_dir() else repo
    (gitdir / "objects" / sha[:2] / sha[2:]).unlink()


def blob(repo: Path, rev: str, path: str) -> str:
    return git(repo, "rev-parse", f"{rev}:{path}")


def dest_repo(dest: Path, repo: Path) -> Path:
    return Mirror(dest).git_path(repo.as_uri())


def leftovers(tree: Path) -> list[Path]:
    """Temporary entries of atomic writes (`.NAME.<hex>.tmp`) anywhere below tree."""
    return sorted(path for path in tree.rglob(".*.tmp"))


def lines(out: str) -> dict[str, str]:
    """stdout's `name: ok (...) from ...` lines by pin name."""
    return dict(line.split(": ", 1) for line in out.splitlines())


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A clone (with a working tree) whose old history had a large file later deleted; tag v1 on the last commit,
    and a side branch."""
    repo = tmp_path / "downloads" / "clones" / "history"
    make_repo(repo, {"README": "one\n", "data/big.bin": "large test data\n"})
    git(repo, "rm", "-q", "data/big.bin")
    commit(repo, {"README": "two\n"}, "drop the test data")
    commit(repo, {"src.c": "int main(void) { return 0; }\n"}, "release")
    git(repo, "tag", "-a", "v1", "-m", "release 1")
    git(repo, "branch", "side", "HEAD~1")
    return repo


def test_a_complete_clone_is_mirrored_whole_and_verifies_offline(
    nix_store: Path, checkout: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rev = pin_git(checkout, "src", history)
    dest = tmp_path / "mirror"
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(tmp_path / "downloads")) == 0
    out = lines(capsys.readouterr().out)
    repo = dest_repo(dest, history)
    assert out["src"].endswith(f"from {history}, whole")
    assert git(repo, "rev-parse", "refs/heads/side") == git(history, "rev-parse", "side")  # every ref: vulns' history
    assert git(repo, "config", "remote.origin.url") == history.as_uri()  # a connected fill refreshes from upstream
    assert git(repo, "rev-parse", "--is-shallow-repository") == "false"
    shutil.rmtree(history)
    assert run(checkout, "pins", "verify", "src", mirror=dest) == 0
    assert rev in git(repo, "rev-list", "--all")
    assert leftovers(dest) == []


def test_a_clone_that_lost_an_old_blob_is_cut_to_the_pinned_commit_and_tag(
    nix_store: Path, checkout: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rev = pin_git(checkout, "src", history)
    lost = blob(history, "v1~2", "data/big.bin")
    lose(history, lost)
    dest = tmp_path / "mirror"
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "src", "--from", str(tmp_path / "downloads")) == 0
    out = lines(capsys.readouterr().out)
    assert out["src"].endswith(
        f"from {history}, cut to the pinned commits and tags (depth 1: the source lacks object {lost} of their history)"
    )
    repo = dest_repo(dest, history)
    assert git(repo, "rev-parse", "--is-shallow-repository") == "true"
    assert git(repo, "cat-file", "-t", "refs/tags/v1") == "tag"  # the annotated tag: `pins verify` checks it
    assert git(repo, "rev-parse", "refs/tags/v1^{commit}") == rev
    assert run(checkout, "pins", "verify", "src", mirror=dest) == 0


def test_a_blob_lost_only_from_another_branch_keeps_the_pinned_history(
    nix_store: Path, checkout: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pin_git(checkout, "src", history)
    git(history, "checkout", "-q", "side")
    commit(history, {"side.bin": "only on the side branch\n"}, "side work")
    lost = blob(history, "side", "side.bin")
    lose(history, lost)
    dest = tmp_path / "mirror"
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(tmp_path / "downloads")) == 0
    assert lines(capsys.readouterr().out)["src"].endswith(
        f"from {history}, only the pinned commits and tags with their history (the source lacks object {lost} of "
        "other refs' history)"
    )
    repo = dest_repo(dest, history)
    assert git(repo, "rev-parse", "--is-shallow-repository") == "false"
    assert git(repo, "for-each-ref", "--format=%(refname)") == "refs/tags/v1"
    assert git(repo, "rev-list", "--count", "v1") == "3"
    assert run(checkout, "pins", "verify", "src", mirror=dest) == 0


def test_verify_names_an_object_missing_from_the_mirror_and_fill_from_repairs_it(
    nix_store: Path, checkout: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rev = pin_git(checkout, "src", history)
    lost = blob(history, "v1~2", "data/big.bin")
    lose(history, lost)
    dest = tmp_path / "mirror"
    repo = dest_repo(dest, history)
    # A mirror made by copying the snapshot as it is (`git clone --mirror` of a local path checks nothing).
    git(tmp_path, "clone", "-q", "--mirror", "--no-hardlinks", str(history), str(repo))
    capsys.readouterr()
    assert run(checkout, "pins", "verify", "src", mirror=dest) == 3
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"rootstock: error: pin 'src': object {lost} of the history of commit {rev} is missing from the mirror's "
        f"copy of {history.as_uri()} ({repo}): re-import it with 'rootstock mirror fill {dest} --from DIR', which "
        "cuts the history of a copy that lacks objects"
    )
    assert "cannot reach" not in err
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(history)) == 0
    assert run(checkout, "pins", "verify", "src", mirror=dest) == 0


def test_a_second_fill_keeps_what_the_mirror_already_holds(
    nix_store: Path, checkout: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pin_git(checkout, "src", history)
    dest = tmp_path / "mirror"
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(history)) == 0
    inode = dest_repo(dest, history).stat().st_ino
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(history)) == 0
    assert lines(capsys.readouterr().out)["src"].endswith(f"from {dest_repo(dest, history)}: already in the mirror")
    assert dest_repo(dest, history).stat().st_ino == inode


@pytest.fixture
def with_submodule(tmp_path: Path) -> Path:
    """upstream/main records upstream/sub as a submodule (checked out in main's working tree); tag v1."""
    up = tmp_path / "upstream"
    make_repo(up / "sub", {"lib.txt": "from the submodule\n"})
    make_repo(up / "main", {"README": "main\n"})
    git(up / "main", "-c", "protocol.file.allow=always", "submodule", "add", "-q", (up / "sub").as_uri(), "sub")
    commit(up / "main", {}, "add submodule")
    git(up / "main", "tag", "-a", "v1", "-m", "release 1")
    return up


def test_submodules_come_from_any_repository_holding_their_commits(
    nix_store: Path, checkout: Path, with_submodule: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main, sub = with_submodule / "main", with_submodule / "sub"
    pin_git(checkout, "src", main, submodules=True)
    dest = tmp_path / "mirror"
    # Snapshots as bare repositories named by owner and project, the way a download service lays them out.
    snapshots = tmp_path / "snapshots"
    for repo, name in ((main, "me+main"), (sub, "me+sub")):
        git(tmp_path, "clone", "-q", "--bare", str(repo), str(snapshots / name / "repo"))
    shutil.rmtree(with_submodule)
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(snapshots), "src") == 0
    assert lines(capsys.readouterr().out)["src"].endswith(f"from {snapshots / 'me+main' / 'repo'}, whole")
    assert dest_repo(dest, sub).is_dir()
    assert run(checkout, "pins", "verify", "src", mirror=dest) == 0


def test_a_submodule_no_source_holds_is_listed_and_its_pin_not_verified(
    nix_store: Path, checkout: Path, with_submodule: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main, sub = with_submodule / "main", with_submodule / "sub"
    pin_git(checkout, "src", main, submodules=True)
    sub_rev = git(main, "rev-parse", "HEAD:sub")
    only_main = tmp_path / "only-main"
    git(tmp_path, "clone", "-q", "--bare", str(main), str(only_main / "main.git"))
    dest = tmp_path / "mirror"
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(only_main)) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1] == (
        f"rootstock: error: pin 'src' has no source in {only_main}: looked for a repository of {sub.as_uri()} "
        f"holding commit {sub_rev}; add a directory holding it with another --from, or fill it from upstream on a "
        "machine with network access"
    )
    assert not dest_repo(dest, sub).exists()


@pytest.mark.usefixtures("nix_store")
def test_a_clone_without_the_pinned_tag_is_no_source(
    checkout: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rev = pin_git(checkout, "src", history)
    untagged = tmp_path / "untagged" / "history.git"
    git(tmp_path, "clone", "-q", "--bare", "--no-tags", history.as_uri(), str(untagged))
    dest = tmp_path / "mirror"
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(untagged.parent)) == 3
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .startswith(
            f"rootstock: error: pin 'src' has no source in {untagged.parent}: looked for a repository of "
            f"{history.as_uri()} holding commit {rev} (tag 'v1') with its tags ({untagged} holds the commit "
            "without them)"
        )
    )
    assert not dest_repo(dest, history).exists()


def make_tarball(path: Path, content: bytes) -> bytes:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("pkg-1.0/data.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return path.read_bytes()


SEED = b"\x7fELF a seed\n"


@pytest.fixture
def debian(checkout: Path, tmp_path: Path) -> Path:
    """What `apt-get source --download-only` and `pip download` leave: an orig tarball named Debian's way, its
    .dsc and debian tarball (which match no pin), and a seed that lost its executable bit; the pins name
    upstream's URLs."""
    downloads = tmp_path / "srcdl"
    downloads.mkdir()
    orig = make_tarball(downloads / "pkg_1.0.orig.tar.gz", b"upstream's release\n")
    (downloads / "pkg_1.0-1.dsc").write_text("Format: 3.0 (quilt)\nSource: pkg\n")
    make_tarball(downloads / "pkg_1.0-1.debian.tar.gz", b"debian/ packaging\n")
    (downloads / "nested" / "package" / "deps").mkdir(parents=True)
    (downloads / "nested" / "package" / "deps" / "seed").write_bytes(SEED)
    (checkout / "pins.toml").write_text(
        f'[pins.pkg]\nkind = "tarball"\nurls = ["https://example.invalid/pkg-1.0.tar.gz"]\nversion = "1.0"\n'
        f'hash = "{Hash("sha256", hashlib.sha256(orig).digest()).sri}"\n\n'
        f'[pins.seed]\nkind = "file"\nurls = ["https://example.invalid/seed"]\nexecutable = true\n'
        f'hash = "{file_nar_hash(SEED, executable=True).sri}"\n'
    )
    return downloads


def test_downloaded_files_are_found_by_their_hash_whatever_their_name(
    nix_store: Path, checkout: Path, debian: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "mirror"
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(debian)) == 0
    out = lines(capsys.readouterr().out)
    pins = load_pins(checkout / "pins.toml")
    assert out == {
        "pkg": f"ok ({pins.get('pkg').pin.hash.sri}) from {debian / 'pkg_1.0.orig.tar.gz'}",
        "seed": f"ok ({pins.get('seed').pin.hash.sri}) from {debian / 'nested' / 'package' / 'deps' / 'seed'}",
    }
    stored = Mirror(dest).file_path(pins.get("pkg").pin.hash)
    assert stored.read_bytes() == (debian / "pkg_1.0.orig.tar.gz").read_bytes()
    assert sorted(path.name for path in (dest / "files").iterdir()) == sorted(
        Mirror(dest).file_path(pins.get(name).pin.hash).name for name in ("pkg", "seed")
    )
    assert run(checkout, "pins", "verify", mirror=dest) == 0


def test_each_file_is_hashed_once(
    nix_store: Path, checkout: Path, debian: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rootstock.pins import sources

    hashed: list[tuple[Path, str]] = []
    real = sources._hash_as
    monkeypatch.setattr(sources, "_hash_as", lambda path, kind: hashed.append((path, kind)) or real(path, kind))
    # A pin nothing holds makes every file be hashed for it, after the others; and the same directory twice (two
    # --from) makes the walk find each file twice: each is still hashed once for each way pins hash files.
    pins = checkout / "pins.toml"
    absent = Hash("sha256", hashlib.sha256(b"nothing has these bytes").digest()).sri
    pins.write_text(
        pins.read_text() + f'\n[pins.absent]\nkind = "file"\nurls = ["https://x.invalid/a"]\nhash = "{absent}"\n'
    )
    assert run(checkout, "mirror", "fill", str(tmp_path / "mirror"), "--from", str(debian), "--from", str(debian)) == 3
    assert len(hashed) == len(set(hashed))
    assert {path for path, kind in hashed if kind == "flat"} == {path for path in debian.rglob("*") if path.is_file()}


def test_an_unpacked_tarball_pin_is_found_under_its_upstream_name(
    nix_store: Path, checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream = tmp_path / "pkg-1.0.tar.gz"
    make_tarball(upstream, b"unpacked\n")
    (checkout / "pins.toml").write_text(
        f'[pins.pkg]\nkind = "tarball"\nurls = ["{upstream.as_uri()}"]\nunpack = true\nhash = "{PLACEHOLDER}"\n'
    )
    assert run(checkout, "pins", "update", "pkg") == 0
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    upstream.rename(downloads / upstream.name)
    dest = tmp_path / "mirror"
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(downloads)) == 0
    assert "pkg: ok" in capsys.readouterr().out
    assert run(checkout, "pins", "verify", mirror=dest) == 0


def test_a_file_named_as_upstream_with_other_bytes_is_no_source(
    nix_store: Path, checkout: Path, debian: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (debian / "pkg_1.0.orig.tar.gz").unlink()
    make_tarball(debian / "pkg-1.0.tar.gz", b"another release under the same name\n")
    pinned = load_pins(checkout / "pins.toml").get("pkg").pin.hash
    dest = tmp_path / "mirror"
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(debian)) == 3
    captured = capsys.readouterr()
    assert captured.out.startswith("seed: ok")  # the rest is imported and verified all the same
    assert captured.err.splitlines()[-1] == (
        f"rootstock: error: pin 'pkg' has no source in {debian}: looked for a file with sha256 {pinned.hex} "
        f"({pinned.sri}), upstream https://example.invalid/pkg-1.0.tar.gz; add a directory holding it with another "
        "--from, or fill it from upstream on a machine with network access"
    )
    assert not Mirror(dest).file_path(pinned).exists()
    assert leftovers(dest) == []


@pytest.mark.usefixtures("nix_store")
def test_every_pin_without_a_source_is_listed_with_what_was_looked_for(
    checkout: Path, history: Path, debian: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rev = pin_git(checkout, "src", history)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(checkout, "mirror", "fill", str(tmp_path / "mirror"), "--from", str(empty)) == 3
    err = capsys.readouterr().err
    assert f"rootstock: error: 3 of 3 pins failed (0 passed)\n  pin 'pkg' has no source in {empty}: " in err
    assert f"pin 'src' has no source in {empty}: looked for a repository of {history.as_uri()} holding " in err
    assert f"commit {rev} (tag 'v1')" in err
    assert "pin 'seed' has no source" in err
    assert err.count("add a directory holding it with another --from") == 1


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_from_that_is_not_a_directory(
    checkout: Path, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "srcdl"
    if kind == "file":
        source.write_text("not a directory\n")
    (checkout / "pins.toml").write_text(git_pin("src", "https://example.invalid/src"))
    assert run(checkout, "mirror", "fill", str(tmp_path / "mirror"), "--from", str(source)) == 3
    what = "does not exist" if kind == "missing" else "is not a directory"
    assert capsys.readouterr().err == (
        f"rootstock: error: --from {source} {what}: expected a directory of git repositories and downloaded files\n"
    )
    assert not (tmp_path / "mirror").exists()


@pytest.mark.parametrize("offline", [True, False])
def test_a_mirror_that_is_a_file_is_refused_before_anything_is_read(
    checkout: Path, debian: Path, tmp_path: Path, offline: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "mirror"
    dest.write_text("a file\n")
    assert run(checkout, "mirror", "fill", str(dest), *(["--from", str(debian)] if offline else [])) == 4
    assert capsys.readouterr().err == (
        f"rootstock: error: cannot write {dest}: not a directory\n"
        "  the mirror is a directory; name another or move the file away\n"
    )
    assert dest.read_text() == "a file\n"


@pytest.fixture
def immutable_mirror(tmp_path: Path) -> Iterator[Path]:
    """A mirror directory nobody may write into, not even root (chattr +i), where the file system supports it."""
    directory = tmp_path / "mirror"
    directory.mkdir()
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", directory], check=False, capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    yield directory
    subprocess.run([chattr, "-i", directory], check=True)


def test_a_read_only_mirror_is_one_message(
    checkout: Path, debian: Path, immutable_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(checkout, "mirror", "fill", str(immutable_mirror), "--from", str(debian)) == 4
    err = capsys.readouterr().err
    assert err.startswith(f"rootstock: error: cannot write {immutable_mirror / '.rootstock-write-test'}: ")
    assert "Operation not permitted" in err
    assert "immutable" in err
    assert "Traceback" not in err
    assert list(immutable_mirror.iterdir()) == []


@pytest.mark.usefixtures("nix_store")
def test_a_failed_import_leaves_nothing_half_written(
    checkout: Path, history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rootstock.host import git as host_git

    pin_git(checkout, "src", history)
    real = host_git.copy_repository

    def copy_then_fail(source: Path, dest: Path) -> None:
        real(source, dest)
        raise KeyboardInterrupt

    monkeypatch.setattr(host_git, "copy_repository", copy_then_fail)
    dest = tmp_path / "mirror"
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(history)) == 130
    assert not dest_repo(dest, history).exists()
    assert leftovers(dest) == []


@pytest.mark.usefixtures("nix_store")
def test_a_repository_named_with_and_without_git_is_imported_once(
    checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """stage0-posix records `…/M2-Planet.git` as a submodule while the pin mes-m2-planet says `…/M2-Planet`: one
    repository of the mirror, holding the commits of both."""
    up = tmp_path / "upstream"
    make_repo(up / "lib.git", {"lib.c": "int v1;\n"})
    make_repo(up / "main", {"README": "main\n"})
    git(up / "main", "-c", "protocol.file.allow=always", "submodule", "add", "-q", (up / "lib.git").as_uri(), "lib")
    commit(up / "main", {}, "add submodule")
    git(up / "main", "tag", "-a", "v1", "-m", "v1")
    commit(up / "lib.git", {"lib.c": "int v2;\n"}, "newer")
    git(up / "lib.git", "tag", "-a", "v1", "-m", "v1")
    pin_git(checkout, "main-src", up / "main", submodules=True)
    pin_git(checkout, "lib-src", up / "lib")
    dest = tmp_path / "mirror"
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "--from", str(up)) == 0
    assert capsys.readouterr().err.count(" importing ") == 2
    assert sorted(path.name for path in dest_repo(dest, up / "main").parent.iterdir()) == ["lib.git", "main.git"]
    assert run(checkout, "pins", "verify", mirror=dest) == 0


@pytest.mark.usefixtures("nix_store")
def test_a_source_git_cannot_read_is_named_with_gits_last_line(
    checkout: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What git says of a pack that no longer inflates, while it copies the repository (not reproducible with a
    # few bytes changed: git then mostly fails to see the pinned commit at all, which is "no source").
    pin_git(checkout, "src", history)

    def damaged(source: Path, dest: Path) -> None:
        stderr = "error: inflate: data stream error (incorrect header check)\nfatal: packed object 1234 is corrupt"
        raise CommandError(["git", "clone", "--bare", str(source), str(dest)], 128, stderr)

    monkeypatch.setattr(fill.git, "copy_repository", damaged)
    dest = tmp_path / "mirror"
    capsys.readouterr()
    assert run(checkout, "mirror", "fill", str(dest), "src", "--from", str(tmp_path / "downloads")) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[-2:] == [
        f"rootstock: error: pin 'src': {history}: git cannot read the objects of this repository of "
        f"{history.as_uri()}; "
        "repair or replace it",
        "  git: fatal: packed object 1234 is corrupt",
    ]
    assert not dest_repo(dest, history).exists()
