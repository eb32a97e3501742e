"""The static build's manifest: typed, made from the recipe and the pins, written and read back through the one
converter without changing a byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rootstock.errors import InputError
from rootstock.pins.convert import structure_pins
from rootstock.sbom import manifest as mf
from rootstock.schema import converter
from rootstock.static.manifest import build_manifest, write_manifest
from rootstock.static.model import Recipe

SRI = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
STORE = Path("/nix/store")
WHEEL = "https://files.pythonhosted.org/packages/py3/z/ziglang/ziglang-0.17.1-py3-none-manylinux_2_12_x86_64.whl"
REV = "51b7f2abdade71cd9bb0e7a373ef2610ec6f9daf"
PINS = structure_pins(
    {
        "pins": {
            "greet-src": {
                "kind": "git",
                "url": "https://github.com/example/greet",
                "rev": REV,
                "hash": SRI,
                "version": "1.0",
                "cpe": "cpe:2.3:a:example:greet",
                "license": "0BSD",
            },
            "app-src": {
                "kind": "tarball",
                "urls": ["https://example.org/app-src.tar.gz"],
                "hash": SRI,
                "version": "1.0",
            },
            "zig-wheel": {"kind": "file", "urls": [WHEEL], "hash": SRI, "supplier": "https://ziglang.org"},
        }
    },
    "pins.toml",
)
RECIPE = converter.structure(
    {
        "system": "x86_64-linux",
        "host_tools": ["/usr/bin/make"],
        "default_toolchain": "zig",
        "subject": "app",
        "source_date_epoch": 315532800,
        "sbom_creator": "mailto:sbom@example.org",
        "toolchain": {
            "zig": {"kind": "zig", "pin": "zig-wheel", "target": "x86_64-linux-musl"},
            "host": {"kind": "host", "cc": ["/usr/bin/gcc"], "cxx": ["/usr/bin/g++"]},
        },
        "package": [
            {"name": "greet", "source": "greet-src", "build": "make"},
            {"name": "app", "source": "app-src", "build": "cmake", "deps": ["greet"], "evidence": True},
        ],
    },
    Recipe,
)


def manifest(toolchain: str) -> mf.Manifest:
    return build_manifest(
        RECIPE,
        PINS,
        toolchain,
        built={"greet": STORE / "g-greet-1.0", "app": STORE / "a-app-1.0"},
        sources={name: STORE / f"s-{name}" for name in PINS.names()},
        toolchain_out=STORE / "t-toolchain",
        evidence=STORE / "e-app-1.0-evidence",
    )


def test_the_manifest_comes_from_the_recipe_and_the_pins() -> None:
    zig = manifest("zig")
    assert zig.subject == mf.SubjectSpec(
        "app", "1.0", url="https://example.org/app-src.tar.gz", source="/nix/store/s-app-src"
    )
    assert [(d.name, d.prefix, d.source) for d in zig.dependencies] == [
        ("greet", "/nix/store/g-greet-1.0", "/nix/store/s-greet-src"),
        ("zig-wheel", "/nix/store/t-toolchain", "/nix/store/s-zig-wheel"),
    ]
    assert zig.dependencies[1].extra_prefixes == ("/nix/store/e-app-1.0-evidence/zig-global-cache",)
    assert (zig.dependencies[0].url, zig.dependencies[0].hash) == ("https://github.com/example/greet", SRI)
    assert zig.source_dirs == ("/nix/store/e-app-1.0-evidence/source",)
    # What the SBOM's TR-03183-2 fields need of the pins: the commit, what pins.toml keeps by hand, the CPE,
    # the recipe's dependencies, the build's time and the SBOM's publisher.
    greet, wheel = zig.dependencies
    assert (greet.rev, greet.license, greet.cpe, greet.supplier) == (
        REV,
        "0BSD",
        "cpe:2.3:a:example:greet:*:*:*:*:*:*:*:*",
        "",
    )
    assert (wheel.version, wheel.supplier, wheel.rev) == ("0.17.1", "https://ziglang.org", "")
    assert (zig.creator, zig.source_date_epoch) == ("mailto:sbom@example.org", 315532800)
    # The host's compilers are not a pinned dependency: they are tools whose packages the SBOM looks up.
    host = manifest("host")
    assert [d.name for d in host.dependencies] == ["greet"]
    assert host.tools == ("/usr/bin/make", "/usr/bin/gcc", "/usr/bin/g++")


@pytest.mark.parametrize("toolchain", ["zig", "host"])
def test_deps_json_round_trips_through_the_converter_byte_for_byte(tmp_path: Path, toolchain: str) -> None:
    typed = manifest(toolchain)
    path = write_manifest(tmp_path, typed)
    assert path == tmp_path / "deps.json"
    text = path.read_text()
    read = mf.load(path)
    assert read == typed
    assert mf.dumps(read) == text
    assert json.loads(text)["dependencies"][0]["name"] == "greet"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d["subject"].update(version=2), r"subject\.version: expected a string, got an integer 2"),
        (lambda d: d.update(sbom="x"), r"unknown key\(s\) sbom"),
        (lambda d: d["dependencies"][0].pop("hash"), r"dependencies 1 \('greet'\): hash: required key is missing"),
    ],
)
def test_a_malformed_deps_json_is_one_input_error_naming_the_field(
    tmp_path: Path, edit: Callable[[dict[str, Any]], object], field: str
) -> None:
    path = write_manifest(tmp_path, manifest("zig"))
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=rf"^manifest {path}: {field}$"):
        mf.load(path)
