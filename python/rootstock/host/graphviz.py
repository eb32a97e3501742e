"""The door to Graphviz: a graph in the dot language laid out and drawn as SVG by `dot` (Debian's graphviz)."""

from __future__ import annotations

from rootstock.host import proc


def svg(source: str) -> str:
    """The SVG `dot -Tsvg` draws for source: the same bytes for the same source and the same Graphviz.

    Raises:
        ToolMissingError: dot is not installed.
        CommandError: dot refused the source.
    """
    return proc.run(["dot", "-Tsvg"], stdin=source).stdout
