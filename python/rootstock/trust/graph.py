"""The chain as a graph: every step and static package a node coloured by its evidence level, an edge from each
input it reads, one cluster per stage and system; written in the dot language and drawn by Graphviz.

Graphviz, not a Python layout: the chain is a layered DAG of some two hundred nodes with edges across stages,
which is what dot's layered layout is for; it is a Debian package (no wheel to trust), and for the same source
and version it draws the same bytes, which keeps the page deterministic.
"""

from __future__ import annotations

import json
import re

from rootstock.host import graphviz
from rootstock.trust.model import Level, StepView, TrustReport

COLOURS: dict[Level, tuple[str, str]] = {
    "three": ("#1b7837", "#ffffff"),
    "two": ("#5aae61", "#000000"),
    "one": ("#a6dba0", "#000000"),
    "pinned": ("#fff7bc", "#000000"),
    "not built": ("#e0e0e0", "#555555"),
    "differs": ("#d73027", "#ffffff"),
}
"""Fill and text colour of each level, strongest first (the page's legend and rows use the same)."""


def quoted(text: str) -> str:
    """A dot string (its escapes are JSON's, for the characters a step name or a message can hold)."""
    return json.dumps(text, ensure_ascii=False)


def _node(row: StepView) -> str:
    fill, ink = COLOURS[row.level]
    attrs = {
        "label": row.name,
        "URL": f"#{row.id}",
        "tooltip": f"{row.name}: {row.level}",
        "fillcolor": fill,
        "fontcolor": ink,
    }
    return f"{quoted(row.id)} [{', '.join(f'{k}={quoted(v)}' for k, v in attrs.items())}];"


def _cluster(cluster_id: str, title: str, rows: tuple[StepView, ...]) -> list[str]:
    return [
        f"subgraph {quoted('cluster_' + cluster_id)} {{",
        f"label={quoted(title)}; URL={quoted('#' + cluster_id)}; tooltip={quoted(title)};",
        *(_node(row) for row in rows),
        "}",
    ]


def dot_source(report: TrustReport) -> str:
    """The graph in the dot language: clusters in the report's order, nodes in build order."""
    lines = [
        "digraph chain {",
        'graph [rankdir=LR, newrank=true, nodesep=0.06, ranksep=0.18, fontname="DejaVu Sans", fontsize=11,'
        ' style=rounded, color="#999999", bgcolor="transparent"];',
        'node [shape=box, style="filled,rounded", fontname="DejaVu Sans", fontsize=9, height=0.22, width=0.3,'
        ' margin="0.05,0.02", color="#666666", penwidth=0.6];',
        'edge [arrowsize=0.4, color="#9e9e9e", penwidth=0.6];',
    ]
    parts = [(c.id, f"{c.stage} on {c.system}", c.steps) for c in report.chains]
    parts += [(s.id, f"static nix with {s.toolchain}", s.steps) for s in report.static]
    for part in parts:
        lines += _cluster(*part)
    rows = [row for _, _, steps in parts for row in steps]
    cluster = {row.id: c.id for c in (*report.chains, *report.static) for row in c.steps}
    # An edge into another cluster (stage 1 reads a dozen of stage 0's tools) is drawn once per pair of
    # clusters, dashed, from the first step read: all of them would hide the chain under long curves.
    crossing: set[tuple[str, str]] = set()
    for row in rows:
        for src in row.steps:
            if src not in cluster:
                continue
            pair = (cluster[src], cluster[row.id])
            if pair[0] == pair[1]:
                lines.append(f"{quoted(src)} -> {quoted(row.id)};")
            elif pair not in crossing:
                crossing.add(pair)
                # Not a rank constraint: the later stage's cluster then sits below the earlier one, not after its
                # last rank, and the picture stays as wide as one stage.
                dashed = 'style=dashed, penwidth=1.2, color="#555555", constraint=false'
                lines.append(f"{quoted(src)} -> {quoted(row.id)} [{dashed}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


SVG_START = re.compile(r"<svg\b")


def draw(report: TrustReport) -> str:
    """The graph drawn as an SVG document.

    Raises:
        ToolMissingError, CommandError: as host/graphviz.py's svg.
    """
    return graphviz.svg(dot_source(report))


def inline(svg: str) -> str:
    """The SVG as an element to put in a page: the XML prolog and DOCTYPE before it dropped."""
    start = SVG_START.search(svg)
    return svg[start.start() :] if start else svg
