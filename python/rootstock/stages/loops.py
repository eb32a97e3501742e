"""Unrolling stages.toml's loops: step templates (`each`) and environment entries per item (`env-each`).

They are unrolled when the file is read, so the resolver, the build and the audit see plain steps only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from attrs import evolve

from rootstock.core import storename
from rootstock.errors import InputError
from rootstock.stages.model import Graph, StagesFile, Step, StepTemplate

# `{{` and `}}` are literal braces and are kept as they are for the resolver.
ITEM_RE = re.compile(r"\{\{|\}\}|\{item(?::([^{}]*))?\}")
TRANSFORMS: dict[str, Callable[[str], str]] = {"": str, "upper": str.upper}


def _substitute(text: str, item: str | None, fail: Callable[[str], InputError]) -> str:
    def one(m: re.Match[str]) -> str:
        if not m.group(0).startswith("{item"):
            return m.group(0)
        if item is None:
            raise fail(f"'{m.group(0)}' outside a template (a step with `each`) or `env-each`")
        transform = m.group(1) or ""
        if transform not in TRANSFORMS:
            raise fail(f"unknown item transform '{m.group(0)}' (known: {{item}}, {{item:upper}})")
        return TRANSFORMS[transform](item)

    return ITEM_RE.sub(one, text)


def expand_name(name: str, item: str) -> str:
    """A template's step name for one item (what unrolling calls that step).

    Raises:
        InputError: the name uses an unknown transform.
    """
    return _substitute(name, item, InputError)


class _Unroller:
    def __init__(self, lists: dict[str, tuple[str, ...]], source: str) -> None:
        self.lists = lists
        self.source = source
        self.where = ""

    def fail(self, what: str) -> InputError:
        return InputError(f"{self.source}: {self.where}: {what}")

    def items(self, name: str, field: str) -> tuple[str, ...]:
        if name not in self.lists:
            known = ", ".join(sorted(self.lists)) or "none"
            raise self.fail(f"{field} names no top-level list '{name}' (lists: {known})")
        return self.lists[name]

    def text(self, text: str, item: str | None) -> str:
        return _substitute(text, item, self.fail)

    def table(self, table: dict[str, str], item: str | None) -> dict[str, str]:
        return {self.text(key, item): self.text(value, item) for key, value in table.items()}

    def env(self, step: Step | StepTemplate, item: str | None) -> dict[str, str]:
        env = self.table(step.env, item)
        for name, entries in (step.env_each if isinstance(step, Step) else {}).items():
            for each in self.items(name, "env-each"):
                for key, value in self.table(entries, each).items():
                    if key in env:
                        raise self.fail(f"env-each.{name} sets {key}, which the environment already has")
                    env[key] = value
        return env

    def name(self, name: str, item: str | None) -> str:
        # A template's name is a store path name only once its item is in it.
        expanded = self.text(name, item)
        if (why := storename.problem(expanded)) is not None:
            raise self.fail(f"name{'' if item is None else f' for item {item!r}'}: {why}")
        return expanded

    def step(self, step: Step, item: str | None = None) -> Step:
        return evolve(
            step,
            name=self.name(step.name, item),
            builder=self.text(step.builder, item),
            args=tuple(self.text(arg, item) for arg in step.args),
            env=self.env(step, item),
            env_each={},
            output=self.table(step.output, item),
            files={system: self.table(files, item) for system, files in step.files.items()},
            description=None if step.description is None else self.text(step.description, item),
        )

    def template(self, template: StepTemplate) -> list[Step]:
        self.where = f"step template '{template.name}' (each = '{template.each}')"
        items = self.items(template.each, "each")
        for field, table in (("output", template.output), ("files", template.files)):
            stale = sorted(set(table) - set(items))
            if stale:
                raise self.fail(f"{field} pins {', '.join(stale)}, which list '{template.each}' does not have")
        steps: list[Step] = []
        for item in items:
            if item not in template.output and item not in template.files:
                raise self.fail(
                    f"no pinned output for item '{item}' (write output.{item} = {{ <system> = \"sha256-…\" }})"
                )
            plain = Step(
                name=template.name,
                builder=template.builder,
                args=template.args,
                systems=template.systems,
                env=template.env,
                output=template.output.get(item, {}),
                files=template.files.get(item, {}),
                description=template.description,
            )
            steps.append(self.step(plain, item))
        names = [step.name for step in steps]
        if len(set(names)) < len(names):
            twice = sorted({name for name in names if names.count(name) > 1})
            raise self.fail(f"expands to the step name(s) {', '.join(twice)} more than once (put {{item}} in name)")
        return steps


def unroll(written: StagesFile, source: str) -> Graph:
    """The graph with every template expanded in place and every `env-each` merged into its step's env.

    Raises:
        InputError: naming the step and file: an unknown list, `{item}` outside a loop, an unknown transform,
            a template expanding to one name twice, an item without (or a stale item with) a pinned hash.
    """
    unroller = _Unroller(written.lists, source)
    steps: list[Step] = []
    for entry in written.step:
        if isinstance(entry, StepTemplate):
            steps.extend(unroller.template(entry))
        else:
            unroller.where = f"step '{entry.name}'"
            steps.append(unroller.step(entry))
    return Graph(written.systems, tuple(steps), written.oracle, written.lists, written.ddc)
