"""The pins file: strict loading with the path of every bad field, and in-place edits that keep comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootstock.errors import InputError
from rootstock.pins.convert import load_pins, update_pin_fields
from rootstock.pins.model import FilePin, GitPin

HASH = "sha256-DCzZduYrix9yOeJoem/Jhz/WDzAss7UWwjZbkXJq6Ms="
REV = "45d90f5955b6907dc6cdea9ebafce558359edcd3"
GOOD = f"""\
# header comment survives edits
[pins.src]
kind = "git"  # trailing comment survives too
url = "https://example.invalid/src"
rev = "{REV}"
tag = "v1"
submodules = true
hash = "{HASH}"
remove = ["vendor/*"]

[pins.seed]
kind = "file"
urls = ["https://example.invalid/seed"]
executable = true
hash = "{HASH}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pins.toml"
    path.write_text(text)
    return path


def test_good_file_loads_in_order(tmp_path: Path) -> None:
    pins = load_pins(write(tmp_path, GOOD))
    assert pins.names() == ["src", "seed"]
    src = pins.get("src")
    assert isinstance(src.pin, GitPin)
    assert src.pin.remove == ("vendor/*",)
    assert src.store_name == "src-45d90f5-source"
    seed = pins.get("seed").pin
    assert isinstance(seed, FilePin)
    assert seed.recursive


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('hash = "' + HASH + '"\nremove', 'hash = "sha256-short"\nremove'), "pins.src.hash: expected an SRI sha256"),
        (("submodules = true", 'submodules = "yes"'), "pins.src.submodules: expected a boolean"),
        (("submodules = true", "submodules = true\ncolour = 1"), "pins.src: unknown key(s) colour"),
        ((f'rev = "{REV}"', 'rev = "main"'), "pins.src.rev: expected a full 40-character"),
        (('kind = "file"', 'kind = "svn"'), "pins.seed: 'kind' must be one of"),
        (('urls = ["https://example.invalid/seed"]\n', ""), "pins.seed.urls: required key is missing"),
        (
            ("submodules = true", 'submodules = true\nlicense = "GPLv2"'),
            "pins.src.license: 'GPLv2' names identifiers not on the SPDX licence list: GPLv2",
        ),
        (
            ("executable = true", 'executable = true\nlicense = "MIT OR"'),
            "pins.seed.license: 'MIT OR' is not a well-formed",
        ),
        (
            ("submodules = true", 'submodules = true\nsupplier = "Example Corp"'),
            "pins.src.supplier: expected an email address (name@example.org, or mailto:…) or an http(s) URL",
        ),
    ],
)
def test_each_bad_field_is_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(InputError) as info:
        load_pins(write(tmp_path, GOOD.replace(*change, 1)))
    assert message in str(info.value)


def test_hand_kept_licence_and_supplier_load(tmp_path: Path) -> None:
    text = GOOD.replace("submodules = true", 'submodules = true\nlicense = "0BSD"\nsupplier = "https://example.org"')
    pin = load_pins(write(tmp_path, text)).get("src").pin
    assert (pin.license, pin.supplier) == ("0BSD", "https://example.org")


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[pins.src\nkind = 1\n")
    with pytest.raises(InputError, match=r"pins\.toml: malformed TOML"):
        load_pins(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="pins file not found"):
        load_pins(tmp_path / "pins.toml")


def test_unknown_pin_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no pin named 'nope' \(known pins: src, seed\)"):
        load_pins(write(tmp_path, GOOD)).get("nope")


def test_update_keeps_comments_and_order(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    new_rev = "a" * 40
    update_pin_fields(path, "src", {"rev": new_rev})
    text = path.read_text()
    assert text == GOOD.replace(REV, new_rev)


def test_invalid_update_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(InputError, match=r"pins\.src\.rev"):
        update_pin_fields(path, "src", {"rev": "not-a-commit"})
    assert path.read_text() == GOOD


def test_published_hashes_are_compared(tmp_path: Path) -> None:
    from rootstock.errors import HashMismatchError
    from rootstock.pins.verify import check_published

    agreeing = GOOD.replace("remove = [", f'published = {{ nixpkgs = "{HASH}" }}\nremove = [')
    assert check_published(load_pins(write(tmp_path, agreeing)).get("src")) == ["nixpkgs"]
    other = "sha256-UNoyb2teqH26VM7YoOcazyqZ0AlDae045aWc31ZHFdw="
    disagreeing = GOOD.replace("remove = [", f'published = {{ nixpkgs = "{other}" }}\nremove = [')
    with pytest.raises(HashMismatchError, match="nixpkgs's published hash"):
        check_published(load_pins(write(tmp_path, disagreeing)).get("src"))


@pytest.mark.parametrize(
    "text",
    [
        # nix-prefetch-git before 2023: only the nix-base32 digest
        '{"url": "u", "rev": "r", "date": "d", "fetchSubmodules": true, "deepClone": false, "leaveDotGit": false,'
        ' "sha256": "0c2cd976e62b8b1f7239e2687a6fc9873fd60f302cb3b516c2365b91726ae8cb"}',
        # current nix-prefetch-git: SRI 'hash' and the store 'path'
        f'{{"url": "u", "rev": "r", "path": "/nix/store/x-src", "sha256": "ignored", "hash": "{HASH}",'
        ' "fetchLFS": false, "fetchSubmodules": true, "deepClone": false, "leaveDotGit": false}',
    ],
)
def test_prefetch_git_json_shapes(text: str) -> None:
    from rootstock.core.hashes import Hash
    from rootstock.host.nix import parse_prefetch_git_json

    assert parse_prefetch_git_json(text).hash == Hash.parse(HASH)


def test_prefetch_git_without_hash_is_rejected() -> None:
    from rootstock.host.nix import parse_prefetch_git_json

    with pytest.raises(InputError, match="no 'hash' or 'sha256'"):
        parse_prefetch_git_json('{"url": "u"}')


PATCH = f'\n[pins.fix]\nkind = "file"\nurls = ["https://example.invalid/fix.patch"]\nhash = "{HASH}"\n'


def test_a_patch_pin_that_exists_and_is_a_file_loads(tmp_path: Path) -> None:
    pins = load_pins(write(tmp_path, GOOD.replace('remove = ["vendor/*"]', 'patches = ["fix"]') + PATCH))
    src = pins.get("src").pin
    assert isinstance(src, GitPin)
    assert src.patches == ("fix",)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("nosuchpin", "pins.src.patches item 1: no pin named 'nosuchpin'; a patch is the name of a file pin"),
        ("src", "pins.src.patches item 1: pin 'src' is a git pin; a patch is the name of a file pin"),
    ],
)
def test_a_patch_naming_no_file_pin_fails_at_load(tmp_path: Path, patch: str, message: str) -> None:
    path = write(tmp_path, GOOD.replace('remove = ["vendor/*"]', f'patches = ["{patch}"]') + PATCH)
    with pytest.raises(InputError) as info:
        load_pins(path)
    assert str(info.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("table", "where"),
    [("[pins.Bad_Name]", "pins.Bad_Name"), ('[pins."a b"]', 'pins."a b"'), ("[pins.-x]", "pins.-x")],
)
def test_a_bad_pin_name_is_one_line_without_internals(tmp_path: Path, table: str, where: str) -> None:
    path = write(tmp_path, GOOD.replace("[pins.seed]", table))
    with pytest.raises(InputError) as info:
        load_pins(path)
    assert str(info.value) == (
        f"{path}: {where}: a pin name is lower-case letters, digits and '-' (or '.', '_', '+'), "
        "starting with a letter or digit"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Strings and tables are iterable: without a check they became tuples of characters or of keys.
        (
            ('remove = ["vendor/*"]', 'remove = "vendor/*"'),
            "pins.src.remove: expected an array, got a string 'vendor/*'",
        ),
        (
            ('urls = ["https://example.invalid/seed"]', 'urls = { a = "https://example.invalid/seed" }'),
            "pins.seed.urls: expected an array, got a table {'a': 'https://example.invalid/seed'}",
        ),
        (('remove = ["vendor/*"]', "published = [1]"), "pins.src.published: expected a table, got an array [1]"),
        (
            ('remove = ["vendor/*"]', 'published = { "a b" = 1 }'),
            'pins.src.published."a b": expected an SRI sha256 hash string, got an integer 1',
        ),
        (('kind = "file"\n', ""), "pins.seed: required key 'kind' is missing (git, file, tarball)"),
    ],
)
def test_schema_errors_are_one_line_in_the_file_s_words(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(InputError) as info:
        load_pins(path)
    assert str(info.value) == f"{path}: {message}"


def test_pins_that_are_not_tables_are_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "pins = 1\n")
    with pytest.raises(InputError) as info:
        load_pins(path)
    assert str(info.value) == f"{path}: pins: expected [pins.<name>] tables, got an integer 1"


def test_several_bad_fields_are_listed_under_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("submodules = true", 'submodules = "yes"').replace("[pins.seed]", "[pins.Seed]")
    )
    with pytest.raises(InputError) as info:
        load_pins(path)
    assert str(info.value).splitlines() == [
        f"{path}: invalid pins",
        "  pins.src.submodules: expected a boolean, got a string 'yes'",
        "  pins.Seed: a pin name is lower-case letters, digits and '-' (or '.', '_', '+'), starting with a letter or "
        "digit",
    ]


def test_an_unknown_pin_among_many_names_the_closest_and_counts_the_rest(tmp_path: Path) -> None:
    many = "".join(
        f'[pins.seed-{i}]\nkind = "file"\nurls = ["https://example.invalid/{i}"]\nhash = "{HASH}"\n' for i in range(30)
    )
    with pytest.raises(InputError) as info:
        load_pins(write(tmp_path, many)).get("seed-2x")
    assert str(info.value) == (
        "no pin named 'seed-2x' (known pins: seed-2, seed-29, seed-28, seed-0, seed-1, seed-3, seed-4, seed-5 "
        "and 22 more)"
    )


RULE = "a Nix store path name is one or more letters, digits and + - . _ ? =, not starting with '.'"


@pytest.mark.parametrize(
    ("version", "why"),
    [
        ('"1 9"', "'1 9' holds ' '"),
        ('"1.9\\n[pins.evil]"', "'1.9\\n[pins.evil]' holds '\\n'"),
        ('""', "'' is empty"),
    ],
)
def test_a_version_nix_cannot_store_is_refused_at_load(tmp_path: Path, version: str, why: str) -> None:
    path = write(tmp_path, GOOD.replace('tag = "v1"', f'tag = "v1"\nversion = {version}', 1))
    with pytest.raises(InputError) as info:
        load_pins(path)
    assert str(info.value) == f"{path}: pins.src.version: {why}: {RULE}"
    assert info.value.exit_code == 3


@pytest.mark.parametrize("text", ["", "# every pin was cut off\n", "[pins]\n"])
def test_a_file_without_pins_is_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_pins(path)
    assert str(info.value) == f"{path}: defines no pins (expected [pins.<name>] tables)"
