"""Loading and checking static-nix.toml: strict structure, then every pin, dependency and script it names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from rootstock.errors import InputError
from rootstock.pins.model import Pins
from rootstock.schema import read_toml, structure
from rootstock.static.model import Recipe

RECIPE_FILE = "static-nix.toml"
SCRIPTS = Path("nix/static/scripts")


def load_recipe(root: Path, pins: Pins) -> Recipe:
    """Read static-nix.toml from the checkout (an empty recipe when the file is absent) and check it.

    Raises:
        InputError: malformed TOML, a bad field (with its path), an unknown pin, toolchain or dependency, a
            dependency listed after its user, or a missing build script.
    """
    path = root / RECIPE_FILE
    if not path.is_file():
        return Recipe()
    data = read_toml(path, "static Nix recipe")
    recipe = structure(data, Recipe, source=str(path), what="recipe", path="")
    _check(recipe, pins, root, path)
    return recipe


def _check(recipe: Recipe, pins: Pins, root: Path, path: Path) -> None:
    def fail(where: str, what: str) -> InputError:
        return InputError(f"{path}: {where}: {what}")

    def toolchain_fail(name: str, what: str) -> InputError:
        return fail(f"toolchain '{name}'", what)

    def check_pin(where: str, key: str, name: str) -> None:
        if name not in pins.names():
            raise fail(where, f"{key}: no pin named '{name}' in the pins file")

    for name, toolchain in recipe.toolchain.items():
        if toolchain.kind == "zig" and (toolchain.pin is None or toolchain.target is None):
            raise toolchain_fail(name, "a zig toolchain needs `pin` (the wheel) and `target`")
        if toolchain.kind == "host" and not (toolchain.cc and toolchain.cxx):
            raise toolchain_fail(name, "a host toolchain needs `cc` and `cxx` (argv of the compilers)")
        if toolchain.pin is not None:
            check_pin(f"toolchain '{name}'", "pin", toolchain.pin)
    if recipe.package and recipe.default_toolchain not in recipe.toolchain:
        msg = f"{path}: default_toolchain: '{recipe.default_toolchain}' is not a toolchain of the recipe"
        raise InputError(msg)
    seen: set[str] = set()
    for package in recipe.package:
        where = f"package '{package.name}'"
        if package.name in seen:
            raise fail(where, "a package with this name comes earlier")
        check_pin(where, "source", package.source)
        for dep in package.deps:
            if dep not in seen:
                raise fail(where, f"dependency '{dep}' is not a package listed before it")
        if (package.build == "script") != (package.script is not None):
            raise fail(where, '`script` is given exactly when build = "script"')
        _check_script(package.script, root, lambda what, where=where: fail(where, what))
        seen.add(package.name)
    if recipe.package and recipe.subject not in seen:
        msg = f"{path}: subject: '{recipe.subject}' is not a package of the recipe"
        raise InputError(msg)
    if recipe.package:
        _check_host(recipe, path)


def _check_host(recipe: Recipe, path: Path) -> None:
    # The sandbox is opened to host_paths and the SBOM cites the packages of host_tools: a relative or `..` path
    # would name something else from wherever the build runs, and no tools at all would leave the host's
    # compilers and shells out of the SBOM while the builds still run them. A tool is looked up on PATH by its
    # name, or given by its absolute path.
    problems = []
    if not recipe.host_tools:
        problems.append("host_tools: list the host programs the builds run: the SBOM cites their packages")
    problems += [
        f"host_paths: '{p}' is not an absolute path without '..'" for p in recipe.host_paths if not _absolute(p)
    ]
    problems += [
        f"host_tools: '{tool}' is neither a program name (looked up on PATH) nor an absolute path without '..'"
        for tool in recipe.host_tools
        if "/" in tool and not _absolute(tool)
    ]
    binary = PurePosixPath(recipe.binary)
    if not recipe.binary or binary.is_absolute() or ".." in binary.parts:
        problems.append(f"binary: '{recipe.binary}' is not a path inside the subject's output (such as bin/nix)")
    if problems:
        msg = f"{path}: {problems[0]}"
        raise InputError(msg)


def _absolute(entry: str) -> bool:
    return PurePosixPath(entry).is_absolute() and ".." not in PurePosixPath(entry).parts


def _check_script(script: str | None, root: Path, fail: Callable[[str], InputError]) -> None:
    if script is None:
        return
    if "/" in script or script.startswith("."):
        msg = f"script: '{script}' is not the name of a script in {SCRIPTS}"
        raise fail(msg)
    if not (root / SCRIPTS / f"{script}.sh").is_file():
        msg = f"build script {SCRIPTS / (script + '.sh')} does not exist"
        raise fail(msg)
