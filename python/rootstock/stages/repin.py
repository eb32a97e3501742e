"""`stages repin`: after a pin moved, build the chain on one system without failing on changed outputs, list
every step whose output changed and the first step that fails, and (after review) write the new hashes into
stages.toml in place.

Each round instantiates nix/default.nix with the new hashes found so far (its `outputs` argument) and builds
through the runner; Nix stops at the next fixed-output step whose bytes differ and names the hash it got, which
the next round uses. So every derivation built is exactly the one the written file will give, and a step whose
output did not change is never rebuilt.
"""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomlkit
from attrs import Factory, define, frozen

from rootstock.core.files import read_input_text, write_atomic
from rootstock.core.nar import flat_hash
from rootstock.errors import BuildError, HashMismatchError, InputError
from rootstock.runner.run import Runner, Target
from rootstock.stages.load import structure_graph
from rootstock.stages.loops import expand_name
from rootstock.stages.resolve import ResolvedStep

if TYPE_CHECKING:
    from rootstock.plan import Plan

log = logging.getLogger(__name__)


@frozen
class Change:
    """A pinned hash of one step that the build no longer gives: its output, or one file (`file` set)."""

    step: str
    expected: str
    actual: str
    file: str | None = None


@frozen
class Failed:
    """The first step that could not be built (or cannot be repinned in stages.toml), and why."""

    step: str
    error: str


@frozen
class Repin:
    """What one repin run found on one system."""

    system: str
    changes: tuple[Change, ...]
    failed: Failed | None
    built: int
    report: Path | None


@define
class _FileChecks:
    """The files of `files` steps, compared after the build and recorded instead of failing."""

    changes: list[Change] = Factory(list)

    def target(self, step: ResolvedStep) -> Target:
        def record(out: Path) -> None:
            for rel, expected in step.files:
                actual = flat_hash(out / rel)
                if actual != expected:
                    self.changes.append(Change(step.name, expected.hex, actual.hex, rel))

        pinned = step.output.sri if step.output is not None else f"{len(step.files)} file sha256s"
        return Target(step.name, ("stages", step.system, step.name), pinned, "stages repin", verify=record)


def find_changes(plan: Plan, system: str, *, log_dir: Path, jobs: int = 2) -> Repin:
    """Build the chain on system, following every changed output; stop at the first step that fails.

    Raises:
        DriftError: nix/generated/ does not match the data.
        HashMismatchError, MirrorMissingError: a pin's bytes changed or are not in the mirror.
    """
    chain = plan.system(system)
    steps = {step.name: step for step in chain.steps}
    overrides: dict[str, str] = {}
    changes: list[Change] = []
    first = True
    while True:
        checks = _FileChecks()
        targets = [checks.target(step) for step in chain.steps]
        runner = Runner(
            plan,
            log_dir / system,
            f"rootstock stages repin: {system}",
            len(targets),
            where=f" on {system}",
            jobs=jobs,
            keep_going=True,
            nix_args={"outputs": json.dumps({system: overrides}, sort_keys=True)},
        )
        if first:
            runner.start(ref.name for step in chain.steps for ref in step.refs() if ref.kind == "pin")
            first = False
        by_target = {target.describe(): target.name for target in targets}
        try:
            built = runner.build(targets)
        except HashMismatchError as exc:
            name = by_target.get(exc.what)
            step = steps.get(name) if name else None
            if step is None or step.name in overrides or _pinned_to_pin(plan, system, step):
                why = "its output is a pin's hash: the seed does not reproduce itself; review the seed pin"
                return Repin(system, tuple(changes), Failed(name or exc.what, f"{exc}\n  {why}"), 0, None)
            if step.same_as is not None:
                # A fixed point follows its step: it is written nowhere, and checked once the build is through
                # (Nix may report it before the step it follows).
                overrides[step.name] = exc.actual
                continue
            log.info("step '%s' on %s now gives %s (pinned %s)", step.name, system, exc.actual, exc.expected)
            changes.append(Change(step.name, exc.expected, exc.actual))
            overrides[step.name] = exc.actual
            continue
        except BuildError as exc:
            failed = by_target.get(str(exc).split(" failed to build", 1)[0], "")
            return Repin(system, tuple(changes), Failed(failed or "a derivation", str(exc)), 0, None)
        for step in chain.steps:
            if step.same_as is not None and step.name in overrides:
                pinned = steps[step.same_as].output
                followed = overrides.get(step.same_as, pinned.sri if pinned is not None else "")
                if overrides[step.name] != followed:
                    why = f"no fixed point: it gives {overrides[step.name]}, step '{step.same_as}' gives {followed}"
                    return Repin(system, tuple(changes), Failed(step.name, why), 0, None)
        report = runner.finish(notes=tuple(_note(change) for change in changes + checks.changes))
        return Repin(system, tuple(changes + checks.changes), None, len(built), report)


def _pinned_to_pin(plan: Plan, system: str, step: ResolvedStep) -> bool:
    written = next(s for s in plan.graph.step if s.name == step.name)
    return written.output.get(system, "").startswith("pin:")


def _note(change: Change) -> str:
    what = f"step '{change.step}'" + (f", file {change.file}" if change.file else "")
    return f"- {what}: pinned {change.expected}, now {change.actual}"


def _step_tables(doc: Any, lists: dict[str, tuple[str, ...]], name: str) -> tuple[Any, str | None]:
    """The [[step]] table that writes step name, and the item it has there (None for a plain step)."""
    for table in doc.get("step", []):
        each = table.get("each")
        if each is None:
            if table.get("name") == name:
                return table, None
            continue
        for item in lists.get(str(each), ()):
            if expand_name(str(table["name"]), item) == name:
                return table, item
    msg = f"stages.toml: no [[step]] writes step '{name}'"
    raise InputError(msg)


def write_changes(path: Path, system: str, changes: tuple[Change, ...]) -> None:
    """Write new hashes into stages.toml in place (comments, order and layout kept), then re-check the file.

    Raises:
        InputError: a step's table is not where the file was read from, or the edited file is not valid.
    """
    doc = tomlkit.parse(read_input_text(path, "stage graph"))
    lists = {key: tuple(value) for key, value in doc.get("lists", {}).items()}
    for change in changes:
        table, item = _step_tables(doc, lists, change.step)
        field = "files" if change.file is not None else "output"
        per_system = table[field] if item is None else table[field][item]
        if change.file is None:
            per_system[system] = change.actual
        else:
            per_system[system][change.file] = change.actual
    text = tomlkit.dumps(doc)
    structure_graph(tomllib.loads(text), str(path))
    write_atomic(path, text)
