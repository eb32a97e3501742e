"""The contents rule and the usage table."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootstock.sbom.model import Usage
from rootstock.sbom.usage import classify


@pytest.mark.parametrize(
    ("in_binary", "builds", "usage"),
    [
        (True, False, Usage.LINK),
        (True, True, Usage.BOTH),
        (False, True, Usage.BUILD),
        (False, False, Usage.BUILD),
    ],
)
def test_usage_of(in_binary: bool, builds: bool, usage: Usage) -> None:
    assert Usage.of(in_binary=in_binary, builds=builds) == usage


def make(root: Path, files: dict[str, bool]) -> list[Path]:
    paths = []
    for name, executable in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        path.chmod(0o755 if executable else 0o644)
        paths.append(path)
    return paths


@pytest.mark.parametrize(
    ("files", "usage"),
    [
        ({"lib/libz.a": False, "include/zlib.h": False}, Usage.LINK),
        ({"lib64/libz.a": False}, Usage.LINK),
        ({"usr/lib/x86_64-linux-gnu/libc.a": False}, Usage.LINK),
        ({"include/nlohmann/json.hpp": False, "share/pkgconfig/nlohmann_json.pc": False}, Usage.BUILD),
        ({"bin/bison": True, "share/bison/m4sugar.m4": False}, Usage.BUILD),
        ({"lib/libfl.a": False, "bin/flex": True}, Usage.BOTH),
        ({"usr/lib/gcc/x86_64-linux-gnu/12/cc1": True}, Usage.BUILD),
        ({"share/doc/libz.a": False}, Usage.BUILD),  # an archive outside a library path links nothing
        ({"lib/libz.so.1": True}, Usage.BUILD),  # executable shared objects are not tools
    ],
)
def test_contents_rule(tmp_path: Path, files: dict[str, bool], usage: Usage) -> None:
    assert classify(tmp_path, make(tmp_path, files)).usage == usage
