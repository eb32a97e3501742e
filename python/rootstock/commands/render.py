"""`rootstock render [--check]`: nix/generated/ from templates, pins and the stage graph."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the render command."""
    p = sub.add_parser("render", help="render nix/generated/ from templates/, pins.toml and stages.toml")
    p.add_argument("--check", action="store_true", help="write nothing; fail with a diff if the files drifted")
    p.set_defaults(handler=run_render)


def run_render(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Render, then write or check."""
    from rootstock import render
    from rootstock.plan import Plan

    plan = Plan.from_options(options)
    project = plan.project
    rendered = render.render_all(plan)
    if args.check:
        render.check(project.root, rendered)
        print(f"{len(rendered)} generated files parse and match templates + pins")
        return 0
    changed = render.write(project.root, rendered)
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(rendered)} generated files, {len(changed)} changed")
    return 0
