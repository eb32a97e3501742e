"""Oracles: where a program's file is found in the built outputs, and how an oracle's own checksums are read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rootstock.errors import InputError
from rootstock.pins.convert import structure_pins
from rootstock.pins.model import Pins
from rootstock.stages.model import Graph, Oracle, Step, SystemSpec
from rootstock.stages.oracle import find_program, judge
from rootstock.stages.resolve import resolve_system


def installed(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_a_path_is_found_under_the_first_step_that_has_it(tmp_path: Path) -> None:
    first = installed(tmp_path / "first", {"bin/mes": b"mes", "lib/x86-mes/libc.a": b"libc"})
    second = installed(tmp_path / "second", {"bin/mes-m2": b"m2", "lib/x86-mes/libc.a": b"other"})
    outputs = {"first": first, "second": second}
    assert find_program("lib/x86-mes/libc.a", outputs, ("first", "second")) == first / "lib/x86-mes/libc.a"
    assert find_program("bin/mes-m2", outputs, ("first", "second")) == second / "bin/mes-m2"
    assert find_program("mes", outputs, ("first", "second")) == first / "bin/mes"
    assert find_program("lib/missing.a", outputs, ("first", "second")) is None


def test_checksums_judge_each_file_and_name_what_differs(tmp_path: Path) -> None:
    out = installed(tmp_path / "mes", {"bin/mes": b"mes", "lib/x86-mes/libc.a": b"libc"})
    oracle = Oracle(
        "published",
        ("mes",),
        checksums={"bin/mes": hashlib.sha256(b"mes").hexdigest(), "lib/x86-mes/libc.a": "0" * 64},
        explained={},
    )
    verdicts = {v.program: v for v in judge(oracle, oracle.checksums, {"mes": out})}
    assert verdicts["bin/mes"].status == "match"
    assert verdicts["lib/x86-mes/libc.a"].status == "differs"
    assert verdicts["lib/x86-mes/libc.a"].actual == hashlib.sha256(b"libc").hexdigest()


def graph_with(oracle: Oracle) -> Graph:
    systems = {"i686-linux": SystemSpec(), "x86_64-linux": SystemSpec()}
    step = Step("mes", "pin:seed", output={"i686-linux": "pin:seed", "x86_64-linux": "pin:seed"})
    return Graph(systems, (step,), (oracle,))


def seed_pins() -> Pins:
    table = {"pins": {"seed": {"kind": "file", "urls": ["https://example.org/seed"], "hash": f"sha256-{'A' * 43}="}}}
    return structure_pins(table, "pins.toml")


def test_an_oracle_needs_exactly_one_of_answers_and_checksums() -> None:
    both = Oracle("both", ("mes",), answers="{pin:seed}", checksums={"bin/mes": "0" * 64})
    with pytest.raises(InputError, match="oracle 'both' needs exactly one of `answers`"):
        resolve_system(graph_with(both), seed_pins(), "i686-linux")
    neither = Oracle("neither", ("mes",))
    with pytest.raises(InputError, match="oracle 'neither' needs exactly one"):
        resolve_system(graph_with(neither), seed_pins(), "i686-linux")


def test_an_oracle_judges_only_its_systems() -> None:
    oracle = Oracle("i686 only", ("mes",), checksums={"bin/mes": "0" * 64}, systems=("i686-linux",))
    assert [o.oracle.name for o in resolve_system(graph_with(oracle), seed_pins(), "i686-linux").oracles] == [
        "i686 only"
    ]
    assert resolve_system(graph_with(oracle), seed_pins(), "x86_64-linux").oracles == ()
