"""Capstone decoding into small immutable instruction records, read once per address by the flow analysis."""

from __future__ import annotations

import functools

import capstone
from attrs import frozen
from capstone import x86_const as x


@frozen
class Operand:
    """One operand: a register, an immediate, or a memory reference (base + index*scale + disp)."""

    kind: str
    reg: str | None = None
    imm: int = 0
    base: str | None = None
    index: str | None = None
    disp: int = 0
    written: bool = False


@frozen
class Decoded:
    """One instruction with what the analysis needs from it."""

    address: int
    size: int
    mnemonic: str
    op_str: str
    operands: tuple[Operand, ...]
    written: tuple[str, ...]
    # jump, call, ret, syscall (syscall or int 0x80), or plain
    kind: str

    @property
    def end(self) -> int:
        """The address of the next instruction."""
        return self.address + self.size


@functools.cache
def _decoder(mode: int) -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_X86, mode)
    md.detail = True
    return md


# The same bytes are decoded many times over (the seed and its rebuild, a stage and its M1 twin, unreached
# code walked after reached code); decoding is pure, so it is cached.
@functools.lru_cache(maxsize=1 << 16)
def decode(mode: int, code: bytes, address: int) -> Decoded | None:
    """The first instruction of code (capstone mode), loaded at address; None when it is not a whole one."""
    insn = next(_decoder(mode).disasm(code, address, 1), None)
    if insn is None:
        return None
    operands = tuple(_operand(insn, op) for op in insn.operands)
    _read, written = insn.regs_access()
    return Decoded(
        address=insn.address,
        size=insn.size,
        mnemonic=insn.mnemonic,
        op_str=insn.op_str,
        operands=operands,
        written=tuple(insn.reg_name(r) for r in written),
        kind=_kind(insn, operands),
    )


def _operand(insn: capstone.CsInsn, op: capstone.x86.X86Op) -> Operand:
    written = bool(op.access & capstone.CS_AC_WRITE)
    if op.type == x.X86_OP_REG:
        return Operand("reg", reg=insn.reg_name(op.reg), written=written)
    if op.type == x.X86_OP_IMM:
        return Operand("imm", imm=op.imm, written=written)
    return Operand(
        "mem",
        base=insn.reg_name(op.mem.base) if op.mem.base else None,
        index=insn.reg_name(op.mem.index) if op.mem.index else None,
        disp=op.mem.disp,
        written=written,
    )


def _kind(insn: capstone.CsInsn, operands: tuple[Operand, ...]) -> str:
    if insn.group(capstone.CS_GRP_CALL):
        return "call"
    if insn.group(capstone.CS_GRP_JUMP):
        return "jump"
    if insn.group(capstone.CS_GRP_RET) or insn.mnemonic == "hlt":
        return "ret"
    if insn.mnemonic == "syscall" or (insn.mnemonic == "int" and operands and operands[0].imm == 0x80):
        return "syscall"
    return "plain"
