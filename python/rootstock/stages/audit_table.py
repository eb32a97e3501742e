"""The steps' `audit` tables resolved for one system: the records the audit receives (rootstock.audit.inputs).

stages.toml is the one description of the early stages: which steps build audited programs, their sources and
upstream twins, which pins are the seeds those steps reproduce, and (from the system's variables) the
architecture, load address and ELF header template.
"""

from __future__ import annotations

import re
from typing import cast

from rootstock.audit.inputs import SOURCE_KINDS, Seed, SourceKind, Stage, Target
from rootstock.audit.pinned import PinnedOutput
from rootstock.audit.policy import ARCHES
from rootstock.errors import InputError
from rootstock.stages.model import AuditSpec, Graph, Step
from rootstock.stages.resolve import SystemPlan

VAR_RE = re.compile(r"\{([A-Za-z0-9_-]+)\}")
HEX_RE = re.compile(r"0x[0-9A-Fa-f]+")
# The system variables the audit reads, and what each must hold.
TARGET_VARS = {
    "arch": f"the upstream architecture name ({', '.join(sorted(ARCHES))})",
    "base-address": "the address hex2 loads every stage0 program at, in hex (0x00600000)",
    "arch-elf": "the ELF header template of the architecture's directory (ELF-amd64.hex2)",
}
# A stage-only field needs `program`; a seed-only step names no stage.
STAGE_FIELDS = ("kind", "gas", "development", "policy")


def system_for_arch(graph: Graph, arch: str, source: str = "stages.toml") -> str:
    """The Nix system whose chain builds an upstream architecture (its vars.arch).

    Raises:
        InputError: no system of the graph builds that architecture.
    """
    systems = sorted(name for name, spec in graph.systems.items() if spec.vars.get("arch") == arch)
    if not systems:
        msg = f"{source}: no system has vars.arch = '{arch}', so nothing pins the {arch} programs"
        raise InputError(msg)
    return systems[0]


def audit_target(chain: SystemPlan, source: str = "stages.toml") -> Target:
    """The architecture, load address and ELF header template one system's variables give the audit.

    Raises:
        InputError: a variable is missing or malformed, or the audit knows no such architecture.
    """
    values = chain.spec.vars
    for name, meaning in TARGET_VARS.items():
        if name not in values:
            msg = f"{source}: system '{chain.system}' has no vars.{name} ({meaning}), which the audit needs"
            raise InputError(msg)
    arch = ARCHES.get(values["arch"])
    if arch is None:
        msg = f"{source}: system '{chain.system}': vars.arch = '{values['arch']}' is not {TARGET_VARS['arch']}"
        raise InputError(msg)
    if not HEX_RE.fullmatch(values["base-address"]):
        msg = (
            f"{source}: system '{chain.system}': vars.base-address = '{values['base-address']}' is not "
            f"{TARGET_VARS['base-address']}"
        )
        raise InputError(msg)
    return Target(chain.system, arch, int(values["base-address"], 16), values["arch-elf"])


def audited_programs(
    graph: Graph, chain: SystemPlan, source: str = "stages.toml"
) -> tuple[tuple[Seed, ...], tuple[Stage, ...]]:
    """The seeds and early stages the steps of one system describe in their `audit` tables, in build order.

    Raises:
        InputError: an `audit` table is inconsistent (a stage field without `program`, an unknown `kind`, a
            `seed` on a step whose output is not a pin, no seed builds a seed), names a variable the system
            lacks, or the system's chain has no audited seed or stage.
    """
    seeds: list[Seed] = []
    stages: list[Stage] = []
    pins: dict[str, str] = {}
    steps = [step for step in graph.step if step.applies_to(chain.system) and step.audit is not None]
    for step in steps:
        spec = cast(AuditSpec, step.audit)
        audit = _Table(step, chain, source)
        resolved = chain.step(step.name)
        pinned = PinnedOutput(step.name, chain.system, resolved.output) if resolved.output is not None else None
        if spec.seed is None and spec.program is None:
            raise audit.fail("names neither `seed` (the seed pin its output reproduces) nor `program`")
        if spec.seed is not None:
            seed_pin = audit.seed_pin()
            pins[seed_pin] = spec.seed
            seeds.append(
                Seed(
                    name=spec.seed,
                    pin=seed_pin,
                    step=step.name,
                    source=audit.sub(spec.source),
                    assembler=audit.assembler(pins, seeds),
                    policy=spec.seed,
                    pinned=pinned,
                )
            )
        if spec.program is None:
            extra = [name for name in STAGE_FIELDS if getattr(spec, name) is not None]
            if extra:
                raise audit.fail(f"`{extra[0]}` describes a stage, so the table needs `program`")
            continue
        if spec.kind not in SOURCE_KINDS:
            raise audit.fail(f"`kind` must be one of {', '.join(SOURCE_KINDS)} (got {spec.kind!r})")
        program = audit.sub(spec.program)
        stages.append(
            Stage(
                name=program,
                step=step.name,
                kind=cast(SourceKind, spec.kind),
                source=audit.sub(spec.source),
                gas=audit.sub(spec.gas) if spec.gas is not None else None,
                development=audit.sub(spec.development) if spec.development is not None else None,
                policy=audit.sub(spec.policy) if spec.policy is not None else program,
                pinned=pinned,
            )
        )
    if not seeds or not stages:
        what = "seed" if not seeds else "program"
        msg = f"{source}: no step on {chain.system} has an `audit` table with a `{what}`, so there is nothing to audit"
        raise InputError(msg)
    return tuple(seeds), tuple(stages)


class _Table:
    """One step's `audit` table on one system, with errors that name the step and the field."""

    def __init__(self, step: Step, chain: SystemPlan, source: str) -> None:
        self.step = step
        self.chain = chain
        self.source = source

    def fail(self, what: str) -> InputError:
        return InputError(f"{self.source}: step '{self.step.name}' on {self.chain.system}: audit: {what}")

    def sub(self, text: str) -> str:
        def var(m: re.Match[str]) -> str:
            if m.group(1) not in self.chain.spec.vars:
                known = ", ".join(sorted(self.chain.spec.vars))
                raise self.fail(f"unknown variable '{{{m.group(1)}}}' in {text!r} (system variables: {known})")
            return self.chain.spec.vars[m.group(1)]

        out = VAR_RE.sub(var, text)
        if "{" in out or "}" in out or not out or out.startswith("/") or ".." in out.split("/"):
            raise self.fail(f"{text!r} must be a path inside the tree, with only {{NAME}} system variables")
        return out

    def seed_pin(self) -> str:
        output = self.step.output.get(self.chain.system, "")
        if not output.startswith("pin:"):
            raise self.fail("`seed` needs an output of `pin:<seed pin>` (the step must reproduce the seed)")
        return VAR_RE.sub(lambda m: self.chain.spec.vars.get(m.group(1), m.group(0)), output.removeprefix("pin:"))

    def assembler(self, pins: dict[str, str], seeds: list[Seed]) -> str:
        # The chain runs a seed on this source either directly (builder `pin:<seed>`) or as the output of an
        # earlier step that reproduces it; the self-hosted reassembly runs the same seed.
        builder = self.chain.step(self.step.name).builder
        if builder.kind == "pin" and builder.name in pins:
            return pins[builder.name]
        by_step = {seed.step: seed.name for seed in seeds}
        if builder.kind == "step" and builder.name in by_step:
            return by_step[builder.name]
        raise self.fail(
            f"the seed's builder '{builder.kind}:{builder.name}' is neither a seed pin nor a step that reproduces one"
        )
