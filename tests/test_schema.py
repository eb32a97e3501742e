"""The one converter's error messages: every bad field named in the data file's own terms, never Python's."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootstock.cli import main
from rootstock.schema import user_path

# A pins file is never empty (pins.convert refuses it): the stage graph's tests need one pin.
PINS = (
    '[pins.seed]\nkind = "file"\nurls = ["https://x.invalid/s"]\n'
    'hash = "sha256-DCzZduYrix9yOeJoem/Jhz/WDzAss7UWwjZbkXJq6Ms="\n'
)
STEPS = {"step": [{"name": "hex0"}, {"builder": "x"}, {"name": "tools", "args": ["a", 1]}]}


@pytest.mark.parametrize(
    ("steps", "data", "expected"),
    [
        (".step[2].args", STEPS, "step 3 ('tools'): args"),
        (".step[2].args[1]", STEPS, "step 3 ('tools'): args item 2"),
        (".step[1].builder", STEPS, "step 2: builder"),  # a step without a name is known by its number only
        (".step[0].env_each['x y']", STEPS, "step 1 ('hex0'): env-each.\"x y\""),
        (".systems['x86_64-linux'].seeds", {}, "systems.x86_64-linux.seeds"),
        (".suppress[0].id", {"suppress": [{"id": "CVE-2099-1"}]}, "suppress 1 ('CVE-2099-1'): id"),
        ("", {}, ""),
    ],
)
def test_a_path_is_written_as_the_user_wrote_the_file(steps: str, data: object, expected: str) -> None:
    assert user_path(steps, data) == expected


def test_a_bad_step_is_named_by_number_and_name_with_exit_code_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pins.toml").write_text(PINS)
    stages = tmp_path / "stages.toml"
    stages.write_text(
        '[[step]]\nname = "hex0"\nbuilder = "seed"\n\n'
        '[[step]]\nname = "hex1"\nbuilder = "hex0"\nargs = "x"\ncolour = 1\n'
    )
    assert main(["--root", str(tmp_path), "render", "--check"]) == 3
    assert capsys.readouterr().err == (
        f"rootstock: error: {stages}: invalid stage graph\n"
        "  step 2 ('hex1'): args: expected an array, got a string 'x'\n"
        "  step 2 ('hex1'): unknown key(s) colour\n"
    )


RULE = "a Nix store path name is one or more letters, digits and + - . _ ? =, not starting with '.'"


@pytest.mark.parametrize(
    ("name", "where", "why"),
    [
        ("kaem minimal", "step 'kaem minimal'", "'kaem minimal' holds ' '"),
        ("", "step ''", "'' is empty"),
        ('kaem\\"; x', "step 'kaem\"; x'", "'kaem\"; x' holds '\"'"),
        ("{item}-x", "step template '{item}-x' (each = 'tools')", "name for item 'a b': 'a b-x' holds ' '"),
    ],
)
def test_a_step_name_nix_cannot_store_is_refused_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, where: str, why: str
) -> None:
    (tmp_path / "pins.toml").write_text(PINS)
    stages = tmp_path / "stages.toml"
    each = 'each = "tools"\noutput = { "a b" = {} }\n' if "{item}" in name else ""
    stages.write_text(f'[lists]\ntools = ["a b"]\n\n[[step]]\nname = "{name}"\nbuilder = "pin:seed"\n{each}')
    assert main(["--root", str(tmp_path), "render"]) == 3
    name_field = "" if "{item}" in name else "name: "
    assert capsys.readouterr().err == f"rootstock: error: {stages}: {where}: {name_field}{why}: {RULE}\n"
    assert not (tmp_path / "nix").exists()
