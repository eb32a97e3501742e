"""The audit's external programs, all through proc.run: the sed+xxd hex0 recipe, a seed run on a source, GAS."""

from __future__ import annotations

import shutil
from pathlib import Path

from rootstock.audit.policy import Arch
from rootstock.core.files import temporary_directory
from rootstock.host import proc


def hex0_by_sed_xxd(source: Path) -> bytes:
    """The bootstrap-seeds README recipe: strip `;`/`#` comments with sed, turn hex into bytes with xxd."""
    stripped = proc.run(["sed", "-e", "s/[;#].*$//", str(source)])
    return proc.run(["xxd", "-r", "-p"], stdin=stripped.stdout_bytes).stdout_bytes


def run_assembler(program: Path, source: Path) -> bytes:
    """Run a stage0 assembler binary as `program INPUT OUTPUT` in a fresh directory and return OUTPUT.

    The directory holds nothing but copies of the program and its input, so the program cannot read or
    overwrite anything of ours by a relative path.

    Raises:
        CommandError: the program exited non-zero.
    """
    with temporary_directory("rootstock-audit-") as tmp:
        work = tmp
        shutil.copyfile(program, work / "assembler")
        (work / "assembler").chmod(0o700)
        shutil.copyfile(source, work / "input")
        proc.run([str(work / "assembler"), "input", "output"], cwd=work)
        return (work / "output").read_bytes()


def gas_build(source: Path, arch: Arch, text_address: int) -> bytes:
    """Assemble a GAS source with binutils and link it as raw bytes whose first byte sits at text_address.

    Raises:
        ToolMissingError: as or ld is not installed.
        CommandError: as or ld rejected the source.
    """
    with temporary_directory("rootstock-audit-gas-") as tmp:
        work = tmp
        proc.run(["as", arch.as_flag, "-o", str(work / "out.o"), str(source)])
        proc.run(
            [
                "ld",
                "-m",
                arch.ld_emulation,
                f"-Ttext={text_address:#x}",
                "-e",
                "_start",
                "--oformat=binary",
                "-o",
                str(work / "out.bin"),
                str(work / "out.o"),
            ]
        )
        return (work / "out.bin").read_bytes()
