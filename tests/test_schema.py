"""The one converter's error messages: every bad field named in the data file's own terms, never Python's."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootstock.cli import main
from rootstock.schema import user_path

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
    (tmp_path / "pins.toml").write_text("")
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
