"""Independent reassembly: a seed rebuilt from its hex0 source by assemblers that share no code, compared."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from attrs import frozen

from rootstock.assemble.hex0 import assemble_hex0
from rootstock.audit.external import hex0_by_sed_xxd, run_assembler
from rootstock.audit.hex2 import link_hex2
from rootstock.audit.model import Check, Comparison, Finding, Section
from rootstock.core import files
from rootstock.errors import CommandError, RootstockError

SHOWN_DIFFERENCES = 16


@frozen
class Assembler:
    """One way to turn a hex0 source file into bytes."""

    name: str
    build: Callable[[Path], bytes]


def hex0_assemblers(seed: Path) -> tuple[Assembler, ...]:
    """The independent hex0 assemblers: rootstock's, the audit's hex2 linker, sed+xxd, and the seed itself."""
    return (
        Assembler(
            "rootstock.assemble.hex0",
            lambda src: assemble_hex0(files.read_input_text(src, "hex0 source"), source=str(src)),
        ),
        # hex0 is hex2 without labels, and the audit's linker shares no code with rootstock.assemble.
        Assembler(
            "rootstock.audit.hex2", lambda src: link_hex2(files.read_input_text(src, "hex0 source"), 0, source=str(src))
        ),
        Assembler("sed+xxd", hex0_by_sed_xxd),
        Assembler("self-hosted seed", lambda src: run_assembler(seed, src)),
    )


def compare(program: str, left: str, left_bytes: bytes, right: str, right_bytes: bytes) -> Comparison:
    """Byte-for-byte comparison; a byte missing from the shorter side counts as a difference."""
    length = max(len(left_bytes), len(right_bytes))
    differing = [
        (i, left_bytes[i] if i < len(left_bytes) else None, right_bytes[i] if i < len(right_bytes) else None)
        for i in range(length)
        if i >= len(left_bytes) or i >= len(right_bytes) or left_bytes[i] != right_bytes[i]
    ]
    return Comparison(
        program, left, right, len(left_bytes), len(right_bytes), len(differing), tuple(differing[:SHOWN_DIFFERENCES])
    )


def describe(comparison: Comparison) -> str:
    """A one-line account of a comparison: identical, or the count and first differing offsets."""
    if comparison.identical:
        return f"identical ({comparison.left_size} bytes)"
    shown = ", ".join(f"{offset:#x}: {_byte(a)} vs {_byte(b)}" for offset, a, b in comparison.first_differences)
    return (
        f"{comparison.differing} differing byte(s), sizes {comparison.left_size} vs {comparison.right_size}; "
        f"first: {shown}"
    )


def failure_text(exc: RootstockError) -> str:
    """A failure for the report; a failed command is named by its program and status, since its argv holds
    temporary paths that would make the report differ from run to run."""
    if isinstance(exc, CommandError):
        return f"failed: {Path(exc.argv[0]).name} exited with status {exc.exit_code_of_command}"
    return f"failed: {str(exc).splitlines()[0]}"


def _byte(value: int | None) -> str:
    return "--" if value is None else f"{value:02x}"


def reconstruct(name: str, binary: Path, source: Path, assemblers: Sequence[Assembler]) -> Section:
    """Rebuild binary from source with every assembler; each must give the same bytes.

    An assembler that fails (rejects the source, exits non-zero) fails its check; it does not stop the audit.
    """
    expected = binary.read_bytes()
    checks: list[Check] = []
    findings: list[Finding] = []
    comparisons: list[Comparison] = []
    for assembler in assemblers:
        key = f"reassembly/{name}/{assembler.name}"
        try:
            built = assembler.build(source)
        except RootstockError as exc:
            checks.append(
                Check(
                    key,
                    f"{assembler.name} rebuilds {name} from {source.name}",
                    f"sha256 {_sha(expected)}",
                    failure_text(exc),
                    False,
                )
            )
            continue
        comparison = compare(name, f"{binary.name} (given)", expected, f"{source.name} via {assembler.name}", built)
        comparisons.append(comparison)
        checks.append(
            Check(
                key,
                f"{assembler.name} rebuilds {name} from {source.name} byte for byte",
                f"sha256 {_sha(expected)}",
                f"sha256 {_sha(built)}; {describe(comparison)}",
                comparison.identical,
            )
        )
    return Section(
        f"reassembly of {name}", tuple(checks), tuple(findings), tuple(comparisons), ((name, _sha(expected)),)
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
