"""What the audit is given: files, and the early stages as the stage graph describes them for one system.

The audit only analyses. rootstock.stages.audit_table turns stages.toml's `audit` tables into these records
and rootstock.stages.audit_inputs finds the files, so the audit keeps no description of the chain of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from attrs import field, frozen

from rootstock.audit.pinned import PinnedOutput
from rootstock.audit.policy import UPSTREAM_POLICIES, Arch, ProgramPolicy
from rootstock.errors import InputError

# How a stage's source becomes bytes: hex2 and M1 sources without a header of their own get the system's
# ELF header template prepended.
SourceKind = Literal["hex0", "hex1", "hex2", "hex2+header", "M1"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("hex0", "hex1", "hex2", "hex2+header", "M1")


@frozen
class Target:
    """One system's architecture as the chain builds it: decoding facts, load address, ELF header template."""

    system: str
    arch: Arch
    base: int
    elf_header: str


@frozen
class Seed:
    """A seed binary (a file of the seed directory), the pin it is, and the hex0 source its step reproduces."""

    name: str
    pin: str
    step: str
    source: str
    # The seed whose binary the chain runs on this source: the self-hosted reassembly runs that one.
    assembler: str
    policy: str
    pinned: PinnedOutput | None = None


@frozen
class Stage:
    """An early program the chain builds, its primary source and the upstream twins it is cross-checked with."""

    name: str
    step: str
    kind: SourceKind
    source: str
    gas: str | None
    development: str | None
    policy: str
    pinned: PinnedOutput | None = None


@frozen
class AuditInputs:
    """Everything one audit reads: the seed, source and (optionally) stage directories, and the graph's records.

    Source, twin and header names are relative to sources; seeds and stages hold files named after the
    programs. Without stages, the programs rebuilt from the sources are audited.
    """

    target: Target
    seed_dir: Path
    source_dir: Path
    stage_dir: Path | None
    seeds: tuple[Seed, ...]
    stages: tuple[Stage, ...]
    policies: Mapping[str, ProgramPolicy] = field(default=UPSTREAM_POLICIES, kw_only=True)

    def policy(self, program: Seed | Stage) -> ProgramPolicy:
        """The policy a program's record names.

        Raises:
            InputError: the policy table has no such entry.
        """
        try:
            return self.policies[program.policy]
        except KeyError:
            msg = (
                f"stages.toml: step '{program.step}': audit policy '{program.policy}' of {program.name} is not "
                f"in the policy table (known: {', '.join(sorted(self.policies))})"
            )
            raise InputError(msg) from None

    def pinned(self) -> dict[str, PinnedOutput]:
        """program name -> the output hash the graph pins for it, for every program that has one."""
        return {p.name: p.pinned for p in (*self.seeds, *self.stages) if p.pinned is not None}
