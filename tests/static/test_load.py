"""static-nix.toml: the repository's recipe loads, and each kind of bad recipe is one message naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from common_support import REPO
from rootstock.errors import InputError
from rootstock.pins.convert import load_pins
from rootstock.static.load import load_recipe

PINS = """
[pins.a-src]
kind = "tarball"
urls = ["https://example.org/a.tar.gz"]
hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
"""
GOOD = """
default_toolchain = "host"
subject = "b"
host_paths = ["/usr", "/bin"]
host_tools = ["/usr/bin/make", "/usr/bin/gcc"]
[toolchain.host]
kind = "host"
cc = ["gcc"]
cxx = ["g++"]
[[package]]
name = "a"
source = "a-src"
build = "make"
[[package]]
name = "b"
source = "a-src"
build = "cmake"
deps = ["a"]
"""


def load(tmp_path: Path, recipe: str) -> object:
    (tmp_path / "pins.toml").write_text(PINS)
    (tmp_path / "static-nix.toml").write_text(recipe)
    return load_recipe(tmp_path, load_pins(tmp_path / "pins.toml"))


def test_the_repository_recipe_builds_nix_from_pins_only() -> None:
    recipe = load_recipe(REPO, load_pins(REPO / "pins.toml"))
    names = [p.name for p in recipe.package]
    assert recipe.subject == "nix" and names[-1] == "nix"
    nix = recipe.package[-1]
    assert set(nix.deps) == set(names[:-1])
    assert recipe.toolchain[recipe.default_toolchain].kind == "zig"


def test_a_good_recipe_loads(tmp_path: Path) -> None:
    assert [p.name for p in load(tmp_path, GOOD).package] == ["a", "b"]


def test_no_recipe_is_an_empty_one(tmp_path: Path) -> None:
    (tmp_path / "pins.toml").write_text(PINS)
    assert load_recipe(tmp_path, load_pins(tmp_path / "pins.toml")).package == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('deps = ["a"]', 'deps = ["c"]'), r"package 'b': dependency 'c' is not a package listed before it"),
        (
            ('source = "a-src"\nbuild = "make"', 'source = "zz"\nbuild = "make"'),
            r"static-nix\.toml: package 'a': source: no pin named 'zz' in the pins file",
        ),
        (('build = "make"', 'build = "bazel"'), r"package 1 \('a'\): build"),
        (('build = "make"', 'build = "script"\nscript = "none"'), r"build script nix/static/scripts/none\.sh"),
        (('build = "make"', 'build = "make"\nflavour = 1'), r"package 1 \('a'\): unknown key\(s\) flavour"),
        (('subject = "b"', 'subject = "x"'), r"subject: 'x' is not a package"),
        (('cxx = ["g++"]', ""), r"toolchain 'host': a host toolchain needs `cc` and `cxx`"),
        (("[[package]]", "[[package]]\n["), r"malformed TOML"),
        (
            ('subject = "b"', 'subject = "b"\nbinary = "../../etc/passwd"'),
            r"binary: '\.\./\.\./etc/passwd' is not a path inside",
        ),
        (
            ('subject = "b"', 'subject = "b"\nbinary = "/bin/sh"'),
            r"binary: '/bin/sh' is not a path inside the subject's output",
        ),
        (
            ('host_paths = ["/usr", "/bin"]', 'host_paths = ["usr"]'),
            r"host_paths: 'usr' is not an absolute path without '\.\.'",
        ),
        (
            ('host_tools = ["/usr/bin/make", "/usr/bin/gcc"]', 'host_tools = ["make", "bin/sh"]'),
            r"host_tools: 'bin/sh' is neither a program name \(looked up on PATH\) nor an absolute path",
        ),
        (('host_tools = ["/usr/bin/make", "/usr/bin/gcc"]', ""), r"host_tools: list the host programs the builds run"),
        (
            ('build = "make"', 'build = "script"\nscript = "../../../x"'),
            r"script: '\.\./\.\./\.\./x' is not the name of a script",
        ),
    ],
)
def test_bad_recipes_are_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        load(tmp_path, GOOD.replace(*change, 1))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('cc = ["gcc"]', 'cc = "gcc"'), "toolchain.host.cc: expected an array, got a string 'gcc'"),
        (
            ('kind = "host"', 'kind = "gcc"'),
            "toolchain.host.kind: expected one of 'zig', 'host', got a string 'gcc'",
        ),
        (
            ('build = "make"', 'build = "bazel"'),
            "package 1 ('a'): build: expected one of 'configure', 'autogen', 'cmake', 'meson', 'make', 'script', "
            "got a string 'bazel'",
        ),
        (
            ('build = "make"', 'build = "make"\nevidence = "yes"'),
            "package 1 ('a'): evidence: expected a boolean, got a string 'yes'",
        ),
        (('subject = "b"', 'subject = "b"\ncolour = 1'), "unknown key(s) colour"),
        (
            ('subject = "b"', 'subject = "b"\nsbom_creator = "the build team"'),
            "sbom_creator: expected an email address (name@example.org, or mailto:…) or an http(s) URL, "
            "got 'the build team'",
        ),
        (
            ('subject = "b"', 'subject = "b"\nsource_date_epoch = "1980"'),
            "source_date_epoch: expected an integer, got a string '1980'",
        ),
        (
            ('subject = "b"', 'subject = "b"\nsource_date_epoch = -5'),
            "source_date_epoch: expected whole seconds since the epoch, an integer from 0 to 253402300799 "
            "(the end of year 9999), got -5",
        ),
        (
            ('subject = "b"', 'subject = "b"\nsource_date_epoch = 99999999999999'),
            "source_date_epoch: expected whole seconds since the epoch, an integer from 0 to 253402300799 "
            "(the end of year 9999), got 99999999999999",
        ),
    ],
)
def test_a_bad_field_is_one_line_in_the_file_s_words(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(InputError) as info:
        load(tmp_path, GOOD.replace(*change, 1))
    assert str(info.value) == f"{tmp_path / 'static-nix.toml'}: {message}"


RULE = "a Nix store path name is one or more letters, digits and + - . _ ? =, not starting with '.'"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('name = "a"', 'name = "a b"'), f"package 1 ('a b'): name: 'a b' holds ' ': {RULE}"),
        (("[toolchain.host]", '[toolchain."my host"]'), f"toolchain.\"my host\": 'my host' holds ' ': {RULE}"),
    ],
)
def test_a_package_or_toolchain_name_nix_cannot_store_is_refused(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(InputError) as info:
        load(tmp_path, GOOD.replace(*change, 1))
    assert str(info.value) == f"{tmp_path / 'static-nix.toml'}: {message}"
