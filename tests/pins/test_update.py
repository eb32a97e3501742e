"""pins update keeps rev, tag and version consistent, and updates file pins from a local file."""

from __future__ import annotations

from pathlib import Path

import pytest

from common_support import PLACEHOLDER, commit, git, make_repo
from common_support import cli as run
from rootstock.core.nar import flat_hash, nar_hash
from rootstock.pins.convert import load_pins
from rootstock.pins.mirror import Mirror


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """An upstream with tags Release_1.0 and Release_2.0 on two commits, and one untagged commit after them."""
    repo = tmp_path / "upstream"
    make_repo(repo, {"prog": "one\n"})
    git(repo, "tag", "-a", "Release_1.0", "-m", "1.0")
    commit(repo, {"prog": "two\n"}, "two")
    git(repo, "tag", "-a", "Release_2.0", "-m", "2.0")
    commit(repo, {"prog": "three\n"}, "untagged")
    return repo


def pinned(checkout: Path, repo: Path, *, version: str = "1.0") -> None:
    (checkout / "pins.toml").write_text(
        f'# the source\n[pins.src]\nkind = "git"\nurl = "{repo.as_uri()}"\nrev = "{"0" * 40}"\ntag = "Release_1.0"\n'
        f'version = "{version}"\nhash = "{PLACEHOLDER}"\n'
    )
    assert run(checkout, "pins", "update", "src") == 0
    # Another project publishes the same hash for the pinned release.
    with (checkout / "pins.toml").open("a") as pins:
        pins.write(f'published = {{ other = "{load_pins(checkout / "pins.toml").get("src").pin.hash.sri}" }}\n')


@pytest.fixture
def tagged(nix_store: Path, checkout: Path, released: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The checkout with src pinned to Release_1.0 (version 1.0), the update's output read."""
    pinned(checkout, released)
    capsys.readouterr()
    return checkout


def tag_commit(repo: Path, tag: str) -> str:
    return git(repo, "rev-parse", f"{tag}^{{commit}}")


def test_tag_moves_rev_and_a_tag_derived_version(
    tagged: Path, released: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout = tagged
    assert run(checkout, "pins", "update", "src", "--tag", "Release_2.0") == 0
    out = capsys.readouterr().out
    assert "src.version: 1.0 -> 2.0" in out
    pin = load_pins(checkout / "pins.toml").get("src").pin
    assert (pin.rev, pin.tag, pin.version) == (tag_commit(released, "Release_2.0"), "Release_2.0", "2.0")
    assert (checkout / "pins.toml").read_text().startswith("# the source\n")
    # The old content's published hash would fail every verify; it is dropped, with a note saying so.
    assert pin.published == {}
    assert "published hashes of the old content dropped (other)" in out
    assert run(checkout, "pins", "verify", "src") == 0


def test_rev_the_tag_does_not_name_is_refused(tagged: Path, released: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkout = tagged
    before = (checkout / "pins.toml").read_text()
    head = git(released, "rev-parse", "HEAD")
    assert run(checkout, "pins", "update", "src", "--rev", head) == 3
    err = capsys.readouterr().err
    assert f"its tag 'Release_1.0' names {tag_commit(released, 'Release_1.0')}, not {head}" in err
    assert "--untag" in err
    assert "Traceback" not in err
    assert (checkout / "pins.toml").read_text() == before
    assert run(checkout, "pins", "update", "src", "--rev", head, "--tag", "Release_2.0") == 3
    assert f"tag 'Release_2.0' names {tag_commit(released, 'Release_2.0')}, not --rev {head}" in capsys.readouterr().err


def test_untag_pins_a_bare_commit_and_drops_the_tag_derived_version(tagged: Path, released: Path) -> None:
    checkout = tagged
    head = git(released, "rev-parse", "HEAD")
    assert run(checkout, "pins", "update", "src", "--rev", head, "--untag") == 0
    pin = load_pins(checkout / "pins.toml").get("src").pin
    assert (pin.rev, pin.tag, pin.version) == (head, None, None)
    assert run(checkout, "pins", "verify", "src") == 0


def test_a_hand_written_version_must_be_given_when_the_tag_changes(
    nix_store: Path, checkout: Path, released: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pinned(checkout, released, version="1.0-fixed")
    capsys.readouterr()
    assert run(checkout, "pins", "update", "src", "--tag", "Release_2.0") == 3
    assert "version '1.0-fixed' was not derived from tag 'Release_1.0'" in capsys.readouterr().err
    assert run(checkout, "pins", "update", "src", "--tag", "Release_2.0", "--version", "2.0-fixed") == 0
    assert load_pins(checkout / "pins.toml").get("src").pin.version == "2.0-fixed"


def test_unknown_tag_names_the_tag(tagged: Path, released: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkout = tagged
    assert run(checkout, "pins", "update", "src", "--tag", "Release_9") == 3
    assert f"tag 'Release_9' does not exist at {released.as_uri()}" in capsys.readouterr().err


def seed_pins(checkout: Path, url: str, old: Path) -> None:
    (checkout / "pins.toml").write_text(
        f'# seeds\n[pins.seed]\nkind = "file"\nurls = ["{url}"]\nexecutable = true\nhash = "{nar_hash(old).sri}"\n'
    )


def test_file_pin_with_a_mirror_wants_the_new_file_and_says_where_it_goes(
    nix_store: Path, checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old-seed", tmp_path / "new-seed"
    old.write_bytes(b"\x7fELF old")
    new.write_bytes(b"\x7fELF new")
    seed_pins(checkout, (tmp_path / "upstream-seed").as_uri(), old)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    capsys.readouterr()
    assert run(checkout, "pins", "update", "seed", mirror=mirror) == 3
    assert "run 'rootstock pins update seed --file PATH'" in capsys.readouterr().err
    assert run(checkout, "pins", "update", "seed", "--file", str(new), mirror=mirror) == 0
    new.chmod(0o555)
    expected = nar_hash(new)
    assert load_pins(checkout / "pins.toml").get("seed").pin.hash == expected
    where = Mirror(mirror).file_path(expected)
    assert f"add the file to the mirror before building: cp {new} {where}" in capsys.readouterr().out
    assert run(checkout, "pins", "verify", "seed", mirror=mirror) == 3
    where.parent.mkdir(parents=True)
    where.write_bytes(new.read_bytes())
    assert run(checkout, "pins", "verify", "seed", mirror=mirror) == 0


def test_file_pin_without_a_mirror_hashes_the_local_file_flat(nix_store: Path, checkout: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_bytes(b"some bytes\n")
    (checkout / "pins.toml").write_text(
        f'[pins.data]\nkind = "file"\nurls = ["{data.as_uri()}"]\nhash = "{PLACEHOLDER}"\n'
    )
    assert run(checkout, "pins", "update", "data", "--file", str(data)) == 0
    assert load_pins(checkout / "pins.toml").get("data").pin.hash == flat_hash(data)
    assert run(checkout, "pins", "verify", "data") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", "Release_2.0"], "'seed' is a file pin; --rev, --tag and --untag only apply to git pins"),
        (["--file", "/nonexistent"], "pin 'seed': --file /nonexistent is not a file"),
    ],
)
def test_file_pin_refusals(
    nix_store: Path,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    args: list[str],
    message: str,
) -> None:
    old = tmp_path / "old"
    old.write_bytes(b"x")
    seed_pins(checkout, old.as_uri(), old)
    capsys.readouterr()
    assert run(checkout, "pins", "update", "seed", *args) == 3
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_untag_without_rev_says_the_tag_is_dropped(tagged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkout = tagged
    before = (checkout / "pins.toml").read_text()
    assert run(checkout, "pins", "update", "src", "--untag") == 3
    assert capsys.readouterr().err == (
        "rootstock: error: pin 'src': --untag drops its tag 'Release_1.0', so give the commit to pin with --rev\n"
    )
    assert (checkout / "pins.toml").read_text() == before


def test_a_pin_without_a_tag_needs_a_rev_or_a_tag(
    tagged: Path, released: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout = tagged
    head = git(released, "rev-parse", "HEAD")
    assert run(checkout, "pins", "update", "src", "--rev", head, "--untag") == 0
    capsys.readouterr()
    assert run(checkout, "pins", "update", "src") == 3
    assert capsys.readouterr().err == (
        "rootstock: error: pin 'src': it has no tag to follow, so give the commit to pin with --rev "
        "(or a tag with --tag)\n"
    )


@pytest.mark.parametrize(
    ("version", "why"),
    [
        ("1.9\n[pins.evil]", "'1.9\\n[pins.evil]' holds '\\n'"),
        ("1 9", "'1 9' holds ' '"),
        (".9", "'.9' starts with '.'"),
    ],
)
def test_a_version_nix_cannot_store_is_refused_before_anything_is_written(
    tagged: Path, capsys: pytest.CaptureFixture[str], version: str, why: str
) -> None:
    checkout = tagged
    before = (checkout / "pins.toml").read_text()
    assert run(checkout, "pins", "update", "src", "--version", version) == 3
    assert capsys.readouterr().err == (
        f"rootstock: error: --version: {why}: a Nix store path name is one or more letters, digits and "
        "+ - . _ ? =, not starting with '.'\n"
    )
    assert (checkout / "pins.toml").read_text() == before


def test_an_empty_version_removes_the_version(tagged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkout = tagged
    assert run(checkout, "pins", "update", "src", "--version", "") == 0
    assert "src.version: 1.0 -> (removed)" in capsys.readouterr().out
    assert "\nversion" not in (checkout / "pins.toml").read_text()
    assert load_pins(checkout / "pins.toml").get("src").pin.version is None
