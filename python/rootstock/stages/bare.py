"""A step run bare: its builder with the argv and environment its derivation gives it, outside Nix (no sandbox,
no store, nothing registered), on the same store inputs, its output checked against the step's pin.

What Nix measures against (benchmarks/stage_bench.py), and a step's build by hand when its script needs
debugging: the same bytes must come out, or the step depends on something of Nix's that it does not say.

Every `{pin:…}`, `{step:…}` and `{file:…}` becomes the store path Nix gives it (the caller supplies the pins'
and the steps' paths; a file's is computed as nix-instantiate adds it), `{out}` a path of a fresh directory
that does not exist yet, and the working directory is a fresh empty one. The environment holds the step's `env`,
`out`, and of what Nix sets for every builder the variables a program may read: the build directory
(`NIX_BUILD_TOP`, `TMPDIR` and its aliases), `HOME` and `PATH` (Nix's placeholder values unless the step sets
them). Nothing of the caller's environment gets through.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from attrs import frozen

from rootstock.core.hashes import Hash
from rootstock.core.nar import flat_hash, nar_hash
from rootstock.errors import BuildError, CommandError, HashMismatchError, InputError
from rootstock.host import nix, proc
from rootstock.stages.oracle import materialize
from rootstock.stages.resolve import Ref, ResolvedStep

# What Nix (2.3 to 2.x) sets for a builder when the derivation does not: HOME and PATH deliberately useless.
NIX_DEFAULTS = {"HOME": "/homeless-shelter", "PATH": "/path-not-set"}
# Nix points each of these at the build directory.
BUILD_DIR_VARS = ("NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP")


@frozen
class BareRun:
    """One step's builder invocation, materialized: run it with run(), check its output with check()."""

    step: ResolvedStep
    argv: tuple[str, ...]
    """The builder first, then its arguments."""
    env: Mapping[str, str]
    cwd: Path
    out: Path


def file_store_path(root: Path, name: str) -> Path:
    """The store path of a `{file:NAME}` of the checkout at root, as nix-instantiate adds it (a source path
    named after the file's base name, addressed by its NAR hash); it exists once the step was instantiated."""
    path = root / name
    if not path.is_file():
        msg = f"{{file:{name}}} is not a file in {root}"
        raise InputError(msg)
    return nix.fixed_path(path.name, nar_hash(path), recursive=True)


def store_paths(
    step: ResolvedStep, *, root: Path, pins: Mapping[str, Path], steps: Mapping[str, Path]
) -> dict[Ref, Path]:
    """The store path of every reference the step makes but `{out}`.

    Raises:
        InputError: a pin or step the step refers to is not in pins or steps, or a file is not in the checkout.
    """
    paths: dict[Ref, Path] = {}
    for ref in step.refs():
        if ref.kind == "out" or ref in paths:
            continue
        if ref.kind == "file":
            paths[ref] = file_store_path(root, ref.name)
            continue
        known = pins if ref.kind == "pin" else steps
        if ref.name not in known:
            msg = f"step '{step.name}': no store path given for {{{ref.kind}:{ref.name}}}"
            raise InputError(msg)
        paths[ref] = known[ref.name]
    return paths


def prepare(step: ResolvedStep, paths: Mapping[Ref, Path], work: Path) -> BareRun:
    """The step's invocation in work (created, must not exist): work/build is the working and temporary
    directory, work/out the output, as yet absent like a derivation's output before its build."""
    build = work / "build"
    build.mkdir(parents=True)
    out = work / "out"
    known = {**paths, Ref("out"): out}
    argv = (str(known[step.builder]), *(materialize(arg, known) for arg in step.args))
    env = {**NIX_DEFAULTS, **dict.fromkeys(BUILD_DIR_VARS, str(build)), "out": str(out)}
    env |= {key: materialize(value, known) for key, value in step.env}
    return BareRun(step, argv, env, build, out)


def run(bare: BareRun) -> None:
    """Run the builder as Nix would, but here.

    Raises:
        BuildError: the builder failed or made no output (with the tail of its standard error).
    """
    try:
        proc.run(bare.argv, cwd=bare.cwd, env=bare.env, inherit_env=False)
    except CommandError as exc:
        msg = f"step '{bare.step.name}' failed when run bare (exit {exc.exit_code_of_command})"
        raise BuildError(msg, exc.stderr_tail) from None
    if not bare.out.exists() and not bare.out.is_symlink():
        msg = f"step '{bare.step.name}' run bare made no output at {bare.out}"
        raise BuildError(msg)


def check(bare: BareRun) -> Hash | None:
    """Require the bare output to be what the step pins; returns its NAR hash (None for a `files` step).

    Raises:
        HashMismatchError: the output (or a listed file) differs from the pin.
    """
    step = bare.step
    if step.output is not None:
        actual = nar_hash(bare.out)
        if actual != step.output:
            what = f"step '{step.name}' run bare ({bare.out})"
            raise HashMismatchError(what, step.output.sri, actual.sri)
        return actual
    for rel, expected in step.files:
        actual = flat_hash(bare.out / rel)
        if actual != expected:
            what = f"step '{step.name}' run bare, file {rel}"
            raise HashMismatchError(what, expected.hex, actual.hex)
    return None


def build(step: ResolvedStep, paths: Mapping[Ref, Path], work: Path) -> BareRun:
    """Prepare, run and check one step in work; the build directory is removed afterwards, the output kept.

    Raises:
        BuildError, HashMismatchError: as run and check.
    """
    bare = prepare(step, paths, work)
    try:
        run(bare)
    finally:
        shutil.rmtree(bare.cwd, ignore_errors=True)
    check(bare)
    return bare
