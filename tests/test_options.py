"""The global options resolved at the CLI border: which mirror (if any) --mirror and ROOTSTOCK_MIRROR name."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from rootstock.errors import InputError
from rootstock.options import GlobalOptions


def options(mirror: Path | None, environ: dict[str, str]) -> GlobalOptions:
    args = argparse.Namespace(root=None, pins=None, mirror=mirror, verbose=False)
    return GlobalOptions.from_args(args, environ)


def test_an_existing_mirror_directory_is_used(tmp_path: Path) -> None:
    assert options(tmp_path, {}).mirror == tmp_path.resolve()
    assert options(None, {"ROOTSTOCK_MIRROR": str(tmp_path)}).mirror == tmp_path.resolve()


def test_an_empty_rootstock_mirror_means_no_mirror() -> None:
    assert options(None, {"ROOTSTOCK_MIRROR": ""}).mirror is None


@pytest.mark.parametrize(("option", "where"), [(True, "--mirror"), (False, "ROOTSTOCK_MIRROR")])
def test_a_mirror_that_does_not_exist_is_named_not_each_pin(tmp_path: Path, *, option: bool, where: str) -> None:
    missing = tmp_path / "nonexistent"
    with pytest.raises(InputError) as info:
        options(missing, {}) if option else options(None, {"ROOTSTOCK_MIRROR": str(missing)})
    assert str(info.value) == (
        f"{where}: mirror directory {missing} does not exist (create it with 'rootstock mirror fill {missing}', "
        f"or leave {where} out to fetch from upstream)"
    )
    assert info.value.exit_code == 3
