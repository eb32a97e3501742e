"""Rendering nix/generated/ and the data-driven kaem scripts from pins and the stage graph, and checking the
committed files for drift."""

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
from rootstock.stages.resolve import Ref, share_steps

GENERATED = Path("nix/generated")
TEMPLATES = {
    "pins.nix": "pins.nix.j2",
    "stages.nix": "stages.nix.j2",
    "static-nix.nix": "static-nix.nix.j2",
    "ddc.nix": "ddc.nix.j2",
}
# A step's script nix/bootstrap/<stage>/<name>.kaem is rendered when templates/bootstrap/<stage>/<name>.kaem.j2
# exists: its commands come from stages.toml's [lists] (kaem cannot loop); committed beside the hand-written ones.
SCRIPT_TEMPLATES = Path("bootstrap")
SCRIPTS = Path("nix/bootstrap")
# A DDC pass's host build script nix/ddc/<name>.sh is rendered from templates/ddc/<name>.sh.j2 likewise.
DDC_SCRIPTS = Path("nix/ddc")


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
    env = environment(root / "templates")
    scripts = render_scripts(plan, env)
    rendered_scripts = {item.path.as_posix() for item in scripts}
    for who, ref in _file_refs(plan):
        if ref.name not in rendered_scripts and not (root / ref.name).is_file():
            msg = f"{who} refers to {{file:{ref.name}}}, which is not a file in {root}"
            raise InputError(msg)
    context = {
        "pins": pins.entries,
        "systems": plan.systems,
        "shared": share_steps(plan.graph, plan.systems),
        "recipe": recipe,
        "versions": versions,
        "ddc": plan.ddc,
    }
    nix_files = [
        Rendered(GENERATED / target, _render(env, template, context)) for target, template in TEMPLATES.items()
    ]
    return nix_files + scripts


def render_scripts(plan: Plan, env: jinja2.Environment) -> list[Rendered]:
    """The files the graph's steps read that have a template: `{file:nix/bootstrap/<stage>/<name>}` (a kaem
    script, or a list a script reads) is rendered from templates/bootstrap/<stage>/<name>.j2 with the graph's
    [lists]."""
    used = sorted({ref.name for _, ref in _file_refs(plan)})
    context = {"lists": {name: list(items) for name, items in plan.graph.lists.items()}}
    out = []
    for name in used:
        path = Path(name)
        if path.parent.parent == SCRIPTS:
            template = SCRIPT_TEMPLATES / path.parent.name / f"{path.name}.j2"
        elif path.parent == DDC_SCRIPTS and path.suffix == ".sh":
            template = Path("ddc") / f"{path.name}.j2"
        else:
            continue
        if (plan.project.root / "templates" / template).is_file():
            out.append(Rendered(path, _render(env, template.as_posix(), context)))
    return out


def _file_refs(plan: Plan) -> list[tuple[str, Ref]]:
    """Every `{file:…}` the steps and the DDC passes refer to, with who refers to it."""
    refs = [
        (f"step '{step.name}'", ref)
        for resolved in plan.systems.values()
        for step in resolved.steps
        for ref in step.refs()
        if ref.kind == "file"
    ]
    for name, ddc in plan.ddc.items():
        parts = [*ddc.host_script, *(part for _, value in ddc.host_env for part in value)]
        refs += [(f"ddc '{name}'", part) for part in parts if isinstance(part, Ref) and part.kind == "file"]
    return refs


def _render(env: jinja2.Environment, template: str, context: dict[str, object]) -> str:
    try:
        return env.get_template(template).render(context, template=f"templates/{template}")
    except (jinja2.TemplateError, TypeError, KeyError) as exc:
        # A template's own expression failing (a wrong operand, a missing list) is as much its error as bad syntax.
        msg = f"templates/{template}: {exc}"
        raise InputError(msg) from None


def parse_all(rendered: list[Rendered]) -> None:
    """Every rendered file must parse as Nix.

    Raises:
        InputError: names the first template whose output does not parse, with Nix's error.
    """
    for item in rendered:
        if item.path.suffix != ".nix":
            continue
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
        if not path.is_file() or path.read_bytes() != item.text.encode():
            write_atomic(path, item.text)
            changed.append(item.path)
    return changed


def drift(root: Path, rendered: list[Rendered]) -> str:
    """A unified diff between the committed generated files and a fresh rendering ('' when none)."""
    chunks = []
    expected = {item.path: item.text for item in rendered}
    present = {p.relative_to(root) for p in (root / GENERATED).glob("*.nix")} if (root / GENERATED).is_dir() else set()
    for path in sorted(set(expected) | present):
        # errors="replace": a committed file that is not UTF-8 is drift, shown, not a traceback.
        old = (root / path).read_text(errors="replace") if (root / path).is_file() else ""
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
