"""Rendering nix/generated/ from pins and the stage graph, and checking the committed files for drift."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from attrs import frozen

if TYPE_CHECKING:
    from rootstock.plan import Plan

from rootstock.core.files import write_atomic
from rootstock.errors import DriftError, InputError
from rootstock.host import nix
from rootstock.render.env import environment
from rootstock.stages.resolve import share_steps

GENERATED = Path("nix/generated")
TEMPLATES = {"pins.nix": "pins.nix.j2", "stages.nix": "stages.nix.j2", "static-nix.nix": "static-nix.nix.j2"}


@frozen
class Rendered:
    """One generated file: where it goes (relative to the checkout) and its text."""

    path: Path
    text: str


def render_all(plan: Plan) -> list[Rendered]:
    """Render every generated file of the plan in memory; nothing is written, so a failure leaves the tree
    untouched.

    Raises:
        InputError: a template is missing or uses an undefined name, or a step references a missing file.
    """
    root, pins, recipe = plan.project.root, plan.pins, plan.recipe
    versions = {pkg.name: pins.get(pkg.source).pin.version or "0" for pkg in recipe.package}
    steps = {system: list(resolved.steps) for system, resolved in plan.systems.items()}
    for resolved in steps.values():
        for step in resolved:
            for ref in step.refs():
                if ref.kind == "file" and not (root / ref.name).is_file():
                    msg = f"step '{step.name}' refers to {{file:{ref.name}}}, which is not a file in {root}"
                    raise InputError(msg)
    context = {
        "pins": pins.entries,
        "systems": plan.systems,
        "shared": share_steps(plan.graph, plan.systems),
        "recipe": recipe,
        "versions": versions,
    }
    out = []
    env = environment(root / "templates")
    for target, template in TEMPLATES.items():
        try:
            text = env.get_template(template).render(context, template=f"templates/{template}")
        except jinja2.TemplateError as exc:
            msg = f"templates/{template}: {exc}"
            raise InputError(msg) from None
        out.append(Rendered(GENERATED / target, text))
    return out


def parse_all(rendered: list[Rendered]) -> None:
    """Every rendered file must parse as Nix.

    Raises:
        InputError: names the first template whose output does not parse, with Nix's error.
    """
    for item in rendered:
        error = nix.syntax_error(item.text)
        if error is not None:
            # Nix read the text on stdin; its positions are lines of the file the text was rendered for.
            where = error.replace("«stdin»", str(item.path))
            msg = f"templates/{TEMPLATES[item.path.name]} renders {item.path} as Nix that does not parse:\n{where}"
            raise InputError(msg, "fix the template and render again; no generated file was written")


def write(root: Path, rendered: list[Rendered]) -> list[Path]:
    """Write rendered files (each atomically) and return the paths that changed.

    Every file is parsed before the first is written, so a template that emits broken Nix replaces nothing.

    Raises:
        InputError: a rendered file does not parse (nothing was written).
        WriteError: a file cannot be written.
    """
    parse_all(rendered)
    changed = []
    for item in rendered:
        path = root / item.path
        if not path.is_file() or path.read_text() != item.text:
            write_atomic(path, item.text)
            changed.append(item.path)
    return changed


def drift(root: Path, rendered: list[Rendered]) -> str:
    """A unified diff between the committed generated files and a fresh rendering ('' when none)."""
    chunks = []
    expected = {item.path: item.text for item in rendered}
    present = {p.relative_to(root) for p in (root / GENERATED).glob("*.nix")} if (root / GENERATED).is_dir() else set()
    for path in sorted(set(expected) | present):
        old = (root / path).read_text() if path in present else ""
        new = expected.get(path, "")
        if old != new:
            chunks.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=f"{path} (committed)",
                    tofile=f"{path} (rendered)",
                )
            )
    return "".join(chunks)


def check(root: Path, rendered: list[Rendered]) -> None:
    """Fail when the committed generated files do not parse or differ from the templates and pins.

    The rendering is parsed first: when a template emits broken Nix, 'run rootstock render' would be no advice.
    With no drift the committed files are these texts, so this also proves the committed files parse.

    Raises:
        InputError: a rendered (and so a committed) file does not parse.
        DriftError: with the diff and the command that fixes it.
    """
    parse_all(rendered)
    diff = drift(root, rendered)
    if diff:
        msg = f"generated Nix files drifted from templates + pins; run 'rootstock render' and commit:\n{diff}"
        raise DriftError(msg)
