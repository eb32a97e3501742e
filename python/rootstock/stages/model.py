"""Stage graph records as written in stages.toml (grammar: docs/stages-format.md)."""

from __future__ import annotations

from attrs import Factory, field, frozen

from rootstock.ddc.model import Ddc


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
class StepBody:
    """What a step and a step template both say: the builder, its argv and environment, where it runs."""

    name: str
    builder: str
    args: tuple[str, ...] = ()
    # The stage `rootstock build <stage>` builds the step in (docs/stages-format.md).
    stage: str = "stage0"
    systems: tuple[str, ...] | None = None
    env: dict[str, str] = Factory(dict)
    description: str | None = None

    def applies_to(self, system: str) -> bool:
        """Whether this step is part of the chain on system."""
        return self.systems is None or system in self.systems


@frozen
class Step(StepBody):
    """One derivation of the chain: a builder run with an argv, and the output it must produce.

    env_each (`env-each` in the file) maps a top-level list to environment entries written once with `{item}`;
    loading merges one entry per item into env, so a loaded Graph's steps have none left.
    """

    env_each: dict[str, dict[str, str]] = Factory(dict)
    output: dict[str, str] = Factory(dict)
    files: dict[str, dict[str, str]] = Factory(dict)
    audit: AuditSpec | None = None


@frozen
class StepTemplate(StepBody):
    """A `[[step]]` with `each`: one step per item of a top-level list, `{item}` standing for the item.

    Its output and files are tables per item (then per system, as a step's), so each hash sits next to the
    item it pins.
    """

    each: str = field(kw_only=True)
    output: dict[str, dict[str, str]] = Factory(dict)
    files: dict[str, dict[str, dict[str, str]]] = Factory(dict)


@frozen
class Oracle:
    """An independent record of what built programs must hash to: a sha256sum-style `answers` file in a pin
    (stage0-posix's `<arch>.answers`), or `checksums` written out here from a `source` no pin holds
    (live-bootstrap's published `*.checksums`), path -> sha256 hex.
    """

    name: str
    steps: tuple[str, ...]
    answers: str | None = None
    checksums: dict[str, str] = Factory(dict)
    source: str | None = None
    prefix: str = ""
    systems: tuple[str, ...] | None = None
    explained: dict[str, str] = Factory(dict)

    def applies_to(self, system: str) -> bool:
        """Whether this oracle judges the chain on system."""
        return self.systems is None or system in self.systems


@frozen
class StagesFile:
    """stages.toml as written: step templates not yet expanded."""

    systems: dict[str, SystemSpec] = Factory(dict)
    lists: dict[str, tuple[str, ...]] = Factory(dict)
    step: tuple[Step | StepTemplate, ...] = ()
    oracle: tuple[Oracle, ...] = ()
    ddc: tuple[Ddc, ...] = ()


@frozen
class Graph:
    """All systems and all steps, in build order (templates expanded), the oracles their outputs are compared
    with, and the DDC passes that check its compilers."""

    systems: dict[str, SystemSpec] = Factory(dict)
    step: tuple[Step, ...] = ()
    oracle: tuple[Oracle, ...] = ()
    lists: dict[str, tuple[str, ...]] = Factory(dict)
    ddc: tuple[Ddc, ...] = ()
    """The diverse double-compiling passes over the chain's compilers (docs/ddc.md)."""
