"""Checks of a static build's result: no PT_INTERP, no DT_NEEDED, no dynamic section (and a toolchain probe using
them); it runs and prints its version; a built nix builds a derivation in a store of its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from rootstock.core.elf import read_load_view
from rootstock.core.files import temporary_directory
from rootstock.errors import BuildError, CommandError
from rootstock.host import nix, proc
from rootstock.sbom.errors import NotStaticError
from rootstock.static.model import Recipe

_PROBE_SOURCE = "int main(void) { return 0; }\n"
# The derivation a built nix must build (taking the recipe's system) and what its output must hold.
SMOKE_FILE = Path("nix/checks/smoke.nix")
SMOKE_OUTPUT = "built by the static nix\n"


@frozen
class StaticReport:
    """What the ELF headers of a binary say about how it is linked."""

    binary: Path
    elf_type: str
    machine: str
    interpreter: str | None
    needed: tuple[str, ...]
    has_dynamic: bool
    # Why it has nothing to load (no PT_LOAD segment): then it cannot run, static or not.
    unloadable: str | None = None

    def problems(self, *, allow_static_pie: bool = False) -> list[str]:
        """Why the binary is not fully static; empty when it is."""
        found: list[str] = []
        if self.unloadable is not None:
            found.append(f"not a loadable executable: {self.unloadable}")
        if self.interpreter is not None:
            found.append(f"PT_INTERP requests the program interpreter {self.interpreter}")
        found.extend(f"DT_NEEDED requires the shared library {lib}" for lib in self.needed)
        static_pie = self.elf_type == "ET_DYN" and self.interpreter is None and not self.needed
        if self.has_dynamic and not self.needed and not (allow_static_pie and static_pie):
            found.append("has a dynamic section (PT_DYNAMIC); a static-pie binary needs --allow-static-pie")
        if self.elf_type not in ("ET_EXEC", "ET_DYN"):
            found.append(f"is not an executable (ELF type {self.elf_type})")
        return found


def inspect(binary: Path) -> StaticReport:
    """Read the program headers and the dynamic table PT_DYNAMIC points to, as the loader reads them.

    Raises:
        InputError: the file is missing, is not ELF, or is a truncated or damaged ELF file.
    """
    view = read_load_view(binary)
    return StaticReport(
        binary, view.elf_type, view.machine, view.interpreter, view.needed, view.has_dynamic, view.unloadable
    )


def check_static(binary: Path, *, allow_static_pie: bool = False, producer: str = "") -> StaticReport:
    """Accept a binary only if it is fully static.

    Raises:
        NotStaticError: it has an interpreter, needs shared libraries, has a dynamic section or nothing to
            load; the message names the binary (and the toolchain that produced it, if given) and every reason.
        InputError: it is missing, not ELF, or a truncated or damaged ELF file.
    """
    report = inspect(binary)
    if problems := report.problems(allow_static_pie=allow_static_pie):
        raise NotStaticError(binary, problems, producer)
    return report


def probe_toolchain(cc: Sequence[str], workdir: Path, *, producer: str = "") -> StaticReport:
    """Compile and link a one-line C program with cc (argv prefix with its flags) and check it is static.

    Run before a long build so that a toolchain producing dynamic binaries fails at once, by name.

    Raises:
        NotStaticError: the toolchain's output is not fully static (names the toolchain).
        CommandError, ToolMissingError: the toolchain does not run.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "probe.c"
    source.write_text(_PROBE_SOURCE)
    output = workdir / "probe"
    proc.run([*cc, "-o", str(output), str(source)], cwd=workdir)
    return check_static(output, producer=producer or " ".join(cc))


def check_runs(binary: Path, recipe: Recipe, root: Path) -> str:
    """Run the built subject: it must print the recipe's version_output, and a nix must build a derivation
    (smoke_build with the checkout's nix/checks/smoke.nix). Returns what `--version` printed.

    Raises:
        BuildError: it does not run, prints another version, or cannot build the smoke derivation.
    """
    try:
        version = proc.run([str(binary), "--version"]).stdout.strip()
    except CommandError as exc:
        msg = f"{binary} does not run: {exc}"
        raise BuildError(msg) from None
    if recipe.version_output and version != recipe.version_output:
        msg = f"{binary} --version printed '{version}', expected '{recipe.version_output}'"
        raise BuildError(msg)
    if recipe.builds_derivations:
        smoke_build(binary, root / SMOKE_FILE, system=recipe.system)
    return version


def smoke_build(binary: Path, smoke: Path, *, system: str) -> None:
    """Have the built nix build the smoke derivation for system in a store of its own, in its sandbox.

    Raises:
        BuildError: the derivation did not build or its output is wrong.
    """
    with temporary_directory("rootstock-smoke-") as tmp:
        try:
            out = nix.build_in_fresh_store(binary, smoke, args={"system": system}, workdir=tmp)
        except CommandError as exc:
            msg = f"the built nix could not build a derivation in a fresh store: {exc}"
            raise BuildError(msg) from None
        if not out.is_file() or out.read_text() != SMOKE_OUTPUT:
            msg = f"the built nix's test derivation {smoke} produced {out}, not a file holding {SMOKE_OUTPUT!r}"
            raise BuildError(msg)
