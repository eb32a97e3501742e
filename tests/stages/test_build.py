"""The stage machinery end to end on rootstock's own fixture chain: seed -> hex0 -> catm -> a joined file.

The seed is rootstock's own hex0 assembler (tests/fixtures/stage0); upstream is a git repository the test makes.
Everything runs through the CLI, with real Nix builds in a per-test store, sandboxed and offline.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from common_support import REPO, commit, git, make_repo, plan_loads
from rootstock.assemble.hex0 import assemble_hex0
from rootstock.cli import main
from rootstock.core.hashes import Hash
from rootstock.core.nar import nar_hash
from rootstock.host import nix

FIXTURES = REPO / "tests" / "fixtures" / "stage0"
PLACEHOLDER = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
ARCHES = {"x86_64-linux": "AMD64", "i686-linux": "x86"}
pytestmark = pytest.mark.slow


def file_nar(tmp: Path, data: bytes, mode: int) -> Hash:
    path = tmp / f"nar-{len(list(tmp.iterdir()))}"
    path.write_bytes(data)
    path.chmod(mode)
    return nar_hash(path)


class Chain:
    """A checkout with pins (seed, git source) and a three-step graph, rendered and ready to build."""

    def __init__(self, root: Path, tmp: Path, system: str) -> None:
        self.root = root
        self.tmp = tmp
        self.system = system
        self.arch = ARCHES[system]
        scratch = tmp / "scratch"
        scratch.mkdir()
        sources = {
            f"{self.arch}/{name}": (FIXTURES / self.arch / name).read_text()
            for name in ("seed.hex0", "seed-bad.hex0", "catm.hex0")
        }
        catm = assemble_hex0(sources[f"{self.arch}/catm.hex0"])
        # The oracle knows catm; its entry for joined is deliberately different, so the graph must explain it.
        answers = f"{hashlib.sha256(catm).hexdigest()}  {self.arch}/bin/catm\n{'0' * 64}  {self.arch}/bin/joined\n"
        self.upstream = tmp / "upstream-src"
        make_repo(
            self.upstream, {**sources, "a.txt": "first part\n", "b.txt": "second part\n", "fixture.answers": answers}
        )
        self.explanation = 'explained = { joined = "the oracle records another text on purpose" }\n'

        self.seed_file = tmp / "published" / "seed"
        self.publish_seed("seed.hex0")
        self.outputs = {
            "catm": file_nar(scratch, catm, 0o750).sri,
            "joined": file_nar(scratch, b"first part\nsecond part\n", 0o640).sri,
        }
        self.seed_source = "seed.hex0"
        (root / "pins.toml").write_text(
            f'[pins.seed]\nkind = "file"\nurls = ["{self.seed_file.as_uri()}"]\nexecutable = true\n'
            f'hash = "{nar_hash(self.seed_file).sri}"\n\n'
            f'[pins.src]\nkind = "git"\nurl = "{self.upstream.as_uri()}"\nrev = "{"0" * 40}"\n'
            f'hash = "{PLACEHOLDER}"\n'
        )
        assert self.cli("pins", "update", "src", "--rev", self.head()) == 0
        self.write_graph()

    def head(self) -> str:
        return git(self.upstream, "rev-parse", "HEAD")

    def publish_seed(self, source: str) -> None:
        self.seed_file.parent.mkdir(exist_ok=True)
        self.seed_file.unlink(missing_ok=True)
        self.seed_file.write_bytes(assemble_hex0((FIXTURES / self.arch / source).read_text()))
        self.seed_file.chmod(0o755)

    def write_graph(self) -> None:
        s = self.system
        (self.root / "stages.toml").write_text(
            f'[systems.{s}]\nvars = {{ arch = "{self.arch}" }}\n\n'
            f'[[step]]\nname = "hex0"\nbuilder = "pin:seed"\n'
            f'args = ["{{pin:src}}/{{arch}}/{self.seed_source}", "{{out}}"]\noutput = {{ {s} = "pin:seed" }}\n\n'
            f'[[step]]\nname = "catm"\nbuilder = "hex0"\nargs = ["{{pin:src}}/{{arch}}/catm.hex0", "{{out}}"]\n'
            f'output = {{ {s} = "{self.outputs["catm"]}" }}\n\n'
            f'[[step]]\nname = "joined"\nbuilder = "catm"\n'
            f'args = ["{{out}}", "{{pin:src}}/a.txt", "{{pin:src}}/b.txt"]\n'
            f'output = {{ {s} = "{self.outputs["joined"]}" }}\n\n'
            f'[[oracle]]\nname = "fixture answers"\nanswers = "{{pin:src}}/fixture.answers"\nprefix = "{{arch}}/bin/"\n'
            f'steps = ["catm", "joined"]\n{self.explanation}'
        )
        assert self.cli("render") == 0

    def cli(self, *args: str, mirror: Path | None = None) -> int:
        extra = ["--mirror", str(mirror)] if mirror else []
        return main(["--root", str(self.root), *extra, *args])

    def build(self, *args: str, mirror: Path | None = None) -> int:
        return self.cli("build", "stage0", "--system", self.system, *args, mirror=mirror)


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
