"""rootstock's own stage0 fixtures, assembled in Python and run for real: seed fixed point, catm, seed-bad."""

from __future__ import annotations

import hashlib
import io
import platform
import re
from pathlib import Path

import pytest
from attrs import frozen
from capstone import CS_ARCH_X86, CS_MODE_32, CS_MODE_64, Cs
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile

from rootstock.assemble.hex0 import assemble_hex0
from rootstock.errors import RootstockError
from rootstock.host import proc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stage0"
PROGRAMS = ("seed", "catm", "seed-bad")


@frozen
class Arch:
    """What the tests need to know about one fixture architecture."""

    name: str
    elfclass: int
    machine: str
    capstone_mode: int
    syscall: tuple[str, str]
    # The syscalls each program may make, by number: read, write, open, close, exit, and openat.
    allowed: dict[int, str]


ARCHES = {
    "AMD64": Arch(
        name="AMD64",
        elfclass=64,
        machine="EM_X86_64",
        capstone_mode=CS_MODE_64,
        syscall=("syscall", ""),
        allowed={0: "read", 1: "write", 2: "open", 3: "close", 60: "exit", 257: "openat"},
    ),
    "x86": Arch(
        name="x86",
        elfclass=32,
        machine="EM_386",
        capstone_mode=CS_MODE_32,
        syscall=("int", "0x80"),
        allowed={1: "exit", 3: "read", 4: "write", 5: "open", 6: "close", 295: "openat"},
    ),
}


@frozen
class Built:
    """One architecture's fixture binaries, assembled by assemble_hex0 into a session directory."""

    arch: Arch
    dir: Path

    def source(self, program: str) -> Path:
        return FIXTURES / self.arch.name / f"{program}.hex0"

    def binary(self, program: str) -> Path:
        return self.dir / program

    def expected(self, program: str) -> bytes:
        return assemble_hex0(self.source(program).read_text(), source=str(self.source(program)))


@pytest.fixture(scope="session", params=sorted(ARCHES))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    result = Built(ARCHES[request.param], tmp_path_factory.mktemp(f"stage0-{request.param}"))
    for program in PROGRAMS:
        result.binary(program).write_bytes(result.expected(program))
        result.binary(program).chmod(0o755)
    return result


@pytest.fixture(scope="session")
def runnable(built: Built) -> Built:
    """The same binaries, once this machine has shown it can execute them."""
    if platform.machine() != "x86_64":
        pytest.skip(f"the fixtures are x86 code; this machine is {platform.machine()}")
    try:
        # With no arguments the seed opens NULL, which fails, so it must exit 1.
        proc.run([built.binary("seed")], ok_codes=(1,))
    except RootstockError:
        raise
    except Exception as exc:  # proc.run lets a failed exec through as its runner's own exception
        reason = str(exc).strip().splitlines()[-1]
        pytest.skip(f"this kernel cannot execute {built.arch.name} ELF binaries (no IA32 emulation?): {reason}")
    return built


def umask() -> int:
    """The process umask, read without changing it (os.umask can only set)."""
    status = Path("/proc/self/status").read_text()
    found = re.search(r"^Umask:\s*([0-7]+)$", status, re.MULTILINE)
    assert found, "no Umask line in /proc/self/status"
    return int(found.group(1), 8)


# --- structure: no execution needed --------------------------------------------------------------------------


@pytest.mark.parametrize("program", PROGRAMS)
def test_single_read_execute_segment(built: Built, program: str) -> None:
    data = built.binary(program).read_bytes()
    elf = ELFFile(io.BytesIO(data))
    assert elf.elfclass == built.arch.elfclass
    assert elf["e_machine"] == built.arch.machine
    assert elf["e_type"] == "ET_EXEC"
    segments = list(elf.iter_segments())
    assert [s["p_type"] for s in segments] == ["PT_LOAD"]
    load = segments[0]
    assert load["p_flags"] == P_FLAGS.PF_R | P_FLAGS.PF_X, "the segment must not be writable"
    assert load["p_offset"] == 0
    assert load["p_filesz"] == load["p_memsz"] == len(data)
    assert load["p_vaddr"] < elf["e_entry"] < load["p_vaddr"] + len(data)
    assert elf.num_sections() == 0


def disassemble(built: Built, program: str) -> list:
    data = built.binary(program).read_bytes()
    elf = ELFFile(io.BytesIO(data))
    start = elf["e_phoff"] + elf["e_phnum"] * elf["e_phentsize"]
    base = next(elf.iter_segments())["p_vaddr"]
    insns = list(Cs(CS_ARCH_X86, built.arch.capstone_mode).disasm(data[start:], base + start))
    # The programs hold no data after the headers, so a linear sweep must decode every byte.
    assert sum(i.size for i in insns) == len(data) - start, "undecodable bytes after the headers"
    return insns


@pytest.mark.parametrize("program", PROGRAMS)
def test_syscalls_are_limited(built: Built, program: str) -> None:
    insns = disassemble(built, program)
    made = set()
    for at, insn in enumerate(insns):
        if (insn.mnemonic, insn.op_str) != built.arch.syscall:
            continue
        # Every fixture loads the number right before the call: `push N; pop eax` or `xor eax, eax`.
        before = insns[at - 1]
        if before.mnemonic == "xor" and before.op_str == "eax, eax":
            number = 0
        else:
            pushed = insns[at - 2]
            assert before.mnemonic == "pop" and before.op_str in ("eax", "rax"), f"{insn}: unknown number"
            assert pushed.mnemonic == "push", f"{insn}: unknown number"
            number = int(pushed.op_str, 0)
        assert number in built.arch.allowed, f"{program} makes syscall {number} at {insn.address:#x}"
        made.add(built.arch.allowed[number])
    assert {"read", "write", "exit"} <= made
    assert made & {"open", "openat"}


# --- behaviour: run the binaries -----------------------------------------------------------------------------


def test_seed_reproduces_itself(runnable: Built, tmp_path: Path) -> None:
    out = tmp_path / "seed"
    done = proc.run([runnable.binary("seed"), runnable.source("seed"), out], cwd=tmp_path)
    assert done.exit_code == 0
    assert out.read_bytes() == runnable.expected("seed") == runnable.binary("seed").read_bytes()
    assert out.stat().st_mode & 0o777 == 0o750 & ~umask()


def test_seed_assembles_catm_like_python(runnable: Built, tmp_path: Path) -> None:
    out = tmp_path / "catm"
    proc.run([runnable.binary("seed"), runnable.source("catm"), out], cwd=tmp_path)
    assert out.read_bytes() == runnable.expected("catm")


def test_seed_agrees_with_python_on_edge_cases(runnable: Built, tmp_path: Path) -> None:
    text = (
        "# comment with hex: deadbeef ; and a ; inside\n"
        "7f45 4C46; comment right after a byte: ab\r\n"
        "a\nb  c # comment between the nibbles of a byte: 99\nd\n"
        "\tDeAdBeEf\f\v xyz: 0g 1G ,.-_ \u00e9\u0663 12\n"
        + " ".join(f"{b:02X}" for b in range(256))
        + "\n;last line is a comment without newline: 5"
    )
    source = tmp_path / "edge.hex0"
    source.write_text(text)
    out = tmp_path / "edge"
    proc.run([runnable.binary("seed"), source, out], cwd=tmp_path)
    assert out.read_bytes() == assemble_hex0(text)


def test_seed_fails_for_missing_input(runnable: Built, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = proc.run([runnable.binary("seed"), tmp_path / "missing.hex0", out], cwd=tmp_path, ok_codes=(1,))
    assert done.exit_code == 1
    assert not out.exists(), "the output is opened only after the input"


def test_seed_fails_for_unwritable_output(runnable: Built, tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "out"
    done = proc.run([runnable.binary("seed"), runnable.source("seed"), out], cwd=tmp_path, ok_codes=(1,))
    assert done.exit_code == 1


def test_seed_fails_without_output_argument(runnable: Built, tmp_path: Path) -> None:
    done = proc.run([runnable.binary("seed"), runnable.source("seed")], cwd=tmp_path, ok_codes=(1,))
    assert done.exit_code == 1


def test_catm_concatenates(runnable: Built, tmp_path: Path) -> None:
    # Larger than catm's 4 KiB buffer, so one input takes several reads.
    big = tmp_path / "big"
    big.write_bytes(hashlib.sha256(b"rootstock").digest() * 700)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    small = tmp_path / "small"
    small.write_bytes(b"\x00abc\n\xff")
    out = tmp_path / "out"
    inputs = [big, empty, small, big]
    done = proc.run([runnable.binary("catm"), out, *inputs], cwd=tmp_path)
    assert done.exit_code == 0
    assert out.read_bytes() == b"".join(p.read_bytes() for p in inputs)
    assert out.stat().st_mode & 0o777 == 0o640 & ~umask()


def test_catm_truncates_and_takes_no_inputs(runnable: Built, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_bytes(b"old contents")
    proc.run([runnable.binary("catm"), out], cwd=tmp_path)
    assert out.read_bytes() == b""


def test_catm_fails_for_missing_input(runnable: Built, tmp_path: Path) -> None:
    done = proc.run(
        [runnable.binary("catm"), tmp_path / "out", runnable.source("catm"), tmp_path / "missing"],
        cwd=tmp_path,
        ok_codes=(1,),
    )
    assert done.exit_code == 1


def test_catm_fails_without_arguments(runnable: Built, tmp_path: Path) -> None:
    assert proc.run([runnable.binary("catm")], cwd=tmp_path, ok_codes=(1,)).exit_code == 1


def test_seed_bad_does_not_reproduce_itself(runnable: Built, tmp_path: Path) -> None:
    out = tmp_path / "seed-bad"
    done = proc.run([runnable.binary("seed-bad"), runnable.source("seed-bad"), out], cwd=tmp_path)
    assert done.exit_code == 0, "seed-bad runs fine; only its output is wrong"
    expected = runnable.expected("seed-bad")
    got = out.read_bytes()
    assert got != expected
    # The documented defect, exactly: same length, every E8 written as E9, nothing else touched.
    assert len(got) == len(expected)
    assert got == expected.replace(b"\xe8", b"\xe9")


def test_seed_bad_passes_on_inputs_without_the_marker(runnable: Built, tmp_path: Path) -> None:
    assert b"\xe8" not in runnable.expected("catm")
    out = tmp_path / "catm"
    proc.run([runnable.binary("seed-bad"), runnable.source("catm"), out], cwd=tmp_path)
    assert out.read_bytes() == runnable.expected("catm")


# --- the README --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("program", PROGRAMS)
def test_readme_states_size_and_sha256(built: Built, program: str) -> None:
    data = built.expected(program)
    row = f"| {built.arch.name} | `{program}` | {len(data)} | `{hashlib.sha256(data).hexdigest()}` |"
    assert row in (FIXTURES / "README.md").read_text()
