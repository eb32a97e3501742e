"""Stages: `rootstock build <stage>` builds the steps of one stage; the CLI knows the stages the graph names."""

from __future__ import annotations

import tomllib

import pytest

from common_support import REPO, cli
from rootstock.commands.build import STAGES
from rootstock.errors import InputError
from rootstock.pins.convert import structure_pins
from rootstock.stages.model import Graph, Step, SystemSpec
from rootstock.stages.resolve import resolve_system

SEED = "pin:seed"


def chain() -> Graph:
    steps = (
        Step("hex0", SEED, output={"i686-linux": SEED}),
        Step("tools", "hex0", output={"i686-linux": SEED}),
        Step("mes", "tools", stage="stage1", output={"i686-linux": SEED}),
        Step("tcc", "mes", stage="stage1", output={"i686-linux": SEED}),
    )
    return Graph({"i686-linux": SystemSpec()}, steps)


def plan():
    table = {"pins": {"seed": {"kind": "file", "urls": ["https://example.org/seed"], "hash": f"sha256-{'A' * 43}="}}}
    return resolve_system(chain(), structure_pins(table, "pins.toml"), "i686-linux")


def names(steps: tuple) -> list[str]:
    return [step.name for step in steps]


def test_a_stage_is_its_own_steps_in_build_order() -> None:
    assert names(plan().until(None, "stage0")) == ["hex0", "tools"]
    assert names(plan().until(None, "stage1")) == ["mes", "tcc"]
    assert names(plan().until("mes", "stage1")) == ["mes"]
    assert names(plan().until(None)) == ["hex0", "tools", "mes", "tcc"]


def test_a_stage_with_every_stage_before_it_is_what_verify_with_rebuilds() -> None:
    assert names(plan().through("stage0")) == ["hex0", "tools"]
    assert names(plan().through("stage1")) == ["hex0", "tools", "mes", "tcc"]
    with pytest.raises(InputError, match="no step of stage 'stage2'"):
        plan().through("stage2")


def test_until_a_step_of_another_stage_is_refused() -> None:
    with pytest.raises(InputError, match="step 'hex0' is in stage 'stage0', not 'stage1'"):
        plan().until("hex0", "stage1")


def test_a_stage_without_steps_is_refused() -> None:
    with pytest.raises(
        InputError, match=r"no step of stage 'stage2' is built on i686-linux \(stages: stage0, stage1\)"
    ):
        plan().until(None, "stage2")


def test_the_cli_builds_exactly_the_stages_stages_toml_names() -> None:
    written = tomllib.loads((REPO / "stages.toml").read_text())
    assert {step.get("stage", "stage0") for step in written["step"]} == set(STAGES)


def fixed_point_chain(output: str) -> Graph:
    graph = chain()
    again = Step("tcc-again", "tcc", stage="stage1", output={"i686-linux": output})
    return Graph(graph.systems, (*graph.step, again))


def test_a_fixed_point_step_must_equal_the_earlier_steps_output() -> None:
    table = {"pins": {"seed": {"kind": "file", "urls": ["https://example.org/seed"], "hash": f"sha256-{'B' * 43}="}}}
    pins = structure_pins(table, "pins.toml")
    resolved = resolve_system(fixed_point_chain("step:tcc"), pins, "i686-linux")
    again, tcc = resolved.step("tcc-again"), resolved.step("tcc")
    assert again.output == tcc.output
    assert again.same_as == "tcc"
    assert tcc.same_as is None


def test_a_fixed_point_of_no_earlier_step_is_refused() -> None:
    table = {"pins": {"seed": {"kind": "file", "urls": ["https://example.org/seed"], "hash": f"sha256-{'B' * 43}="}}}
    with pytest.raises(InputError, match="output: step:later names no earlier step with a pinned output"):
        resolve_system(fixed_point_chain("step:later"), structure_pins(table, "pins.toml"), "i686-linux")


def test_an_unknown_until_step_names_the_closest_steps_and_counts_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(REPO, "build", "stage0", "--until", "hex11", "--system", "i686-linux") == 3
    err = capsys.readouterr().err
    assert err.startswith("rootstock: error: no step 'hex11' on i686-linux (steps: hex1, hex2-1, hex2, hex0, ")
    assert err.endswith(" and 70 more)\n")
    assert len(err) < 200
