"""The stage machinery end to end on rootstock's own fixture chain: seed -> hex0 -> catm -> a joined file.

The seed is rootstock's own hex0 assembler (tests/fixtures/stage0); upstream is a git repository the test makes.
Everything runs through the CLI, with real Nix builds in a per-test store, sandboxed and offline.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from chain_support import ARCHES, Chain

from common_support import commit, plan_loads
from rootstock.core.hashes import Hash
from rootstock.host import nix

pytestmark = pytest.mark.slow


@pytest.fixture(params=sorted(ARCHES))
def chain(request: pytest.FixtureRequest, nix_store: Path, checkout: Path, tmp_path: Path) -> Chain:
    return Chain(checkout, tmp_path, request.param)


def test_chain_builds_and_every_output_matches(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert chain.build() == 0
    out, err = capsys.readouterr()
    lines = dict(line.split("\t", 1) for line in out.splitlines())
    joined = Path(lines["joined"].split("\t")[0])
    assert joined.read_text() == "first part\nsecond part\n"
    for progress in ("[1/3] building hex0", "[2/3] building catm", "[3/3] building joined"):
        assert f"{progress} on {chain.system} (" in err
    assert f"3 steps on {chain.system} match their pinned hashes" in err
    logs = sorted(p.name for p in (chain.root / "build-logs" / chain.system).glob("*.log"))
    assert logs == ["001-hex0.log", "002-catm.log", "003-joined.log"]
    report = json.loads((chain.root / "build-logs" / chain.system / "report.json").read_text())
    assert [(v["program"], v["status"]) for v in report["verdicts"]] == [("catm", "match"), ("joined", "explained")]
    assert "oracles: 1 programs match, 1 differ as explained" in err
    # The seed reproduced itself: the hex0 step's output is byte-identical to the pinned seed.
    hex0 = Path(lines["hex0"].split("\t")[0])
    assert hex0.read_bytes() == chain.seed_file.read_bytes()


def test_rebuild_with_check_is_bit_identical(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    assert chain.build() == 0
    capsys.readouterr()
    assert chain.build("--check") == 0
    assert "checking catm" in capsys.readouterr().err


def test_wrong_pinned_output_stops_the_chain_at_that_step(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    actual = chain.outputs["catm"]
    wrong = Hash("sha256", bytes(32)).sri
    chain.outputs["catm"] = wrong
    chain.write_graph()
    capsys.readouterr()
    assert chain.build() == 1
    err = capsys.readouterr().err
    assert "hash mismatch for step 'catm" in err
    assert f"expected: {wrong}" in err
    assert f"actual:   {actual}" in err
    assert "Traceback" not in err
    # Nothing is left marked as built: neither the wrong pin's path nor anything after it.
    drv = nix.instantiate(chain.root / "nix/default.nix", [f'stages."{chain.system}".catm'])[0]
    assert not nix.is_valid(nix.show_derivation(drv)["outputs"]["out"]["path"])


def test_seed_that_does_not_reproduce_itself_is_caught(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    chain.publish_seed("seed-bad.hex0")
    chain.seed_source = "seed-bad.hex0"
    assert chain.cli("pins", "update", "seed") == 0
    chain.write_graph()
    capsys.readouterr()
    assert chain.build() == 1
    err = capsys.readouterr().err
    assert "hash mismatch for step 'hex0" in err


def test_flipped_seed_byte_names_the_seed_pin(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(chain.seed_file.read_bytes())
    data[100] ^= 0x01
    chain.seed_file.write_bytes(bytes(data))
    capsys.readouterr()
    assert chain.build() == 1
    err = capsys.readouterr().err
    assert "hash mismatch for pin 'seed'" in err


def test_changed_source_file_fails_the_step_built_from_it(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    assert chain.build() == 0
    catm = chain.upstream / chain.arch / "catm.hex0"
    # One byte more at the end of the program: a real change of the binary, not of a comment.
    commit(chain.upstream, {f"{chain.arch}/catm.hex0": catm.read_text() + "90  # one byte more\n"}, "change catm")
    capsys.readouterr()
    # Still pinned to the old commit: verify passes, the build is unchanged.
    assert chain.cli("pins", "verify", "src") == 0
    assert chain.cli("pins", "update", "src", "--rev", chain.head()) == 0
    chain.write_graph()
    capsys.readouterr()
    assert chain.build() == 1
    assert "hash mismatch for step 'catm" in capsys.readouterr().err


def test_missing_source_in_mirror(chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mirror = tmp_path / "mirror"
    assert chain.cli("mirror", "fill", str(mirror), "src") == 0
    capsys.readouterr()
    assert chain.build(mirror=mirror) == 3
    err = capsys.readouterr().err
    assert "pin 'seed' is not in the mirror" in err
    assert chain.cli("mirror", "fill", str(mirror)) == 0
    assert chain.build(mirror=mirror) == 0


def test_unexplained_oracle_difference_fails(chain: Chain, capsys: pytest.CaptureFixture[str]) -> None:
    chain.explanation = ""
    chain.write_graph()
    capsys.readouterr()
    assert chain.build() == 1
    err = capsys.readouterr().err
    assert "disagree with oracle 'fixture answers'" in err
    assert f"joined: differs (oracle {'0' * 64}" in err


def test_report_is_deterministic(chain: Chain) -> None:
    assert chain.build() == 0
    report = chain.root / "build-logs" / chain.system / "report.json"
    first = report.read_bytes()
    assert chain.build() == 0
    assert report.read_bytes() == first


def test_a_failed_build_replaces_the_previous_report_and_keeps_the_failing_log(
    chain: Chain, capsys: pytest.CaptureFixture[str]
) -> None:
    assert chain.build() == 0
    logs = chain.root / "build-logs" / chain.system
    assert json.loads((logs / "report.json").read_text())["status"] == "ok"
    chain.outputs["catm"] = Hash("sha256", bytes(32)).sri
    chain.write_graph()
    capsys.readouterr()
    assert chain.build() == 1
    err = capsys.readouterr().err
    assert f"log: {logs / '002-catm.log'}" in err
    report = json.loads((logs / "report.json").read_text())
    assert report["status"] == "failed"
    assert report["failure"]["name"] == "step 'catm'"
    assert report["failure"]["log"] == str(logs / "002-catm.log")
    assert [step["name"] for step in report["steps"]] == ["hex0"]
    assert (logs / "002-catm.log").is_file()
    assert "FAILED at step 'catm'" in (logs / "report.md").read_text()


def test_a_build_loads_and_resolves_the_data_once(chain: Chain, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="rootstock.plan")
    assert chain.build() == 0
    assert plan_loads(caplog.records) == 1


@pytest.mark.parametrize("same_args", [True, False])
def test_a_fixed_point_step_passes_only_on_identical_bytes(
    chain: Chain, capsys: pytest.CaptureFixture[str], same_args: bool
) -> None:
    second = "b.txt" if same_args else "a.txt"
    with (chain.root / "stages.toml").open("a") as stages:
        stages.write(
            f'\n[[step]]\nname = "joined-again"\nbuilder = "catm"\n'
            f'args = ["{{out}}", "{{pin:src}}/a.txt", "{{pin:src}}/{second}"]\n'
            f'output = {{ {chain.system} = "step:joined" }}\n'
        )
    assert chain.cli("render") == 0
    capsys.readouterr()
    if same_args:
        assert chain.build() == 0
        report = json.loads((chain.root / "build-logs" / chain.system / "report.json").read_text())
        rows = {row["name"]: row for row in report["steps"]}
        assert rows["joined-again"]["pinned"] == rows["joined"]["pinned"]
        assert "equal to step 'joined', a fixed point" in rows["joined-again"]["check"]
    else:
        assert chain.build() == 1
        err = capsys.readouterr().err
        assert "hash mismatch for step 'joined-again'" in err
        assert "no fixed point: the rebuild differs from step 'joined', whose output it must equal" in err


def test_a_failed_step_with_many_dependents_is_a_short_message_naming_steps(
    nix_store: Path, checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = Chain(checkout, tmp_path, "x86_64-linux")
    stages = checkout / "stages.toml"
    # catm's source is missing, so its builder fails; joined and forty more steps wait on it. nix-build then
    # names every one of them by store path on a single line, and listed them all before building.
    text = stages.read_text().replace("/catm.hex0", "/absent.hex0", 1).partition("[[oracle]]")[0]
    for i in range(40):
        text += (
            f'[[step]]\nname = "copy-{i}"\nbuilder = "catm"\nargs = ["{{out}}", "{{pin:src}}/a.txt"]\n'
            f'output = {{ x86_64-linux = "{chain.outputs["joined"]}" }}\n\n'
        )
    stages.write_text(text)
    assert chain.cli("render") == 0
    capsys.readouterr()
    assert chain.build() == 1
    err = capsys.readouterr().err
    log = checkout / "build-logs" / "x86_64-linux" / "002-catm.log"
    assert err.splitlines()[-4:] == [
        f"rootstock: error: step 'catm' failed to build; log: {log}",
        "  nix-build failed",
        "    error: builder for 'catm' failed with exit code 1",
        "    not built (41): copy-0, copy-1, copy-2, copy-3, copy-4, copy-5, copy-6, copy-7 and 33 more",
    ]
    assert "/store/" not in err


def test_a_later_stage_on_a_fresh_store_places_the_pins_of_the_stages_it_builds_on(
    chain: Chain, capsys: pytest.CaptureFixture[str]
) -> None:
    # dev/bootstrap on a new machine builds stage 1 for a system whose stage 0 was never built: Nix builds
    # stage 0 as its input, so stage 0's pins must be placed too, or Nix tries to download them.
    with (chain.root / "stages.toml").open("a") as stages:
        stages.write(
            f'\n[[step]]\nname = "joined-later"\nstage = "stage1"\nbuilder = "catm"\n'
            f'args = ["{{out}}", "{{step:joined}}"]\noutput = {{ {chain.system} = "step:joined" }}\n'
        )
    assert chain.cli("render") == 0
    capsys.readouterr()
    assert chain.cli("build", "stage1", "--system", chain.system) == 0
    report = json.loads((chain.root / "build-logs" / "stage1" / chain.system / "report.json").read_text())
    assert [row["name"] for row in report["steps"]] == ["joined-later"]
