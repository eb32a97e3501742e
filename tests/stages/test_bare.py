"""A step run bare (rootstock.stages.bare) on the fixture chain: the builder with its derivation's argv and
environment outside Nix, on the same store inputs, makes the pinned bytes; anything else is caught."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from chain_support import ARCHES, Chain

from rootstock.core.hashes import Hash
from rootstock.core.nar import nar_hash
from rootstock.errors import BuildError, HashMismatchError, InputError
from rootstock.host import nix
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.runner.run import ENTRY, attr_path
from rootstock.stages import bare
from rootstock.stages.resolve import Ref, ResolvedStep, SystemPlan, Text

pytestmark = pytest.mark.slow


@pytest.fixture(params=sorted(ARCHES))
def chain(request: pytest.FixtureRequest, nix_store: Path, checkout: Path, tmp_path: Path) -> Chain:
    return Chain(checkout, tmp_path, request.param)


def built(chain: Chain, tmp: Path) -> tuple[SystemPlan, dict[str, Path], dict[str, Path]]:
    """The chain built by Nix: its plan, the pins' store paths and the steps' outputs."""
    assert chain.build() == 0
    plan = Plan.from_options(
        GlobalOptions(root=chain.root, pins_file=chain.root / "pins.toml", mirror=None, verbose=False)
    )
    system = plan.system(chain.system)
    drvs = nix.instantiate(chain.root / ENTRY, [attr_path("stages", chain.system, s.name) for s in system.steps])
    outputs = nix.derivation_outputs(drvs)
    steps = {s.name: outputs[drv]["out"] for s, drv in zip(system.steps, drvs, strict=True)}
    fetcher = plan.project.fetcher()
    pins = {name: fetcher.place(plan.pins.get(name), tmp) for name in ("seed", "src")}
    return system, pins, steps


def test_every_fixture_step_run_bare_makes_its_pinned_output(chain: Chain, tmp_path: Path) -> None:
    system, pins, steps = built(chain, tmp_path)
    for step in system.steps:
        paths = bare.store_paths(step, root=chain.root, pins=pins, steps=steps)
        run = bare.build(step, paths, tmp_path / "bare" / step.name)
        assert step.output is not None
        assert bare.check(run) == step.output == nar_hash(steps[step.name])
        assert run.out.read_bytes() == steps[step.name].read_bytes()
        assert run.out.parent == tmp_path / "bare" / step.name
        assert not run.cwd.exists()
    joined = bare.prepare(
        system.step("joined"),
        bare.store_paths(system.step("joined"), root=chain.root, pins=pins, steps=steps),
        tmp_path / "again",
    )
    assert joined.argv == (
        str(steps["catm"]),
        str(joined.out),
        f"{pins['src']}/a.txt",
        f"{pins['src']}/b.txt",
    )


def test_a_bare_output_other_than_pinned_is_a_mismatch(chain: Chain, tmp_path: Path) -> None:
    system, pins, steps = built(chain, tmp_path)
    step = attrs.evolve(system.step("joined"), output=Hash("sha256", bytes(32)))
    with pytest.raises(HashMismatchError, match="step 'joined' run bare"):
        bare.build(step, bare.store_paths(step, root=chain.root, pins=pins, steps=steps), tmp_path / "bare")


def step_with(args: tuple[tuple[Text | Ref, ...], ...], env: dict[str, tuple[Text | Ref, ...]]) -> ResolvedStep:
    return ResolvedStep(
        name="probe",
        system="x86_64-linux",
        builder=Ref("pin", "tool"),
        args=args,
        env=tuple(sorted(env.items())),
        output=Hash("sha256", bytes(32)),
        files=(),
        description="probe",
    )


def test_argv_and_environment_are_the_derivations_and_nothing_of_the_caller(
    nix_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROOTSTOCK_TEST_LEAK", "leaked")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "run.kaem").write_text("echo\n")
    step = step_with(
        ((Text("--file"),), (Ref("file", "scripts/run.kaem"),), (Ref("out"), Text("/bin"))),
        {"STAGE0": (Ref("pin", "src"),), "PATH": (Ref("step", "tools"), Text("/bin:"))},
    )
    paths = bare.store_paths(
        step,
        root=tmp_path,
        pins={"tool": Path("/store/tool"), "src": Path("/store/src")},
        steps={"tools": Path("/store/tools")},
    )
    script = paths[Ref("file", "scripts/run.kaem")]
    assert script.name.endswith("-run.kaem")
    assert script.parent == nix_store
    run = bare.prepare(step, paths, tmp_path / "work")
    build = tmp_path / "work" / "build"
    assert run.argv == ("/store/tool", "--file", str(script), f"{tmp_path}/work/out/bin")
    assert run.cwd == build
    assert build.is_dir()
    assert not run.out.exists()
    assert dict(run.env) == {
        "HOME": "/homeless-shelter",
        "PATH": "/store/tools/bin:",
        "NIX_BUILD_TOP": str(build),
        "TMPDIR": str(build),
        "TEMPDIR": str(build),
        "TMP": str(build),
        "TEMP": str(build),
        "out": str(tmp_path / "work" / "out"),
        "STAGE0": "/store/src",
    }


def test_a_reference_without_a_store_path_is_named(tmp_path: Path) -> None:
    step = step_with(((Ref("step", "missing"),),), {})
    with pytest.raises(InputError, match=r"step 'probe': no store path given for \{step:missing\}"):
        bare.store_paths(step, root=tmp_path, pins={"tool": Path("/store/tool")}, steps={})


def test_the_builder_sees_only_the_steps_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOTSTOCK_TEST_LEAK", "leaked")
    step = step_with(((Text("-c"),), (Text('/usr/bin/env > "$out"'),)), {})
    run = bare.prepare(step, {Ref("pin", "tool"): Path("/bin/sh")}, tmp_path / "work")
    bare.run(run)
    seen = dict(line.split("=", 1) for line in run.out.read_text().splitlines())
    assert "ROOTSTOCK_TEST_LEAK" not in seen
    assert {key: seen[key] for key in run.env} == dict(run.env)


def test_a_failing_builder_and_a_missing_output_are_build_errors(tmp_path: Path) -> None:
    failing = step_with(((Text("-c"),), (Text("echo broken >&2; exit 4"),)), {})
    run = bare.prepare(failing, {Ref("pin", "tool"): Path("/bin/sh")}, tmp_path / "one")
    with pytest.raises(BuildError, match=r"step 'probe' failed when run bare \(exit 4\)\n  broken"):
        bare.run(run)
    silent = step_with(((Text("-c"),), (Text("true"),)), {})
    run = bare.prepare(silent, {Ref("pin", "tool"): Path("/bin/sh")}, tmp_path / "two")
    with pytest.raises(BuildError, match="made no output"):
        bare.run(run)
