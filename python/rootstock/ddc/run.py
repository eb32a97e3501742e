"""`rootstock ddc NAME`: a DDC pass through the runner: the chain's two steps (built if they are not), tcc-host
and tcc-host2 built with one log each, then compared (compare.py) and reported in build-logs/ddc/<name>/."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.core.hashes import Hash
from rootstock.ddc.compare import DdcMismatchError, Facts, Outputs, Result, compare
from rootstock.ddc.resolve import ResolvedDdc
from rootstock.errors import InputError, RootstockError
from rootstock.host import nix
from rootstock.runner.report import Failure
from rootstock.runner.run import ENTRY, Runner, Target, attr_path
from rootstock.stages.build import target as step_target

if TYPE_CHECKING:
    from rootstock.plan import Plan

log = logging.getLogger(__name__)


def report_dir(log_dir: Path, name: str) -> Path:
    """Where a pass puts its logs and report."""
    return log_dir / "ddc" / name


def facts(plan: Plan, ddc: ResolvedDdc) -> Facts:
    """What the pass compiles with, from the plan."""
    d = ddc.ddc
    source: Hash = plan.pins.get(d.source).pin.hash
    return Facts(
        name=d.name,
        system=d.system,
        source_pin=d.source,
        source_hash=source.sri,
        chain_step=d.chain,
        self_compile_step=d.self_compile,
        program=d.program,
        libc=d.libc,
        compiler_var=d.compiler_var,
        host_argv=d.host.argv,
        flags=ddc.flags(plan.graph.lists),
    )


def host_targets(ddc: ResolvedDdc) -> tuple[Target, Target]:
    """tcc-host and tcc-host2 as the runner builds them (input-addressed: the comparison is the check)."""
    d = ddc.ddc
    host = Target(
        f"{d.name}-host-{d.host.compiler}",
        ("ddc", d.name, "host"),
        f"source pin {d.source}",
        f"built by the host's {d.host.compiler}",
        kind="ddc build",
    )
    host2 = Target(
        f"{d.name}-host2",
        ("ddc", d.name, "host2"),
        f"= step '{d.self_compile}'",
        "rootstock ddc: byte for byte",
        kind="ddc build",
    )
    return host, host2


def require_built(plan: Plan, ddc: ResolvedDdc) -> None:
    """Refuse to start the chain's long builds: each step's pinned output must already be in the store.

    Raises:
        InputError: naming the step whose output is missing and the command that builds it.
    """
    steps = (ddc.chain, ddc.self_compile)
    attrs = [attr_path("stages", step.system, step.name) for step in steps]
    drvs = nix.instantiate(plan.project.root / ENTRY, attrs)
    outputs = nix.derivation_outputs(drvs)
    for step, drv in zip(steps, drvs, strict=True):
        out = outputs[drv]["out"]
        if not nix.is_valid(out):
            msg = (
                f"ddc '{ddc.name}': step '{step.name}' is not built ({out} is not in the store); "
                f"build it with 'rootstock build {step.stage} --system {step.system} --until {step.name}', "
                "or run without --require-chain"
            )
            raise InputError(msg)


def run_ddc(plan: Plan, name: str, *, log_dir: Path, require_chain: bool = False) -> Result:
    """Build the pass's derivations and compare tcc-host2 with tcc-chain2; write report.json and report.md.

    Raises:
        InputError: no such pass; with require_chain, a chain step not built; an output without its program,
            a program that is not ELF.
        DriftError, HashMismatchError, BuildError: as the runner's.
        DdcMismatchError: tcc-host2 differs from tcc-chain2 (the report names the first differing byte).
    """
    ddc = plan.ddc_pass(name)
    d = ddc.ddc
    if require_chain:
        require_built(plan, ddc)
    runner = Runner(plan, report_dir(log_dir, d.name), f"rootstock ddc report: {d.name}", 4, where="", jobs=1)
    runner.start(ddc.pin_names())
    chain, again = runner.build([step_target(ddc.chain), step_target(ddc.self_compile)], alone=True)
    host_t, host2_t = host_targets(ddc)
    runner.sandbox_paths = d.host.paths
    (host,) = runner.build([host_t], alone=True)
    runner.sandbox_paths = ()
    (host2,) = runner.build([host2_t], alone=True)
    try:
        result = compare(facts(plan, ddc), Outputs(chain.out, again.out, host.out, host2.out))
    except RootstockError as exc:
        runner.finish(failure=Failure("the ddc comparison", str(exc), ""))
        raise
    if result.verdict == "differ":
        message = result.mismatch_message()
        runner.finish(
            notes=result.markdown(), failure=Failure("the ddc comparison", message, ""), result=result.to_json()
        )
        raise DdcMismatchError(message)
    report = runner.finish(notes=result.markdown(), result=result.to_json())
    log.info(
        "ddc %s: tcc-host2 equals tcc-chain2 (%s); report: %s", d.name, result.program("tcc-chain2").sha256, report
    )
    return result
