"""The early stages: built from their hex0/hex1/hex2/M1 sources and cross-checked against their GAS and M1 twins."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rootstock.assemble.hex0 import assemble_hex0
from rootstock.audit.elf import inspect_elf
from rootstock.audit.elfwrite import headers_size, minimal_elf
from rootstock.audit.external import gas_build
from rootstock.audit.flow import follow
from rootstock.audit.hex2 import link_hex2
from rootstock.audit.inputs import Stage, Target
from rootstock.audit.m1 import expand_m1
from rootstock.audit.model import Check, Comparison, Finding, Section
from rootstock.audit.policy import Arch, ProgramPolicy
from rootstock.audit.reassemble import compare, describe, failure_text
from rootstock.core import files
from rootstock.errors import RootstockError


def stage_file(sources: Path, relative: str, target: Target, what: str) -> Path:
    """A file of the upstream tree.

    Raises:
        InputError: the file is missing, or not a regular file (a FIFO is named as one, not waited on).
    """
    path = sources / relative
    missing = f"{path}: missing; expected {what} for {target.arch.name} (an upstream stage0-posix tree)"
    with files.open_input(path, what.removeprefix("the "), missing=missing):
        return path


def build_from_source(stage: Stage, sources: Path, target: Target) -> bytes:
    """The stage built from its primary source by rootstock's own assemblers.

    Raises:
        InputError: a source or the ELF header template is missing or malformed.
    """
    source = stage_file(sources, stage.source, target, f"the {stage.kind} source of {stage.name}")
    text = files.read_input_text(source, f"{stage.kind} source of {stage.name}")
    if stage.kind == "hex0":
        return assemble_hex0(text, source=str(source))
    if stage.kind in ("hex1", "hex2"):
        return link_hex2(text, target.base, source=str(source))
    return _with_header(sources, target, expand_m1(text, source=str(source)).hex2 if stage.kind == "M1" else text)


def _with_header(sources: Path, target: Target, hex2: str) -> bytes:
    header = stage_file(sources, target.elf_header, target, "the ELF header template")
    return link_hex2(
        files.read_input_text(header, "ELF header template") + "\n" + hex2, target.base, source=str(header)
    )


def cross_verify(
    stage: Stage, sources: Path, target: Target, policy: ProgramPolicy, *, built: bytes, given: bytes | None
) -> Section:
    """Compare the stage from its source with the binary the chain built, its M1 twin and its GAS twin.

    The source build and the chain's binary must be identical.  The M1 and GAS twins are separate upstream
    translations: byte differences are reported as findings (GAS picks its own encodings and data layout),
    and each twin must make the same system calls as the source build.
    """
    name, arch = stage.name, target.arch
    checks: list[Check] = []
    findings: list[Finding] = []
    comparisons: list[Comparison] = []
    source_name = stage.source
    if given is not None:
        comparison = compare(name, f"{name} (given)", given, f"{source_name} (rebuilt)", built)
        comparisons.append(comparison)
        checks.append(
            Check(
                f"stage/{name}/rebuilt",
                f"{name} as given equals {name} rebuilt from {source_name}",
                "identical",
                describe(comparison),
                comparison.identical,
            )
        )
    expected_calls = _syscalls(name, built, arch, policy)
    image = inspect_elf(name, built, arch, policy)
    segment = image.segment_at(image.entry)
    # GAS gives code only (rootstock wraps it in its own headers), so only the code is compared.
    code_offset = segment.file_offset(image.entry) if segment is not None else 0
    twins: list[tuple[str, str, Callable[[Path], tuple[bytes, bytes]], int, str]] = []
    if stage.development is not None:
        twins.append(("m1", stage.development, lambda p: _m1_twin(p, sources, target), 0, "warning"))
    if stage.gas is not None:
        twins.append(("gas", stage.gas, lambda p: _gas_twin(p, arch, image.entry), code_offset, "info"))
    for label, relative, build, skip, severity in twins:
        key = f"stage/{name}/{label}"
        path = sources / relative
        try:
            twin = build(path) if path.is_file() else None
        except RootstockError as exc:
            checks.append(Check(key, f"{relative} builds", "a program", failure_text(exc), False))
            continue
        if twin is None:
            findings.append(Finding(key, "warning", f"{relative} is missing, so {name} has no {label} cross-check"))
            continue
        program, compared = twin
        what = "" if skip == 0 else f" (code from offset {skip:#x})"
        comparison = compare(name, f"{source_name} (rebuilt){what}", built[skip:], relative, compared)
        comparisons.append(comparison)
        if not comparison.identical:
            findings.append(
                Finding(key, severity, f"{relative} differs from {source_name}{what}: {describe(comparison)}")
            )
        calls = _syscalls(name, program, arch, policy)
        checks.append(
            Check(
                f"{key}/syscalls",
                f"{relative} makes the same system calls as {source_name}",
                ", ".join(expected_calls),
                ", ".join(calls),
                calls == expected_calls,
            )
        )
    return Section(f"cross-verification of {name}", tuple(checks), tuple(findings), tuple(comparisons))


def _m1_twin(path: Path, sources: Path, target: Target) -> tuple[bytes, bytes]:
    program = _with_header(sources, target, expand_m1(files.read_input_text(path, "M1 source"), source=str(path)).hex2)
    return program, program


def _gas_twin(path: Path, arch: Arch, entry: int) -> tuple[bytes, bytes]:
    # Linked where the source build's code starts, so absolute addresses match; wrapped to be analysed.
    code = gas_build(path, arch, entry)
    return minimal_elf(arch, code, entry - headers_size(arch), flags=7), code


def _syscalls(name: str, data: bytes, arch: Arch, policy: ProgramPolicy) -> tuple[str, ...]:
    image = inspect_elf(name, data, arch, policy)
    flow = follow(image, data, arch)
    return tuple(sorted({n for call in flow.syscalls for n in call.names()}))
