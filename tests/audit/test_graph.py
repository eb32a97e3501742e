"""The audit reads the early stages from stages.toml: its `audit` tables and the system's variables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from audit_support import Tree, make_tree
from rootstock.audit.policy import ARCHES
from rootstock.audit.runner import audit_arch
from rootstock.cli import main
from rootstock.errors import InputError


@pytest.fixture
def amd64(tmp_path: Path) -> Tree:
    return make_tree(tmp_path / "tree", ARCHES["AMD64"])


def edit_graph(tree: Tree, change: Callable[[dict[str, Any]], None]) -> None:
    path = tree.checkout / "stages.toml"
    doc = tomlkit.parse(path.read_text())
    change(doc)
    path.write_text(tomlkit.dumps(doc))


def step(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in doc["step"] if s["name"] == name)


def load_error(tree: Tree) -> str:
    with pytest.raises(InputError) as raised:
        tree.inputs()
    return str(raised.value)


def test_the_graph_names_programs_sources_twins_and_seeds(amd64: Tree) -> None:
    inputs = amd64.inputs()
    assert [(s.name, s.pin, s.step, s.source, s.assembler) for s in inputs.seeds] == [
        ("hex0-seed", "hex0-seed-amd64", "hex0", "hex0_AMD64.hex0", "hex0-seed"),
        ("kaem-optional-seed", "kaem-optional-seed-amd64", "kaem-minimal", "kaem-minimal.hex0", "hex0-seed"),
    ]
    cc = inputs.stages[-1]
    assert (cc.name, cc.step, cc.kind, cc.source, cc.gas, cc.development, cc.policy) == (
        "cc_amd64",
        "cc_arch",
        "M1",
        "cc_amd64.M1",
        "GAS/cc_amd64.S",
        None,
        "cc",
    )
    assert [s.name for s in inputs.stages] == ["hex0", "hex1", "hex2-0", "catm", "M0", "cc_amd64"]
    target = inputs.target
    assert (target.system, target.arch.name, target.base, target.elf_header) == (
        "x86_64-linux",
        "AMD64",
        0x00600000,
        "ELF-amd64.hex2",
    )


def test_a_policy_named_by_the_graph_is_the_one_applied(amd64: Tree) -> None:
    edit_graph(amd64, lambda doc: step(doc, "hex1")["audit"].update(policy="catm"))
    report = audit_arch(amd64.inputs())
    assert next(p.policy.name for p in report.programs if p.name == "hex1") == "catm"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"colour": "red"}, "step 3 ('hex1'): audit: unknown key(s) colour"),
        ({"source": 3}, "step 3 ('hex1'): audit.source: expected a string, got an integer 3"),
    ],
)
def test_a_malformed_audit_field_names_the_step_and_the_field(
    amd64: Tree, change: dict[str, Any], expected: str
) -> None:
    edit_graph(amd64, lambda doc: step(doc, "hex1")["audit"].update(change))
    message = load_error(amd64)
    assert message.splitlines() == [f"{amd64.checkout / 'stages.toml'}: {expected}"]


def test_an_audit_value_that_is_not_a_table_is_refused(amd64: Tree) -> None:
    edit_graph(amd64, lambda doc: step(doc, "catm").update(audit="catm"))
    assert load_error(amd64).splitlines() == [
        f"{amd64.checkout / 'stages.toml'}: step 5 ('catm'): audit: expected a table, got a string 'catm'"
    ]


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("kaem-minimal", {"kind": "hex0"}, "audit: `kind` describes a stage, so the table needs `program`"),
        ("hex1", {"kind": "hex3"}, "audit: `kind` must be one of hex0, hex1, hex2, hex2+header, M1 (got 'hex3')"),
        ("hex1", {"seed": "hex1-seed"}, "audit: `seed` needs an output of `pin:<seed pin>`"),
        ("catm", {"gas": "GAS/catm_{cpu}.S"}, "audit: unknown variable '{cpu}' in 'GAS/catm_{cpu}.S'"),
        ("catm", {"source": "../catm.hex2"}, "audit: '../catm.hex2' must be a path inside the tree"),
    ],
)
def test_an_inconsistent_audit_table_names_the_step(
    amd64: Tree, name: str, change: dict[str, Any], expected: str
) -> None:
    edit_graph(amd64, lambda doc: step(doc, name)["audit"].update(change))
    message = load_error(amd64)
    assert message.startswith(f"stages.toml: step '{name}' on x86_64-linux: {expected}")
    assert "\n" not in message


def test_a_step_with_neither_seed_nor_program_is_refused(amd64: Tree) -> None:
    edit_graph(amd64, lambda doc: step(doc, "kaem-minimal")["audit"].pop("seed"))
    assert "names neither `seed`" in load_error(amd64)


def test_a_system_whose_vars_lack_arch_is_refused_before_anything_is_built(
    amd64: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_graph(amd64, lambda doc: doc["systems"]["x86_64-linux"]["vars"].pop("arch"))
    assert main(["--root", str(amd64.checkout), "audit", "--system", "x86_64-linux"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "system 'x86_64-linux' has no vars.arch (the upstream architecture name (AMD64, x86))" in err


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("arch", "riscv64", "vars.arch = 'riscv64' is not the upstream architecture name"),
        ("base-address", "6291456", "vars.base-address = '6291456' is not the address hex2 loads"),
    ],
)
def test_a_system_var_the_audit_cannot_use_is_refused(
    amd64: Tree, var: str, value: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_graph(amd64, lambda doc: doc["systems"]["x86_64-linux"]["vars"].update({var: value}))
    assert main(["--root", str(amd64.checkout), "audit", "--system", "x86_64-linux"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"stages.toml: system 'x86_64-linux': {expected}" in err


def test_report_dir_applies_to_system_only(amd64: Tree, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--root", str(amd64.checkout), "audit", "--arch", "AMD64", "--seeds", str(amd64.seeds)]
    argv += ["--sources", str(amd64.sources), "--report-dir", str(tmp_path / "r")]
    assert main(argv) == 3
    assert "--report-dir applies to --system only" in capsys.readouterr().err
