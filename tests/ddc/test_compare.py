"""A DDC pass's verdict and report from fake outputs: equal, a mismatch named by offset and section, and each
bad input (a missing output or program, a file that is not ELF, no libc, no compiler record) as one message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elf_support import tiny_elf

from rootstock.ddc.compare import HOST_RECORD, DdcMismatchError, Facts, Outputs, compare, first_difference
from rootstock.errors import ExitCode, InputError
from rootstock.runner.report import BuildReport

FACTS = Facts(
    name="tinycc",
    system="i686-linux",
    source_pin="tinycc-mes",
    source_hash="sha256-V3XBXYyzHi9f4JSYGeQwz6+1biUp7cwGaEE+x9fOLYY=",
    chain_step="tinycc-mes",
    self_compile_step="tinycc-mes-again",
    program="bin/tcc",
    libc="lib",
    compiler_var="TCC",
    host_argv=("gcc", "-m32", "-static"),
    flags={"tinycc-mes": ["-std=c99", "-D HAVE_FLOAT=1"]},
)
CHAIN_TCC = tiny_elf({".text": b"\x90" * 32, ".data": b"chain"})
HOST_TCC = tiny_elf({".text": b"\xcc" * 48, ".data": b"gcc built"})


def output(root: Path, name: str, program: bytes, files: dict[str, bytes] | None = None) -> Path:
    out = root / name
    (out / "bin").mkdir(parents=True)
    (out / "bin" / "tcc").write_bytes(program)
    for rel, data in (files or {}).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return out


def outputs(tmp_path: Path, host2: bytes = CHAIN_TCC, chain2: bytes = CHAIN_TCC) -> Outputs:
    libc = {"lib/libc.a": b"!<arch>\n", "lib/crt1.o": b"crt1"}
    return Outputs(
        chain=output(tmp_path, "chain", CHAIN_TCC, libc),
        chain2=output(tmp_path, "chain2", chain2, libc),
        host=output(tmp_path, "host", HOST_TCC, {HOST_RECORD: b"version: gcc (Debian 12.2.0-14) 12.2.0\n"}),
        host2=output(tmp_path, "host2", host2, libc),
    )


def test_equal_compilers_pass_and_the_report_says_what_the_verdict_rests_on(tmp_path: Path) -> None:
    result = compare(FACTS, outputs(tmp_path))
    assert result.verdict == "equal"
    assert result.difference is None
    assert result.fixed_point
    data = result.to_json()
    assert set(data["programs"]) == {"tcc-chain", "tcc-host", "tcc-host2", "tcc-chain2"}
    assert data["programs"]["tcc-host2"]["sha256"] == data["programs"]["tcc-chain2"]["sha256"]
    assert data["programs"]["tcc-host"]["sha256"] != data["programs"]["tcc-chain"]["sha256"]
    assert data["facts"]["source_hash"] == FACTS.source_hash
    assert data["facts"]["flags"] == {"tinycc-mes": ["-std=c99", "-D HAVE_FLOAT=1"]}
    assert sorted(data["libc_files"]) == ["crt1.o", "libc.a"]
    assert data["host_compiler"].startswith("version: gcc (Debian")
    assert data["store_paths"]["tcc-host"] == str(tmp_path / "host")
    markdown = "\n".join(result.markdown())
    assert "**PASS**: tcc-host2 and tcc-chain2 are identical" in markdown
    assert "| tcc-host |" in markdown and "| libc.a |" in markdown
    report = BuildReport("t", "tinycc", (), notes=tuple(result.markdown()), result=data)
    written = json.loads(report.to_json())
    assert written["result"]["verdict"] == "equal"


def test_a_mismatch_names_the_first_differing_byte_and_its_section(tmp_path: Path) -> None:
    other = CHAIN_TCC.replace(b"chain", b"chaiN")
    result = compare(FACTS, outputs(tmp_path, host2=other))
    assert result.verdict == "differ"
    offset = CHAIN_TCC.index(b"chain") + 4
    assert result.difference is not None and result.difference.offset == offset
    message = result.mismatch_message()
    assert message.startswith(
        f"ddc 'tinycc': tcc-host2 differs from tcc-chain2 first at byte offset {offset} (0x{offset:x}), "
        "in section .data (tcc-host2 "
    )
    assert "FAIL" in "\n".join(result.markdown())
    assert DdcMismatchError(message).exit_code == ExitCode.CHECK_FAILED


def test_a_mismatch_in_the_layout_names_each_files_part(tmp_path: Path) -> None:
    longer = tiny_elf({".text": b"\x90" * 40, ".data": b"chain"})
    result = compare(FACTS, outputs(tmp_path, host2=longer))
    assert result.difference is not None
    # The header's e_shoff differs first: both files put it in their ELF header.
    assert result.difference.where() == "ELF header"
    assert first_difference(b"abc", b"abcd") == 3
    assert first_difference(b"abc", b"abc") is None


def test_a_chain_that_misses_its_fixed_point_is_reported(tmp_path: Path) -> None:
    other = CHAIN_TCC.replace(b"chain", b"chaiN")
    result = compare(FACTS, outputs(tmp_path, host2=other, chain2=other))
    assert result.verdict == "equal"
    assert not result.fixed_point
    assert "DIFFERS FROM tcc-chain" in "\n".join(result.markdown())


def test_a_missing_step_output_is_one_clear_message(tmp_path: Path) -> None:
    found = outputs(tmp_path)
    missing = Outputs(tmp_path / "nothing", found.chain2, found.host, found.host2)
    with pytest.raises(InputError, match=r"^ddc 'tinycc': tcc-chain: the output .*/nothing does not exist") as e:
        compare(FACTS, missing)
    assert e.value.exit_code == ExitCode.BAD_INPUT
    (found.host2 / "bin" / "tcc").unlink()
    with pytest.raises(InputError, match=r"^ddc 'tinycc': tcc-host2: .*/host2 has no bin/tcc$"):
        compare(FACTS, found)


def test_a_program_that_is_not_elf_is_one_clear_message(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^ddc 'tinycc': tcc-host2 .*/host2/bin/tcc: not an ELF file") as e:
        compare(FACTS, outputs(tmp_path, host2=b"#!/bin/sh\necho tcc\n"))
    assert e.value.exit_code == ExitCode.BAD_INPUT


def test_no_libc_or_no_compiler_record_is_refused(tmp_path: Path) -> None:
    found = outputs(tmp_path)
    (found.host / HOST_RECORD).unlink()
    with pytest.raises(InputError, match=r"tcc-host .* has no share/ddc/host-compiler.txt"):
        compare(FACTS, found)
    for path in sorted((found.chain / "lib").iterdir()):
        path.unlink()
    (found.chain / "lib").rmdir()
    with pytest.raises(InputError, match=r"the chain step's libc directory .*/chain/lib does not exist"):
        compare(FACTS, found)
