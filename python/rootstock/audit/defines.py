"""M1 DEFINE names checked against the instructions their bytes encode (mnemonic and register operands)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import capstone
from attrs import frozen
from capstone import x86_const

from rootstock.audit.m1 import Define
from rootstock.audit.model import Check, Finding
from rootstock.audit.policy import Arch
from rootstock.audit.regs import REGISTERS

_MNEMONICS = frozenset(name[len("X86_INS_") :].lower() for name in dir(x86_const) if name.startswith("X86_INS_"))
# Spellings M1 files use that capstone prints differently; the meaning is the same.
_ALIASES = {
    "jz": "je",
    "jnz": "jne",
    "jc": "jb",
    "jnae": "jb",
    "jnc": "jae",
    "jnb": "jae",
    "jna": "jbe",
    "jnbe": "ja",
    "jnge": "jl",
    "jnl": "jge",
    "jng": "jle",
    "jnle": "jg",
    "setz": "sete",
    "setnz": "setne",
    "sal": "shl",
    "pushf": "pushf*",
    "popf": "popf*",
}
# Operand order does not change what these do, so only the set of registers is compared.
_SYMMETRIC = frozenset({"xchg", "test"})
_REGISTER = re.compile(
    r"(?<![a-z0-9])(" + "|".join(sorted((*REGISTERS, "rip", "eip"), key=len, reverse=True)) + r")(?![a-z0-9])"
)
# Jump names carry their displacement size (jne8, je32); the size is not part of the mnemonic.
_SIZE_SUFFIX = re.compile(r"(8|32)$")


@frozen
class Verdict:
    """What the bytes of one DEFINE decode to and how that compares with its name."""

    define: Define
    decoded: str
    severity: str
    reason: str


def check_defines(defines: Iterable[tuple[str, Define]], arch: Arch) -> tuple[list[Check], list[Finding]]:
    """One check per distinct DEFINE (name and bytes) across the files; findings for doubtful ones.

    defines holds (file name, Define) pairs; a DEFINE repeated in several files is checked once.
    """
    md = capstone.Cs(capstone.CS_ARCH_X86, arch.cs_mode)
    md.detail = True
    seen: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], Define] = {}
    for file, define in defines:
        key = (define.name, define.hex.upper())
        seen.setdefault(key, []).append(file)
        first.setdefault(key, define)
    checks: list[Check] = []
    findings: list[Finding] = []
    data_names: list[str] = []
    for key in sorted(seen):
        verdict = judge(first[key], md)
        if verdict is None:
            data_names.append(key[0])
            continue
        files = ", ".join(sorted(set(seen[key])))
        checks.append(
            Check(
                f"define/{key[0]}={key[1]}",
                f"DEFINE {key[0]} ({files}) encodes the instruction its name says",
                key[0],
                verdict.decoded + (f" ({verdict.reason})" if verdict.reason else ""),
                verdict.severity != "error",
            )
        )
        if verdict.severity != "info":
            findings.append(
                Finding(
                    f"define/{key[0]}={key[1]}",
                    verdict.severity,
                    f"DEFINE {key[0]} {key[1]} ({files}) decodes as `{verdict.decoded}`: {verdict.reason}",
                )
            )
    if data_names:
        findings.append(
            Finding(
                "define/not-instructions",
                "info",
                "DEFINEs named as constants, not instructions (not checked): " + ", ".join(sorted(set(data_names))),
            )
        )
    return checks, findings


def judge(define: Define, md: capstone.Cs) -> Verdict | None:
    """Compare a DEFINE's name with its decoded bytes; None for an upper-case constant name such as NULL."""
    mnemonic, _, rest = define.name.partition("_")
    mnemonic = mnemonic.lower()
    if mnemonic not in _MNEMONICS and _ALIASES.get(mnemonic) is None:
        mnemonic = _SIZE_SUFFIX.sub("", mnemonic)
    code = bytes.fromhex(define.hex)
    if mnemonic not in _MNEMONICS and mnemonic not in _ALIASES:
        if define.name.isupper():
            return None
        decoded = (
            "; ".join(
                f"{i.mnemonic} {i.op_str}".strip() for i in md.disasm(code + bytes(16), 0) if i.address < len(code)
            )
            or "(undecodable)"
        )
        return Verdict(
            define,
            decoded,
            "warning",
            f"{mnemonic!r} is not an x86 mnemonic, so the name cannot be checked (a misspelling?)",
        )
    # The DEFINE often stops before its immediate or displacement; zeros stand in for it.
    insns = list(md.disasm(code + bytes(16), 0))
    inside = [i for i in insns if i.address < len(code)]
    if not inside:
        return Verdict(define, "(undecodable)", "error", "the bytes are not an instruction")
    insn = inside[0]
    decoded = f"{insn.mnemonic} {insn.op_str}".strip()
    if len(inside) > 1:
        return Verdict(
            define,
            "; ".join(f"{i.mnemonic} {i.op_str}".strip() for i in inside),
            "error",
            f"the bytes hold {len(inside)} instructions but the name names one",
        )
    wanted = _ALIASES.get(mnemonic, mnemonic)
    if not _same_mnemonic(wanted, insn.mnemonic):
        return Verdict(define, decoded, "error", f"mnemonic is {insn.mnemonic}, not {mnemonic}")
    return _compare_operands(define, decoded, rest, insn)


def _same_mnemonic(wanted: str, actual: str) -> bool:
    if wanted.endswith("*"):
        return actual.startswith(wanted[:-1])
    return wanted == actual


def _compare_operands(define: Define, decoded: str, rest: str, insn: capstone.CsInsn) -> Verdict:
    named = [_REGISTER.findall(part.lower()) for part in rest.split(",")] if rest else []
    actual = [_REGISTER.findall(part) for part in insn.op_str.split(", ")] if insn.op_str else []
    if insn.mnemonic in _SYMMETRIC:
        named, actual = [sorted(r for part in named for r in part)], [sorted(r for part in actual for r in part)]
    for index, regs in enumerate(named):
        if not regs:
            continue
        got = actual[index] if index < len(actual) else []
        if sorted(regs) == sorted(got):
            continue
        if _families(regs) == _families(got):
            return Verdict(
                define,
                decoded,
                "warning",
                f"operand {index + 1} is {', '.join(got)} where the name says {', '.join(regs)}: "
                "same register, other width",
            )
        return Verdict(
            define,
            decoded,
            "error",
            f"operand {index + 1} is {', '.join(got) or 'not a register'} where the name says {', '.join(regs)}",
        )
    return Verdict(define, decoded, "info", "")


def _families(regs: list[str]) -> list[str]:
    return sorted(REGISTERS[r][0] if r in REGISTERS else r for r in regs)
