"""`[[ddc]]` through the one converter and against the resolved graph: each mistake one line naming the pass."""

from __future__ import annotations

from typing import Any

import pytest

from common_support import REPO, cli
from rootstock.ddc.resolve import resolve_ddc
from rootstock.errors import InputError
from rootstock.pins.convert import structure_pins
from rootstock.stages.load import structure_graph
from rootstock.stages.resolve import Ref, Text, resolve_system

HASH = f"sha256-{'A' * 43}="
PINS = structure_pins(
    {
        "pins": {
            "seed": {"kind": "file", "urls": ["https://example.org/seed"], "hash": HASH},
            "src": {"kind": "tarball", "urls": ["https://example.org/src.tar.gz"], "hash": HASH},
            "other": {"kind": "tarball", "urls": ["https://example.org/other.tar.gz"], "hash": HASH},
        }
    },
    "pins.toml",
)


def data(**ddc: Any) -> dict[str, Any]:
    host = {
        "compiler": "gcc",
        "system": "x86_64-linux",
        "argv": ["gcc", "-m32"],
        "script": "{file:nix/ddc/t.sh}",
        "paths": ["/usr"],
        "env": {"TCC_DIR": "t", "TARBALL": "{pin:src}", "LIBC": "{step:tcc}/lib"},
    }
    table = {
        "name": "t",
        "system": "i686-linux",
        "source": "src",
        "chain": "tcc",
        "self-compile": "tcc-again",
        "compiler-var": "TCC",
        "lists": ["opts"],
        "host": host,
    }
    table.update(ddc)
    return {
        "systems": {"i686-linux": {}},
        "lists": {"opts": ["-D X=1"]},
        "step": [
            {"name": "tcc", "builder": "pin:seed", "env": {"SRC": "{pin:src}"}, "output": {"i686-linux": HASH}},
            {
                "name": "tcc-again",
                "builder": "pin:seed",
                "env": {"SRC": "{pin:src}", "TCC": "{step:tcc}/bin/tcc"},
                "output": {"i686-linux": "step:tcc"},
            },
        ],
        "ddc": [table],
    }


def resolve(table: dict[str, Any]):
    graph = structure_graph(table, "stages.toml")
    systems = {"i686-linux": resolve_system(graph, PINS, "i686-linux")}
    return resolve_ddc(graph, PINS, systems)


def test_a_pass_is_read_with_its_kebab_keys_and_resolved() -> None:
    (name, resolved), *_ = resolve(data()).items()
    assert name == "t"
    assert resolved.ddc.self_compile == "tcc-again" and resolved.ddc.compiler_var == "TCC"
    assert resolved.ddc.program == "bin/tcc" and resolved.ddc.libc == "lib"
    assert resolved.host_script == (Ref("file", "nix/ddc/t.sh"),)
    assert dict(resolved.host_env)["TARBALL"] == (Ref("pin", "src"),)
    assert dict(resolved.host_env)["TCC_DIR"] == (Text("t"),)
    assert dict(resolved.host_env)["LIBC"] == (Ref("step", "tcc"), Text("/lib"))
    assert resolved.pin_names() == ["src", "seed"]
    assert resolved.flags({"opts": ("-D X=1",)}) == {"opts": ["-D X=1"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chain": "tc"}, r"ddc 't': chain: no step 'tc' on i686-linux \(known: tcc, tcc-again\)"),
        ({"self-compile": "tcc", "chain": "tcc-again"}, "self-compile: step 'tcc' must come after the chain step"),
        ({"source": "sr"}, r"source: unknown pin 'sr' \(known: src, "),
        ({"source": "other"}, "source: step 'tcc-again' does not read pin 'other'"),
        ({"compiler-var": "CC"}, "compiler-var: step 'tcc-again' sets no 'CC'"),
        ({"program": "bin/cc"}, r'must set TCC = "\{step:tcc\}/bin/cc"'),
        ({"system": "x86_64-linux"}, "system: unknown system 'x86_64-linux'"),
        ({"lists": ["nope"]}, "lists: no top-level list 'nope'"),
    ],
)
def test_each_mistake_is_one_line_naming_the_pass(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message) as e:
        resolve(data(**change))
    assert "\n" not in str(e.value)


def test_host_mistakes_name_the_field() -> None:
    table = data()
    table["ddc"][0]["host"]["argv"] = ["gcc", "-O2 -g"]
    with pytest.raises(InputError, match=r"host\.argv: '-O2 -g': an argument must be non-empty and hold no white"):
        resolve(table)
    table = data()
    table["ddc"][0]["host"]["script"] = "nix/ddc/t.sh"
    with pytest.raises(InputError, match=r"host\.script: 'nix/ddc/t\.sh' must be one \{file:PATH\}"):
        resolve(table)
    table = data()
    table["ddc"][0]["host"]["env"] = {"OUT": "{out}"}
    with pytest.raises(InputError, match=r"host\.env\.OUT: \{out\} is the host build's own output"):
        resolve(table)
    table = data()
    table["ddc"][0]["host"]["env"] = {"LIBC": "{step:later}"}
    with pytest.raises(InputError, match="unknown earlier step 'later'"):
        resolve(table)


def test_a_misspelt_key_is_one_schema_line() -> None:
    table = data()
    table["ddc"][0]["self_compile"] = table["ddc"][0].pop("self-compile")
    with pytest.raises(InputError) as e:
        resolve(table)
    assert "ddc 1 ('t'): self-compile: required key is missing" in str(e.value)
    assert "self-compile" in str(e.value) or "self_compile" in str(e.value)


def test_the_repositorys_tinycc_pass_is_what_the_brief_describes() -> None:
    from rootstock.options import GlobalOptions
    from rootstock.plan import Plan

    plan = Plan.from_options(GlobalOptions(REPO, REPO / "pins.toml", None, verbose=False))
    tinycc = plan.ddc_pass("tinycc")
    assert (tinycc.chain.name, tinycc.self_compile.name, tinycc.ddc.source) == (
        "tinycc-mes",
        "tinycc-mes-again",
        "tinycc-mes",
    )
    assert tinycc.ddc.host.argv[:3] == ("gcc", "-m32", "-static")


def test_an_unknown_pass_exits_3_naming_the_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(REPO, "ddc", "tinyc") == 3
    assert "no [[ddc]] pass 'tinyc' (passes: tinycc, tinycc-glibc)" in capsys.readouterr().err


def test_a_pass_or_compiler_name_nix_cannot_store_is_refused_at_load() -> None:
    rule = "a Nix store path name is one or more letters, digits and + - . _ ? =, not starting with '.'"
    with pytest.raises(InputError) as e:
        resolve(data(name="t cc"))
    assert str(e.value) == f"stages.toml: ddc 1 ('t cc'): name: 't cc' holds ' ': {rule}"
    table = data()
    table["ddc"][0]["host"]["compiler"] = "gcc/12"
    with pytest.raises(InputError) as e:
        resolve(table)
    assert str(e.value) == f"stages.toml: ddc 1 ('t'): host.compiler: 'gcc/12' holds '/': {rule}"
