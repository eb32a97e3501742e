"""The trust report written out: the page (HTML, self-contained: styles and the graph inline, no script, no
network) and the same data as JSON, rendered in memory and then written together or not at all."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import jinja2
import markupsafe

from rootstock import schema
from rootstock.core.files import write_all_atomic
from rootstock.trust.graph import COLOURS, draw, inline
from rootstock.trust.model import KINDS, LEVELS, TrustReport

PAGE = "trust.html"
DATA = "trust.json"
GRAPH = "trust.svg"
TEMPLATE = "page.html.j2"


def to_json(report: TrustReport) -> str:
    """The report's data: sorted keys, two-space indent, trailing newline, nothing that changes between runs."""
    return json.dumps(schema.converter.unstructure(report), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _environment() -> jinja2.Environment:
    # HTML wants HTML escaping of every value, which the Nix templates' environment (render/env.py) must not do.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["b64"] = lambda text: base64.b64encode(text.encode()).decode()
    env.filters["code"] = code
    return env


BACKTICKS = re.compile(r"`([^`]+)`")


def code(text: str) -> markupsafe.Markup:
    """A message as HTML, escaped, its `backticked` words (commands, file names) set as code."""
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(BACKTICKS.sub(r"<code>\1</code>", escaped))


def to_html(report: TrustReport, svg: str) -> str:
    """The page: every section of the report and the graph's SVG inline."""
    rows = [row for part in (*report.chains, *report.static) for row in part.steps]
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            report=report,
            svg=svg,
            colours=list(COLOURS.items()),
            levels=LEVELS,
            kinds=list(KINDS.items()),
            names={row.id: row.name for row in rows},
            pin_ids={pin.name: pin.id for pin in report.pins},
        )
    )


def write(report: TrustReport, directory: Path) -> list[Path]:
    """Render the page, the JSON and the graph (drawn by Graphviz), then write all three or none into directory;
    returns their paths, the page first.

    Raises:
        ToolMissingError, CommandError: Graphviz is missing or fails (nothing is written).
        WriteError: a file cannot be written (none is).
    """
    svg = draw(report)
    files = [(directory / PAGE, to_html(report, inline(svg))), (directory / DATA, to_json(report))]
    files.append((directory / GRAPH, svg))
    write_all_atomic(files)
    return [path for path, _ in files]
