"""Seed reconstruction by independent assemblers, each check able to fail on its own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from audit_support import STAGE0, build_gas
from rootstock.assemble.hex0 import assemble_hex0
from rootstock.audit.model import Section
from rootstock.audit.policy import ARCHES
from rootstock.audit.reassemble import compare, describe, hex0_assemblers, reconstruct


@pytest.fixture(params=["AMD64", "x86"])
def seeds(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """name -> (binary, source) for rootstock's fixture seed and its miscompiling twin."""
    out = {}
    for name in ("seed", "seed-bad"):
        source = STAGE0 / request.param / f"{name}.hex0"
        binary = tmp_path / name
        binary.write_bytes(assemble_hex0(source.read_text()))
        binary.chmod(0o755)
        out[name] = (binary, source)
    return out


def results(section: Section) -> dict[str, bool]:
    return {c.id.rsplit("/", 1)[1]: c.passed for c in section.checks}


def test_seed_is_rebuilt_identically_by_four_assemblers_and_its_hash_recorded(
    seeds: dict[str, tuple[Path, Path]],
) -> None:
    binary, source = seeds["seed"]
    section = reconstruct("seed", binary, source, hex0_assemblers(binary))
    assert results(section) == {
        "rootstock.assemble.hex0": True,
        "rootstock.audit.hex2": True,
        "sed+xxd": True,
        "self-hosted seed": True,
    }
    assert section.pins == (("seed", hashlib.sha256(binary.read_bytes()).hexdigest()),)


def test_seed_that_does_not_reproduce_itself_fails_only_self_hosting(seeds: dict[str, tuple[Path, Path]]) -> None:
    binary, source = seeds["seed-bad"]
    section = reconstruct("seed-bad", binary, source, hex0_assemblers(binary))
    assert results(section) == {
        "rootstock.assemble.hex0": True,
        "rootstock.audit.hex2": True,
        "sed+xxd": True,
        "self-hosted seed": False,
    }


def test_source_one_byte_off_fails_every_assembler(seeds: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    binary, source = seeds["seed"]
    text = source.read_text()
    # Change the last hex digit pair of the source: every assembler now builds something else.
    cut = max(i for i, line in enumerate(text.splitlines()) if line.split("#")[0].split(";")[0].strip())
    lines = text.splitlines()
    code = lines[cut].split("#")[0].split(";")[0].rstrip()
    lines[cut] = code[:-1] + ("0" if code[-1] != "0" else "1") + lines[cut][len(code) :]
    changed = tmp_path / "changed.hex0"
    changed.write_text("\n".join(lines) + "\n")
    section = reconstruct("seed", binary, changed, hex0_assemblers(binary))
    assert not any(results(section).values())
    assert all(c.differing == 1 for c in section.comparisons)


def test_assembler_that_rejects_the_source_fails_its_check(seeds: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    binary, _source = seeds["seed"]
    odd = tmp_path / "odd.hex0"
    odd.write_text("90 9\n")
    section = reconstruct("seed", binary, odd, hex0_assemblers(binary))
    outcome = {c.id.rsplit("/", 1)[1]: c.observed for c in section.checks}
    assert outcome["rootstock.assemble.hex0"].startswith("failed: ")
    assert not any(results(section).values())


def test_comparison_lists_differences_with_missing_bytes() -> None:
    comparison = compare("p", "a", b"\x01\x02\x03", "b", b"\x01\x09")
    assert comparison.first_differences == ((1, 2, 9), (2, 3, None))
    assert describe(comparison) == "2 differing byte(s), sizes 3 vs 2; first: 0x1: 02 vs 09, 0x2: 03 vs --"


@pytest.mark.parametrize("arch_name", ["AMD64", "x86"])
def test_failing_seed_is_reported_without_temporary_paths(arch_name: str, tmp_path: Path) -> None:
    arch = ARCHES[arch_name]
    source = STAGE0 / arch_name / "seed.hex0"
    binary = tmp_path / "seed"
    binary.write_bytes(assemble_hex0(source.read_text()))
    # A "seed" that exits with status 1 at once.
    failing = tmp_path / "failing"
    body = "mov edi, 1\nmov eax, 60\nsyscall" if arch.bits == 64 else "mov ebx, 1\nmov eax, 1\nint 0x80"
    failing.write_bytes(build_gas(arch, body))
    failing.chmod(0o755)
    section = reconstruct("seed", binary, source, hex0_assemblers(failing))
    observed = {c.id.rsplit("/", 1)[1]: c.observed for c in section.checks}
    assert observed["self-hosted seed"] == "failed: assembler exited with status 1"
