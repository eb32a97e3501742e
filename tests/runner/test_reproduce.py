"""Comparing two builds of one derivation that live under different store paths."""

from __future__ import annotations

from pathlib import Path

from rootstock.runner.reproduce import describe, differences

FIRST = "a" * 32 + "-pkg-1.0"
SECOND = "b" * 32 + "-pkg-1.0"


def build(store: Path, name: str, *, noise: bytes = b"") -> Path:
    out = store / name
    (out / "bin").mkdir(parents=True)
    tool = out / "bin" / "tool"
    # The program names its own output, as nix's binary does: identical builds differ only in the hash part.
    tool.write_bytes(b"\x7fELF" + f"/nix/store/{name}/share".encode() + noise)
    tool.chmod(0o555)
    (out / "lib").mkdir()
    (out / "lib" / "self").symlink_to(f"/nix/store/{name}/bin/tool")
    return out


def test_builds_that_only_name_their_own_paths_are_identical(tmp_path: Path) -> None:
    assert differences(build(tmp_path, FIRST), build(tmp_path, SECOND)) == []


def test_each_kind_of_difference_is_named(tmp_path: Path) -> None:
    first, second = build(tmp_path, FIRST), build(tmp_path, SECOND, noise=b"!")
    (second / "lib" / "extra").write_text("x")
    (first / "lib" / "gone").write_text("x")
    (second / "bin" / "tool").chmod(0o444)
    found = differences(first, second)
    assert found == [
        "lib/gone: only in the first build",
        "lib/extra: only in the second build",
        "bin/tool: executable file in the first build, file in the second",
    ]
    (second / "bin" / "tool").chmod(0o555)
    (second / "lib" / "self").unlink()
    (second / "lib" / "self").symlink_to("elsewhere")
    found = differences(first, second)
    assert "bin/tool: contents differ (61 and 62 bytes, one is a prefix of the other)" in found
    assert f"lib/self: links to '/nix/store/{FIRST}/bin/tool', then to 'elsewhere'" in found


def test_description_is_cut_after_five() -> None:
    assert describe([str(n) for n in range(7)]) == "0; 1; 2; 3; 4; and 2 more"
