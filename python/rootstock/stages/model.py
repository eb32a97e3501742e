"""Stage graph records as written in stages.toml (grammar: docs/stages-format.md)."""

from __future__ import annotations

from attrs import Factory, frozen


@frozen
class SystemSpec:
    """The variables one Nix system substitutes into the steps."""

    vars: dict[str, str] = Factory(dict)
    lists: dict[str, tuple[str, ...]] = Factory(dict)


@frozen
class AuditSpec:
    """How the audit reads a step's output (docs/audit.md); the strings take the system's `{NAME}` variables.

    A step whose output is a seed pin names the seed; a step that builds an early program names it, says how
    its source becomes bytes and which upstream twins it is compared with. Paths are relative to the
    architecture's directory of the stage0-posix tree.
    """

    source: str
    seed: str | None = None
    program: str | None = None
    kind: str | None = None
    gas: str | None = None
    development: str | None = None
    policy: str | None = None


@frozen
class Step:
    """One derivation of the chain: a builder run with an argv, and the output it must produce."""

    name: str
    builder: str
    args: tuple[str, ...] = ()
    systems: tuple[str, ...] | None = None
    env: dict[str, str] = Factory(dict)
    output: dict[str, str] = Factory(dict)
    files: dict[str, dict[str, str]] = Factory(dict)
    audit: AuditSpec | None = None

    def applies_to(self, system: str) -> bool:
        """Whether this step is part of the chain on system."""
        return self.systems is None or system in self.systems


@frozen
class Oracle:
    """An independent record of what built programs must hash to, such as stage0-posix's `<arch>.answers`."""

    name: str
    answers: str
    steps: tuple[str, ...]
    prefix: str = ""
    explained: dict[str, str] = Factory(dict)


@frozen
class Graph:
    """All systems and all steps, in build order, and the oracles their outputs are compared with."""

    systems: dict[str, SystemSpec] = Factory(dict)
    step: tuple[Step, ...] = ()
    oracle: tuple[Oracle, ...] = ()
