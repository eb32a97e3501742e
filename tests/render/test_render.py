"""Rendering: golden output, Nix-valid escaping, drift detection, and errors for bad graphs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from render_support import GOLDEN, golden_checkout, load_plan

from common_support import PLACEHOLDER, REPO, plan_loads
from rootstock.cli import main
from rootstock.errors import InputError
from rootstock.host import nix, proc
from rootstock.render import GENERATED, render_all
from rootstock.render.filters import nix_ident, nix_remove_regexes, nix_str


def test_rendered_files_match_golden(checkout: Path) -> None:
    root = golden_checkout(checkout)
    rendered = render_all(load_plan(root))
    for item in rendered:
        assert item.text == (GOLDEN / item.path.name).read_text(), f"{item.path}: re-bless tests/golden if intended"


def test_rendered_nix_parses_and_instantiates(
    nix_store: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = golden_checkout(checkout)
    assert main(["--root", str(root), "render"]) == 0
    drvs = nix.instantiate(root / "nix/default.nix", ['stages."x86_64-linux"."with.dot"'])
    drv = nix.show_derivation(drvs[0])
    args = drv["args"]
    assert args[:2] == ["--64", "--little-endian"]
    assert args[2] == 'literal ${not-interpolated} "quoted"'
    assert args[3].endswith("-hex0-" + args[3].rsplit("-", 1)[1])
    assert drv["env"]["SCRIPT"].endswith("-default.nix")
    assert "outputHash" not in drv["env"]
    tool_drv = nix.instantiate(root / "nix/default.nix", ["static.packages.host.tool"])[0]
    tool = nix.show_derivation(tool_drv)
    # A dependency is referenced by attribute even when its name needs quoting, and `@name@` is its path.
    assert tool["env"]["flags"] == "-Dlib=" + tool["env"]["deps"] + "/lib"
    assert tool["env"]["deps"].endswith("-lib.a-1.0")
    assert tool["outputs"].keys() == {"out", "evidence"}
    seed_drv = nix.instantiate(root / "nix/default.nix", ['stages."x86_64-linux".hex0'])[0]
    seed_step = nix.show_derivation(seed_drv)
    # A pinned step is fixed-output, and the seed reproducing itself means its pin's own hash.
    assert seed_step["outputs"]["out"]["hash"] == "0c2cd976e62b8b1f7239e2687a6fc9873fd60f302cb3b516c2365b91726ae8cb"
    assert seed_step["env"]["name"].startswith("hex0-")
    # A template's steps are built one per item, and env-each gives the gathering step each of their paths.
    tools_drv, cat_drv = nix.instantiate(
        root / "nix/default.nix", ['stages."x86_64-linux".tools', 'stages."x86_64-linux".tool-cat']
    )
    tools, cat = nix.show_derivation(tools_drv), nix.show_derivation(cat_drv)
    assert cat["env"]["PROGRAM"] == "cat"
    assert tools["env"]["CAT"] == cat["outputs"]["out"]["path"]


def test_step_meta_is_evaluated_without_building(nix_store: Path, checkout: Path) -> None:
    root = golden_checkout(checkout)
    assert main(["--root", str(root), "render"]) == 0

    def meta(step: str) -> dict[str, object]:
        return nix.eval_json(root / "nix/default.nix", f'stages."x86_64-linux".{step}.meta')

    assert meta("hex0") == {
        "description": "hex0: built by the pinned file seed-amd64",
        "outputHash": "sha256-DCzZduYrix9yOeJoem/Jhz/WDzAss7UWwjZbkXJq6Ms=",
        "pins": ["seed-amd64", "tool-src"],
    }
    assert meta("tool-cp")["description"] == "the tool's cp"
    assert meta('"with.dot"')["outputHash"] is None
    assert meta('"with.dot"')["files"] == {"bin/tool": "sha256-ZslZheZo8g8kZcK4dvg/7wZv18jC3TrbUalp8tcSDIs="}


@pytest.mark.parametrize("value", ["plain", "${x}", "$${x}", 'q"uote', "back\\slash", "new\nline", "ünï", "$", "''"])
def test_nix_str_round_trips_through_nix(value: str) -> None:
    out = proc.run(["nix-instantiate", "--eval", "--json", "-E", nix_str(value)]).stdout
    assert json.loads(out) == value


@pytest.mark.parametrize(
    ("name", "expected"),
    [("hex0", "hex0"), ("M2-0.M1", '"M2-0.M1"'), ("in", '"in"'), ("x86_64-linux", "x86_64-linux"), ("1st", '"1st"')],
)
def test_nix_ident(name: str, expected: str) -> None:
    assert nix_ident(name) == expected


TREE = ["seeds/a", "seeds/.hidden", "seeds/sub/x", "seedsx/a", "lib.c++", "libxc++", "doc/README", "doc/ab", "doc/a"]


@pytest.mark.parametrize("pattern", ["seeds/*", "lib.c++", "doc/[!R]?*", "doc/?", "*/a", "seeds"])
def test_remove_regexes_name_what_the_glob_removes(tmp_path: Path, pattern: str) -> None:
    # The evaluator's filter (builtins.match on the path in the tree) against what `pins fetch` removes.
    for name in TREE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    paths = sorted({p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")})
    globbed = {p.relative_to(tmp_path).as_posix() for p in tmp_path.glob(pattern)}
    expr = f"map (p: builtins.any (re: builtins.match re p != null) {nix_remove_regexes([pattern], 'p')}) "
    expr += "[ " + " ".join(nix_str(p) for p in paths) + " ]"
    matched = json.loads(proc.run(["nix-instantiate", "--eval", "--json", "--strict", "-E", expr]).stdout)
    assert {p for p, hit in zip(paths, matched, strict=True) if hit} == globbed


def test_a_remove_pattern_spanning_directories_is_refused(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = golden_checkout(checkout)
    pins = (root / "pins.toml").read_text()
    (root / "pins.toml").write_text(pins.replace('remove = ["seeds/*"', 'remove = ["seeds/**"'))
    assert main(["--root", str(root), "render"]) == 3
    err = capsys.readouterr().err
    assert "pin 'tree-src': remove pattern 'seeds/**': '**' cannot be rendered for Nix's evaluator" in err
    assert not (root / GENERATED).exists()


def test_drift_is_reported_with_a_diff(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = golden_checkout(checkout)
    assert main(["--root", str(root), "render"]) == 0
    assert main(["--root", str(root), "render", "--check"]) == 0
    stages = root / GENERATED / "stages.nix"
    stages.write_text(stages.read_text().replace("--64", "--32"))
    capsys.readouterr()
    assert main(["--root", str(root), "render", "--check"]) == 1
    err = capsys.readouterr().err
    assert "run 'rootstock render'" in err
    assert '-        flags = [ "--32" "--little-endian" ];' in err
    assert '+        flags = [ "--64" "--little-endian" ];' in err


def test_stale_generated_file_is_drift(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = golden_checkout(checkout)
    assert main(["--root", str(root), "render"]) == 0
    (root / GENERATED / "leftover.nix").write_text("{ }\n")
    assert main(["--root", str(root), "render", "--check"]) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('builder = "hex0"', 'builder = "later"'), "step 'with.dot' on x86_64-linux: unknown earlier step 'later'"),
        (("{pin:tool-src}", "{pin:nope}"), "unknown pin 'nope'"),
        (("{arch}/hex0", "{arc}/hex0"), "unknown variable '{arc}'"),
        (('"@{flags}"', '"@{flagz}"'), "unknown list variable '@{flagz}'"),
        (('output = { x86_64-linux = "pin:{seed}" }', ""), "no pinned output for this system"),
        (("/hex0.hex0", "/hex0.hex0}"), "unbalanced brace"),
        (
            ('each = "tools"', 'each = "toolz"'),
            "stages.toml: step template 'tool-{item}' (each = 'toolz'): each names no top-level list 'toolz'",
        ),
        (
            ("env-each = { tools", "env-each = { toolz"),
            "stages.toml: step 'tools': env-each names no top-level list 'toolz' (lists: tools)",
        ),
        (('name = "tools"', 'name = "tools-{item}"'), "step 'tools-{item}': '{item}' outside a template"),
        (('"{pin:tool-src}/{arch}', '"{pin:tool-src}/{item:upper}'), "step 'hex0': '{item:upper}' outside a template"),
        (("{item:upper}", "{item:lower}"), "step 'tools': unknown item transform '{item:lower}'"),
        (
            ('name = "tool-{item}"', 'name = "tool"'),
            "step template 'tool' (each = 'tools'): expands to the step name(s) tool more than once",
        ),
        (
            ('cp = { x86_64-linux = "sha256-xUu58DzuqR4kL+zZxQN26XkKvKupsFmVl+Ek/f8wt6w=" }', ""),
            "step template 'tool-{item}' (each = 'tools'): no pinned output for item 'cp'",
        ),
        (('tools = ["cat", "cp"]', 'tools = ["cat"]'), "output pins cp, which list 'tools' does not have"),
        (("cat = { x86_64-linux", "cat = { i686-linux"), "step 'tool-cat' on x86_64-linux: no pinned output"),
        (('args = ["{out}"]', 'args = ["{out}"]\nenv = { CAT = "x" }'), "env-each.tools sets CAT"),
    ],
)
def test_bad_graph_is_one_clear_error(checkout: Path, change: tuple[str, str], message: str) -> None:
    root = golden_checkout(checkout)
    stages = root / "stages.toml"
    stages.write_text(stages.read_text().replace(*change, 1))
    with pytest.raises(InputError) as info:
        load_plan(root)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # A string or a table where an array belongs was split into characters or keys before.
        (
            ('args = ["{out}"]', 'args = "{out}"'),
            "step 4 ('tools'): args: expected an array, got a string '{out}'",
        ),
        (('tools = ["cat", "cp"]', 'tools = "cat"'), "lists.tools: expected an array, got a string 'cat'"),
        (("[[step]]", "[[step]]\ncolour = 1"), "step 1 ('hex0'): unknown key(s) colour"),
        (
            ("env-each = { tools", "env-each = { tools = 1, x"),
            "step 4 ('tools'): env-each.tools: expected a table, got an integer 1",
        ),
    ],
)
def test_a_bad_graph_field_is_one_line(checkout: Path, change: tuple[str, str], message: str) -> None:
    root = golden_checkout(checkout)
    stages = root / "stages.toml"
    stages.write_text(stages.read_text().replace(*change, 1))
    with pytest.raises(InputError) as info:
        load_plan(root)
    assert str(info.value) == f"{stages}: {message}"


def test_an_unknown_output_pin_names_the_step(checkout: Path) -> None:
    root = golden_checkout(checkout)
    stages = root / "stages.toml"
    stages.write_text(
        stages.read_text().replace(
            'output = { x86_64-linux = "pin:{seed}" }', 'output = { x86_64-linux = "pin:nope" }', 1
        )
    )
    with pytest.raises(InputError) as info:
        load_plan(root)
    assert str(info.value).startswith(f"{stages}: step 'hex0' on x86_64-linux: unknown pin 'nope' (known: ")


def test_missing_repository_file_is_reported(checkout: Path) -> None:
    root = golden_checkout(checkout)
    (root / "nix" / "lib" / "default.nix").rename(root / "nix" / "lib" / "moved.nix")
    with pytest.raises(InputError, match=r"refers to \{file:nix/lib/default.nix\}"):
        render_all(load_plan(root))


def test_render_check_loads_and_resolves_the_data_once(checkout: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = golden_checkout(checkout)
    assert main(["--root", str(root), "render"]) == 0
    caplog.set_level(logging.DEBUG, logger="rootstock.plan")
    caplog.clear()
    assert main(["--root", str(root), "render", "--check"]) == 0
    assert plan_loads(caplog.records) == 1


def test_only_the_plan_loads_and_resolves_the_data_files() -> None:
    # Everything else receives the plan: a second reader of stages.toml or static-nix.toml would be a second truth.
    package = REPO / "python" / "rootstock"
    callers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        for name in ("load_graph(", "resolve_system(", "load_recipe(")
        if name in path.read_text() and f"def {name}" not in path.read_text()
    }
    assert callers == {"plan.py"}


def test_an_unwritable_generated_directory_is_one_message(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = golden_checkout(checkout)
    (root / "nix" / "generated").write_text("a file where the directory should be\n")
    assert main(["--root", str(root), "render"]) == 4
    err = capsys.readouterr().err
    assert err.startswith(f"rootstock: error: cannot write {root / GENERATED / 'pins.nix'}: File exists\n")
    assert "a file stands where the directory" in err
    assert "Traceback" not in err


def break_template(root: Path) -> None:
    """Make templates/stages.nix.j2 emit Nix that does not parse: one binding loses its semicolon."""
    template = root / "templates" / "stages.nix.j2"
    text = template.read_text()
    broken = text.replace("inherit system;", "inherit system", 1)
    assert broken != text
    template.write_text(broken)


def test_render_writes_nothing_when_a_template_emits_broken_nix(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = golden_checkout(checkout)
    assert main(["--root", str(root), "render"]) == 0
    before = {path.name: path.read_text() for path in (root / GENERATED).iterdir()}
    # pins.nix, rendered first, would change too: the broken stages.nix must keep it from being written.
    pins = root / "pins.toml"
    pins.write_text(pins.read_text().replace("https://example.invalid/tool", "https://example.invalid/moved"))
    break_template(root)
    capsys.readouterr()
    assert main(["--root", str(root), "render"]) == 3
    err = capsys.readouterr().err
    assert err.startswith(
        "rootstock: error: templates/stages.nix.j2 renders nix/generated/stages.nix as Nix that does not parse:\n"
    )
    assert "at nix/generated/stages.nix:" in err
    assert "no generated file was written" in err
    assert {path.name: path.read_text() for path in (root / GENERATED).iterdir()} == before


def test_render_check_fails_on_committed_files_that_do_not_parse(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What an older rootstock let through: render wrote a broken rendering, and render --check then passed.
    root = golden_checkout(checkout)
    break_template(root)
    plan = load_plan(root)
    for item in render_all(plan):
        (root / item.path).parent.mkdir(parents=True, exist_ok=True)
        (root / item.path).write_text(item.text)
    assert main(["--root", str(root), "render", "--check"]) == 3
    assert "templates/stages.nix.j2 renders nix/generated/stages.nix as Nix that does not parse" in (
        capsys.readouterr().err
    )


ONE_PIN = f'[pins.seed]\nkind = "file"\nurls = ["https://example.org/seed"]\nhash = "{PLACEHOLDER}"\n'


def test_a_template_that_is_not_utf8_is_one_message(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (checkout / "pins.toml").write_text(ONE_PIN)
    template = checkout / "templates" / "ddc.nix.j2"
    template.write_bytes(template.read_bytes()[:10] + b"\xe9" + template.read_bytes()[10:])
    assert main(["--root", str(checkout), "render", "--check"]) == 3
    assert capsys.readouterr().err == (
        f"rootstock: error: {template}: not UTF-8 text (byte 0xe9 at offset 10); expected the template\n"
    )


def test_a_committed_file_that_is_not_utf8_is_drift(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (checkout / "pins.toml").write_text(ONE_PIN)
    assert main(["--root", str(checkout), "render"]) == 0
    (checkout / "nix" / "generated" / "pins.nix").write_bytes(b"\xff\n")
    assert main(["--root", str(checkout), "render", "--check"]) == 1
    assert "drift" in capsys.readouterr().err
    assert main(["--root", str(checkout), "render"]) == 0
    assert main(["--root", str(checkout), "render", "--check"]) == 0
