"""Rendered kaem scripts: a step's script that has a template is generated from the graph's [lists] and checked
for drift like the Nix files; a template's own error is one message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_support import golden_checkout, load_plan

from rootstock.cli import main
from rootstock.errors import InputError
from rootstock.render import render_all
from rootstock.render.filters import distinct_objects

TEMPLATE = """# Generated from {{ template }}
{% for source in lists["sources"] | distinct_objects %}
compile {{ source }} -o {{ source | object_stem }}.o
{% endfor %}
"""
SCRIPT = Path("nix/bootstrap/stage9/tools.kaem")


def scripted_checkout(checkout: Path, template: str = TEMPLATE, sources: str = '["lib/cat.c", "src/cp.c"]') -> Path:
    root = golden_checkout(checkout)
    (root / "templates" / "bootstrap" / "stage9").mkdir(parents=True)
    (root / "templates" / "bootstrap" / "stage9" / "tools.kaem.j2").write_text(template)
    stages = root / "stages.toml"
    text = stages.read_text().replace('tools = ["cat", "cp"]', f'tools = ["cat", "cp"]\nsources = {sources}')
    text += (
        f'\n[[step]]\nname = "scripted"\nbuilder = "hex0"\nargs = ["{{file:{SCRIPT}}}", "{{out}}"]\n'
        'output = { x86_64-linux = "sha256-OtX22Srd6U9G558cinpS+bl/n2OgCDjPTenXyM01kUI=" }\n'
    )
    stages.write_text(text)
    return root


def test_a_steps_script_is_rendered_from_the_lists(checkout: Path) -> None:
    root = scripted_checkout(checkout)
    assert main(["--root", str(root), "render"]) == 0
    assert (root / SCRIPT).read_text() == (
        "# Generated from templates/bootstrap/stage9/tools.kaem.j2\n"
        "compile lib/cat.c -o cat.o\n"
        "compile src/cp.c -o cp.o\n"
    )
    assert main(["--root", str(root), "render", "--check"]) == 0


def test_an_edited_script_is_drift(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = scripted_checkout(checkout)
    assert main(["--root", str(root), "render"]) == 0
    (root / SCRIPT).write_text((root / SCRIPT).read_text().replace("cp.o", "copy.o"))
    capsys.readouterr()
    assert main(["--root", str(root), "render", "--check"]) == 1
    err = capsys.readouterr().err
    assert "-compile src/cp.c -o copy.o" in err
    assert "+compile src/cp.c -o cp.o" in err


def test_a_template_no_step_runs_is_not_rendered(checkout: Path) -> None:
    root = scripted_checkout(checkout)
    (root / "templates" / "bootstrap" / "stage9" / "unused.kaem.j2").write_text("{{ lists['nope'] + 1 }}\n")
    assert {item.path for item in render_all(load_plan(root))} >= {SCRIPT}
    assert not (root / "nix" / "bootstrap" / "stage9" / "unused.kaem").exists()


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('{{ lists["sources"] + (1,) }}\n', "templates/bootstrap/stage9/tools.kaem.j2: can only concatenate list"),
        ('{{ lists["nope"] }}\n', "templates/bootstrap/stage9/tools.kaem.j2: 'dict object' has no attribute 'nope'"),
    ],
)
def test_a_broken_template_is_one_message_and_writes_nothing(
    checkout: Path, capsys: pytest.CaptureFixture[str], template: str, message: str
) -> None:
    root = scripted_checkout(checkout, template)
    assert main(["--root", str(root), "render"]) == 3
    assert message in capsys.readouterr().err
    assert not (root / SCRIPT).exists()
    assert not (root / "nix" / "generated").exists()


def test_two_sources_compiling_to_one_object_are_refused(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = scripted_checkout(checkout, sources='["lib/mes/globals.c", "src/globals.c"]')
    assert main(["--root", str(root), "render"]) == 3
    assert "lib/mes/globals.c and src/globals.c would both compile to globals.o in one step" in capsys.readouterr().err


def test_distinct_objects_keeps_the_order() -> None:
    assert distinct_objects(["b/x.c", "a/y.c"]) == ["b/x.c", "a/y.c"]
    with pytest.raises(InputError, match="compile them in different steps"):
        distinct_objects(["a/x.c", "b/x.c"])


def test_a_list_a_script_reads_is_rendered_too(checkout: Path) -> None:
    root = scripted_checkout(checkout)
    listing = "{% for source in lists['sources'] %}\nobj/{{ source | flat_object }}\n{% endfor %}\n"
    (root / "templates" / "bootstrap" / "stage9" / "objects.list.j2").write_text(listing)
    stages = root / "stages.toml"
    stages.write_text(
        stages.read_text().replace(
            '"{file:nix/bootstrap/stage9/tools.kaem}", "{out}"',
            '"{file:nix/bootstrap/stage9/tools.kaem}", "{file:nix/bootstrap/stage9/objects.list}", "{out}"',
        )
    )
    assert main(["--root", str(root), "render"]) == 0
    assert (root / "nix" / "bootstrap" / "stage9" / "objects.list").read_text() == "obj/lib_cat.c.o\nobj/src_cp.c.o\n"
    assert main(["--root", str(root), "render", "--check"]) == 0
