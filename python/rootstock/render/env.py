"""The one jinja2 Environment: strict about undefined names, with the Nix escaping filters."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from rootstock.render import filters


@cache
def environment(templates: Path) -> jinja2.Environment:
    """The environment for a templates directory (built once per directory)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
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
