"""The one jinja2 Environment: strict about undefined names, with the Nix escaping filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import jinja2
import jinja2.loaders

from rootstock.core import files
from rootstock.render import filters


class TemplateLoader(jinja2.BaseLoader):
    """Templates read as every input is (core/files.py): a FIFO or device refused at once, a byte that is not UTF-8
    named with its offset, each as an InputError naming the file; jinja's FileSystemLoader would wait on the FIFO
    and raise a bare UnicodeDecodeError."""

    def __init__(self, templates: Path) -> None:
        self.templates = templates

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.templates.joinpath(*jinja2.loaders.split_template_path(template))
        if not path.exists():
            raise jinja2.TemplateNotFound(template)
        text = files.read_input_text(path, "template")
        mtime = path.stat().st_mtime
        return text, str(path), lambda: path.exists() and path.stat().st_mtime == mtime


@cache
def environment(templates: Path) -> jinja2.Environment:
    """The environment for a templates directory (built once per directory)."""
    env = jinja2.Environment(
        loader=TemplateLoader(templates),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        # Nix uses `{#` nowhere we write, but `#` comments are common: keep jinja comments unmistakable.
        comment_start_string="{##",
        comment_end_string="##}",
    )
    env.filters.update(
        nix_str=filters.nix_str,
        nix_ident=filters.nix_ident,
        nix_bool=filters.nix_bool,
        nix_ref=filters.nix_ref,
        nix_parts=filters.nix_parts,
        nix_builder=filters.nix_builder,
        nix_argv=filters.nix_argv,
        nix_by_system=filters.nix_by_system,
        nix_list=filters.nix_list,
        nix_remove_regexes=filters.nix_remove_regexes,
        nix_of_systems=filters.nix_of_systems,
        nix_chain_result=filters.nix_chain_result,
        object_stem=filters.object_stem,
        distinct_objects=filters.distinct_objects,
        flat_object=filters.flat_object,
    )
    return env
