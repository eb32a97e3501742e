"""Upgrading the fixture chain's source to a new release, by docs/upgrading-stage0.md's commands in order:
`stages repin` lists every changed step, writes the new hashes into stages.toml in place, and the build passes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from chain_support import ARCHES, Chain, file_nar

from common_support import commit, git
from rootstock.assemble.hex0 import assemble_hex0
from rootstock.core.nar import nar_hash
from rootstock.pins.convert import load_pins
from rootstock.stages.repin import Change, write_changes

pytestmark = pytest.mark.slow

HOWTO = Path(__file__).resolve().parents[2] / "docs" / "upgrading-stage0.md"
PARTS = {"a": b"first part\n", "b": b"second part\n"}
COMMENT = "# The fixture graph: every comment must survive a repin.\n"


class Upgradable(Chain):
    """The fixture chain with a commented stages.toml, a step template with per-item outputs, and its source
    pinned by tag Release_1 (version 1)."""

    def __init__(self, root: Path, tmp: Path, system: str) -> None:
        parts = tmp / "parts"
        parts.mkdir()
        self.parts = {item: file_nar(parts, text, 0o640).sri for item, text in PARTS.items()}
        super().__init__(root, tmp, system)
        git(self.upstream, "tag", "-a", "Release_1", "-m", "release 1")
        pins = (root / "pins.toml").read_text().replace("[pins.src]\n", "[pins.src]\n# the fixture source\n")
        (root / "pins.toml").write_text(pins)
        assert self.cli("pins", "update", "src", "--tag", "Release_1", "--version", "1") == 0
        assert self.cli("render") == 0

    def write_graph(self) -> None:
        super().write_graph()
        s = self.system
        graph = self.root / "stages.toml"
        catm = '[[step]]\nname = "catm"'
        graph.write_text(
            COMMENT
            + graph.read_text().replace(catm, f"# catm is built by hex0\n{catm}")
            + '\n[lists]\nparts = ["a", "b"]  # one copy per part\n\n'
            '[[step]]\neach = "parts"\nname = "copy-{item}"\nbuilder = "catm"\n'
            'args = ["{out}", "{pin:src}/{item}.txt"]\n'
            f'[step.output]\na = {{ {s} = "{self.parts["a"]}" }}\nb = {{ {s} = "{self.parts["b"]}" }}  # part b\n'
        )
        assert self.cli("render") == 0

    def release(self, tag: str, files: dict[str, str], *, removed: tuple[str, ...] = ()) -> None:
        """A new upstream release: files changed, the answers file recording the new catm, tagged."""
        for name in removed:
            (self.upstream / name).unlink()
        source = files.get(f"{self.arch}/catm.hex0") or (self.upstream / self.arch / "catm.hex0").read_text()
        catm = hashlib.sha256(assemble_hex0(source)).hexdigest()
        answers = f"{catm}  {self.arch}/bin/catm\n{'0' * 64}  {self.arch}/bin/joined\n"
        commit(self.upstream, {**files, "fixture.answers": answers}, f"release {tag}")
        git(self.upstream, "tag", "-a", tag, "-m", tag)


@pytest.fixture(params=sorted(ARCHES))
def upgradable(request: pytest.FixtureRequest, nix_store: Path, checkout: Path, tmp_path: Path) -> Upgradable:
    return Upgradable(checkout, tmp_path, request.param)


def howto_commands() -> list[str]:
    """The rootstock commands of the how-to's walk-through, in order (its ```console blocks, `$ rootstock …`)."""
    return [
        line.removeprefix("$ rootstock ").strip()
        for line in HOWTO.read_text().splitlines()
        if line.startswith("$ rootstock ")
    ]


def test_the_howto_upgrades_the_chain_end_to_end(upgradable: Upgradable, capsys: pytest.CaptureFixture[str]) -> None:
    chain = upgradable
    assert chain.build() == 0
    catm = (chain.upstream / chain.arch / "catm.hex0").read_text()
    chain.release("Release_2", {f"{chain.arch}/catm.hex0": catm + "90  # one byte more\n", "a.txt": "first, new\n"})
    old_catm, old_joined, old_a = chain.outputs["catm"], chain.outputs["joined"], chain.parts["a"]
    before = (chain.root / "stages.toml").read_text()
    s = chain.system
    commands = howto_commands()
    assert [c.split()[0:2] for c in commands] == [
        ["pins", "update"],
        ["pins", "verify"],
        ["render"],
        ["stages", "repin"],
        ["stages", "repin"],
        ["render"],
        ["build", "stage0"],
        ["audit", "--system"],
    ]
    # The how-to's stage0-posix, tag and system stand for the fixture's src, Release_2 and this system.
    words = {"stage0-posix": "src", "Release_1.10.0": "Release_2", "x86_64-linux": s}
    codes = []
    # The last command, the audit, reads the real stage0-posix tree (docs/audit.md), which the fixture is not.
    for n, command in enumerate(commands[:-1]):
        argv = [words.get(word, word) for word in command.split()]
        capsys.readouterr()
        codes.append(chain.cli(*argv))
        if n == 3:
            # Review: every changed step with both hashes; nothing written yet.
            out = capsys.readouterr().out
            assert f"changed\tcatm\texpected {old_catm}" in out
            assert f"changed\tjoined\texpected {old_joined}" in out
            assert f"changed\tcopy-a\texpected {old_a}" in out
            assert "copy-b" not in out
            assert "hex0" not in out
            assert (chain.root / "stages.toml").read_text() == before
    assert codes == [0, 0, 0, 1, 0, 0, 0]
    pin = load_pins(chain.root / "pins.toml").get("src").pin
    assert (pin.tag, pin.version) == ("Release_2", "2")
    after = (chain.root / "stages.toml").read_text()
    for kept in (COMMENT, "# catm is built by hex0\n", "# one copy per part\n", "  # part b\n", "[step.output]\n"):
        assert kept in after
    assert old_catm not in after
    assert old_a not in after
    assert f'b = {{ {s} = "{chain.parts["b"]}" }}  # part b' in after
    joined = chain.root / "build-logs" / s / "report.json"
    assert '"status": "ok"' in joined.read_text()
    # A second repin finds nothing to do.
    capsys.readouterr()
    assert chain.cli("stages", "repin", "--system", s) == 0
    assert "every output matches stages.toml" in capsys.readouterr().out


def test_a_step_that_fails_is_named_with_its_log_and_nothing_is_written(
    upgradable: Upgradable, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = upgradable
    catm = (chain.upstream / chain.arch / "catm.hex0").read_text()
    chain.release("Release_2", {f"{chain.arch}/catm.hex0": catm + "90  # one byte more\n"}, removed=("b.txt",))
    assert chain.cli("pins", "update", "src", "--tag", "Release_2") == 0
    assert chain.cli("render") == 0
    before = (chain.root / "stages.toml").read_text()
    capsys.readouterr()
    assert chain.cli("stages", "repin", "--system", chain.system, "--write") == 1
    out = capsys.readouterr().out
    assert f"changed\tcatm\texpected {chain.outputs['catm']}" in out
    # Both steps that read b.txt fail; Nix, building two at a time, reports whichever stops first.
    failed = re.search(r"^FAILED\t(copy-b|joined)\nstep '\1' failed to build; log: (\S+)$", out, re.M)
    assert failed is not None, out
    log = Path(failed.group(2))
    assert log.parent == chain.root / "build-logs" / "repin" / chain.system
    assert log.name.endswith(f"-{failed.group(1)}.log")
    assert log.is_file()
    assert "nothing written" in out
    assert "Traceback" not in out
    assert (chain.root / "stages.toml").read_text() == before


def test_a_seed_step_that_no_longer_reproduces_its_pin_is_a_failure(
    upgradable: Upgradable, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = upgradable
    chain.seed_source = "seed-bad.hex0"
    chain.write_graph()
    before = (chain.root / "stages.toml").read_text()
    capsys.readouterr()
    assert chain.cli("stages", "repin", "--system", chain.system, "--write") == 1
    out = capsys.readouterr().out
    assert "FAILED\thex0" in out
    assert f"expected: {nar_hash(chain.seed_file).sri}" in out
    assert "its output is a pin's hash" in out
    assert (chain.root / "stages.toml").read_text() == before


def test_repin_with_stale_generated_files_says_to_render(
    upgradable: Upgradable, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = upgradable
    chain.release("Release_2", {"a.txt": "first, new\n"})
    assert chain.cli("pins", "update", "src", "--tag", "Release_2") == 0
    capsys.readouterr()
    assert chain.cli("stages", "repin", "--system", chain.system) == 1
    err = capsys.readouterr().err
    assert "rootstock render" in err
    assert "Traceback" not in err


def test_writing_keeps_the_layout_of_outputs_files_and_template_items(tmp_path: Path) -> None:
    graph = tmp_path / "stages.toml"
    old, new = "sha256-" + "A" * 43 + "=", "sha256-" + "B" * 43 + "="
    text = (
        '# graph\n[systems.x86_64-linux]\n[systems.i686-linux]\n\n[lists]\nitems = ["one", "two"]\n\n'
        f'[[step]]\nname = "plain"  # a plain step\nbuilder = "pin:seed"\n'
        f'output = {{ x86_64-linux = "{old}", i686-linux = "{old}" }}\n\n'
        f'[[step]]\nname = "embeds"\nbuilder = "plain"\nfiles = {{ x86_64-linux = {{ "bin/M1" = "{"0" * 64}" }} }}\n\n'
        f'[[step]]\neach = "items"\nname = "t-{{item}}"\nbuilder = "plain"\n'
        f'[step.output]\none = {{ x86_64-linux = "{old}" }}  # item one\ntwo = {{ x86_64-linux = "{old}" }}\n'
    )
    graph.write_text(text)
    changes = (
        Change("plain", old, new),
        Change("embeds", "0" * 64, "1" * 64, "bin/M1"),
        Change("t-two", old, new),
    )
    write_changes(graph, "x86_64-linux", changes)
    expected = (
        text.replace(f'x86_64-linux = "{old}", i686', f'x86_64-linux = "{new}", i686')
        .replace('"bin/M1" = "' + "0" * 64, '"bin/M1" = "' + "1" * 64)
        .replace(f'two = {{ x86_64-linux = "{old}" }}', f'two = {{ x86_64-linux = "{new}" }}')
    )
    assert graph.read_text() == expected


def test_a_fixed_point_follows_its_step_and_is_never_written(
    upgradable: Upgradable, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = upgradable
    s = chain.system
    with (chain.root / "stages.toml").open("a") as stages:
        stages.write(
            '\n[[step]]\nname = "joined-again"\nbuilder = "catm"\n'
            'args = ["{out}", "{pin:src}/a.txt", "{pin:src}/b.txt"]\n'
            f'output = {{ {s} = "step:joined" }}  # the fixed point\n'
        )
    assert chain.cli("render") == 0
    assert chain.build() == 0
    chain.release("Release_2", {"a.txt": "first, new\n"})
    assert chain.cli("pins", "update", "src", "--tag", "Release_2", "--version", "2") == 0
    assert chain.cli("render") == 0
    capsys.readouterr()
    assert chain.cli("stages", "repin", "--system", s, "--write") == 0
    out = capsys.readouterr().out
    assert "changed\tjoined\t" in out
    assert "joined-again" not in out
    after = (chain.root / "stages.toml").read_text()
    assert f'output = {{ {s} = "step:joined" }}  # the fixed point' in after
    assert chain.cli("render") == 0
    assert chain.build() == 0
