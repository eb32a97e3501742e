"""Recursive disassembly from the entry point with register tracking: code reached, syscalls, open() checks."""

from __future__ import annotations

from collections.abc import Callable

import capstone
from attrs import define, frozen
from capstone import x86_const as x

from rootstock.audit.elf import PF_X, ElfImage
from rootstock.audit.policy import Arch
from rootstock.audit.regs import REGISTERS, State, Value, apply, combine, const, read, write
from rootstock.audit.syscalls import OPENING, TERMINATING, syscall_name

# Instructions that leave the flags alone, so a test/cmp before them still decides the next jcc.
_FLAG_NEUTRAL = frozenset({"mov", "movzx", "movsx", "movsxd", "push", "pop", "lea", "xchg", "nop", "jmp"})
_ARITH: dict[str, Callable[[int, int], int]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "xor": lambda a, b: a ^ b,
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "shl": lambda a, b: a << b,
    "shr": lambda a, b: a >> b, "imul": lambda a, b: a * b,
}


@frozen
class Insn:
    """One decoded instruction."""

    address: int
    size: int
    mnemonic: str
    op_str: str


@frozen
class Syscall:
    """A syscall instruction and every number that can reach it (None: could not be resolved)."""

    address: int
    abi: str
    numbers: frozenset[int] | None

    def names(self) -> tuple[str, ...]:
        """The syscall names, one per possible number."""
        if self.numbers is None:
            return (syscall_name(self.abi, None),)
        return tuple(syscall_name(self.abi, n) for n in sorted(self.numbers))


@frozen
class Flow:
    """What following the control flow established."""

    instructions: tuple[Insn, ...]
    syscalls: tuple[Syscall, ...]
    outside: tuple[tuple[int, int], ...]
    undecodable: tuple[int, ...]
    indirect: tuple[int, ...]
    overlapping: tuple[int, ...]
    unchecked_opens: tuple[int, ...]
    one_byte_reads: tuple[int, ...]
    data_refs: frozenset[int]


@define
class _Walker:
    image: ElfImage
    data: bytes
    arch: Arch
    md: capstone.Cs
    states: dict[int, State]
    decoded: dict[int, capstone.CsInsn]
    outside: set[tuple[int, int]]
    undecodable: set[int]
    indirect: set[int]
    syscall_states: dict[int, State]
    opens: set[int]
    checked: set[str]
    data_refs: set[int]
    assumed: set[int]

    @property
    def mask(self) -> int:
        return (1 << self.arch.bits) - 1

    def executable(self, address: int) -> bool:
        seg = self.image.segment_at(address)
        return seg is not None and bool(seg.flags & PF_X)

    def decode(self, address: int) -> capstone.CsInsn | None:
        if address not in self.decoded:
            seg = self.image.segment_at(address)
            assert seg is not None  # callers only decode executable addresses
            start = seg.file_offset(address)
            end = min(start + 15, seg.offset + seg.filesz)
            insn = next(self.md.disasm(self.data[start:end], address, 1), None)
            if insn is None:
                return None
            self.decoded[address] = insn
        return self.decoded[address]

    def run(self, entry: int) -> None:
        if not self.executable(entry):
            return
        # Linux starts a process with every general register but the stack pointer zeroed (ELF_PLAT_INIT);
        # the seeds rely on it, so the analysis does too.
        start = State()
        for family in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp") if self.arch.bits == 64 else \
                ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"):
            start = write(start, family, const(0), self.arch.bits)
        self.states[entry] = start
        work = [entry]
        while work:
            address = work.pop()
            insn = self.decode(address)
            if insn is None:
                self.undecodable.add(address)
                continue
            for succ, state in self.step(insn, self.states[address]):
                if not self.executable(succ):
                    self.outside.add((address, succ))
                    continue
                old = self.states.get(succ)
                new = state if old is None else old.join(state)
                if new != old:
                    self.states[succ] = new
                    work.append(succ)

    def step(self, insn: capstone.CsInsn, state: State) -> list[tuple[int, State]]:
        nxt = insn.address + insn.size
        ops = insn.operands
        self.note_refs(insn)
        if insn.group(capstone.CS_GRP_JUMP) or insn.group(capstone.CS_GRP_CALL):
            return self.branch(insn, state, nxt)
        if insn.group(capstone.CS_GRP_RET) or insn.mnemonic == "hlt":
            return []
        if insn.mnemonic == "syscall" or (insn.mnemonic == "int" and ops[0].imm == 0x80):
            return self.syscall(insn, state, nxt)
        return [(nxt, self.transfer(insn, state))]

    def branch(self, insn: capstone.CsInsn, state: State, nxt: int) -> list[tuple[int, State]]:
        op = insn.operands[0]
        if op.type != x.X86_OP_IMM:
            self.indirect.add(insn.address)
            if insn.group(capstone.CS_GRP_CALL):
                return [(nxt, State(stack=state.stack))]
            return []
        target = op.imm & self.mask
        if insn.group(capstone.CS_GRP_CALL):
            # The callee sees the return address pushed; after the call nothing is known of the registers.
            return [(target, State(state.regs, (*state.stack, const(nxt)))), (nxt, State(stack=state.stack))]
        if insn.mnemonic == "jmp":
            return [(target, state)]
        taken, fallthrough = state, state
        if state.flag is not None and insn.mnemonic in ("je", "jne"):
            name, value = state.flag
            equal = write(state, name, const(value), self.arch.bits)
            unequal = state
            if REGISTERS[name][1] >= 32:
                unequal = state.with_reg(REGISTERS[name][0], _without(state.get(REGISTERS[name][0]), value))
            taken, fallthrough = (equal, unequal) if insn.mnemonic == "je" else (unequal, equal)
        return [(target, taken), (nxt, fallthrough)]

    def syscall(self, insn: capstone.CsInsn, state: State, nxt: int) -> list[tuple[int, State]]:
        seen = self.syscall_states.get(insn.address)
        self.syscall_states[insn.address] = state if seen is None else seen.join(state)
        numbers = read(state, "eax", self.mask)
        names = {syscall_name(self.abi_of(insn), n) for n in numbers or () if isinstance(n, int)}
        after = state
        for name in ("rcx", "r11") if insn.mnemonic == "syscall" else ():
            after = write(after, name, None, self.arch.bits)
        result: Value = None
        count = read(state, "edx", self.mask)
        if names == {"read"} and count is not None and count <= {0, 1}:
            # One byte at a time: the call returns 0 at end of file or 1; errors are assumed away and
            # the report says so, because the seeds rely on it for the upper bits of eax.
            self.assumed.add(insn.address)
            result = const(0, 1)
        elif names and names <= OPENING:
            self.opens.add(insn.address)
            result = const(f"fd@{insn.address:#x}")
        after = after.with_reg("a", result)
        if names and names <= TERMINATING:
            return []
        return [(nxt, evolve_flag(after, None))]

    def abi_of(self, insn: capstone.CsInsn) -> str:
        # int 0x80 reaches the 32-bit table even in a 64-bit process.
        return "i386" if insn.mnemonic == "int" else self.arch.abi

    def note_refs(self, insn: capstone.CsInsn) -> None:
        for op in insn.operands:
            if op.type == x.X86_OP_IMM:
                self.maybe_ref(op.imm & self.mask)
            elif op.type == x.X86_OP_MEM:
                if op.mem.base == x.X86_REG_RIP:
                    self.maybe_ref((insn.address + insn.size + op.mem.disp) & self.mask)
                elif op.mem.base == 0 and op.mem.index == 0:
                    self.maybe_ref(op.mem.disp & self.mask)

    def maybe_ref(self, address: int) -> None:
        if self.image.segment_at(address) is not None:
            self.data_refs.add(address)

    def transfer(self, insn: capstone.CsInsn, state: State) -> State:
        m, ops, bits = insn.mnemonic, insn.operands, self.arch.bits
        self.note_checks(insn, state)
        regs = [insn.reg_name(o.reg) if o.type == x.X86_OP_REG else None for o in ops]
        if m in ("test", "cmp", "or") and len(ops) == 2 and regs[0] in REGISTERS:
            compared = _compared(insn, regs, state)
            if m == "or" and regs[0] != regs[1]:
                compared = None
            return evolve_flag(state, (regs[0], compared) if compared is not None else None)
        state = evolve_flag(state, state.flag if m in _FLAG_NEUTRAL else None)
        moved = self.move(insn, regs, state)
        if moved is not None:
            return moved
        if regs and regs[0] in REGISTERS and ops[0].access & capstone.CS_AC_WRITE:
            return write(state, regs[0], self.result(insn, regs, state), bits)
        return self.clobber(insn, state)

    def move(self, insn: capstone.CsInsn, regs: list[str | None], state: State) -> State | None:
        """The state after a stack or register shuffle (push, pop, xchg, cdq), None for other instructions."""
        m, ops, bits = insn.mnemonic, insn.operands, self.arch.bits
        if m == "push" and ops:
            return _push(state, self.operand(insn, 0, state))
        if m == "pop" and regs and regs[0] in REGISTERS:
            value = state.stack[-1] if state.stack else None
            return write(State(state.regs, state.stack[:-1], state.flag), regs[0], value, bits)
        if m == "xchg" and all(r in REGISTERS for r in regs):
            a, b = read(state, regs[0], self.mask), read(state, regs[1], self.mask)
            return write(write(state, regs[0], b, bits), regs[1], a, bits)
        if m in ("cdq", "cqo"):
            width = 32 if m == "cdq" else 64
            # A descriptor is taken as non-negative, as the programs do; the unchecked-open finding says so.
            eax = read(state, "eax", self.mask)
            if eax is not None and all(isinstance(v, str) for v in eax):
                eax = const(0)
            sign = apply(lambda v: (1 << width) - 1 if v >> (width - 1) & 1 else 0, eax)
            return write(state, "edx" if m == "cdq" else "rdx", sign, bits)
        return None

    def result(self, insn: capstone.CsInsn, regs: list[str | None], state: State) -> Value:
        m = insn.mnemonic
        if m in ("xor", "sub") and len(regs) == 2 and regs[0] == regs[1]:
            return const(0)
        if m in ("mov", "movzx"):
            return self.operand(insn, 1, state)
        if m == "lea" and insn.operands[1].mem.base == x.X86_REG_RIP:
            return const((insn.address + insn.size + insn.operands[1].mem.disp) & self.mask)
        if m in ("inc", "dec"):
            return apply(lambda v: v + (1 if m == "inc" else -1), read(state, regs[0], self.mask))
        if m in _ARITH and len(insn.operands) == 2:
            return combine(_ARITH[m], read(state, regs[0], self.mask), self.operand(insn, 1, state))
        return None

    def operand(self, insn: capstone.CsInsn, index: int, state: State) -> Value:
        op = insn.operands[index]
        if op.type == x.X86_OP_IMM:
            return const(op.imm & self.mask)
        if op.type == x.X86_OP_REG and insn.reg_name(op.reg) in REGISTERS:
            return read(state, insn.reg_name(op.reg), self.mask)
        return None

    def clobber(self, insn: capstone.CsInsn, state: State) -> State:
        _read, written = insn.regs_access()
        for reg in written:
            name = insn.reg_name(reg)
            if name in REGISTERS and REGISTERS[name][0] != "sp":
                state = write(state, name, None, self.arch.bits)
        if any(insn.reg_name(r) in ("rsp", "esp") for r in written) and insn.mnemonic not in ("push", "pop"):
            state = State(state.regs, (), state.flag)
        return state

    def note_checks(self, insn: capstone.CsInsn, state: State) -> None:
        if insn.mnemonic not in ("test", "cmp", "or", "and"):
            return
        for op in insn.operands:
            if op.type == x.X86_OP_REG and insn.reg_name(op.reg) in REGISTERS:
                value = state.get(REGISTERS[insn.reg_name(op.reg)][0]) or frozenset()
                self.checked.update(v for v in value if isinstance(v, str))


def _without(value: Value, excluded: int) -> Value:
    return None if value is None else frozenset(v for v in value if v != excluded) or None


def _compared(insn: capstone.CsInsn, regs: list[str | None], state: State) -> int | None:
    """The constant a test/cmp compares its first register with, when ZF then means equality."""
    ops = insn.operands
    if insn.mnemonic in ("test", "or") and regs[0] == regs[1]:
        return 0
    if insn.mnemonic == "cmp" and ops[1].type == x.X86_OP_IMM:
        width = REGISTERS[regs[0]][1]
        return ops[1].imm & ((1 << width) - 1)
    return None


def _push(state: State, value: Value) -> State:
    return State(state.regs, (*state.stack, value)[-64:], state.flag)


def evolve_flag(state: State, flag: tuple[str, int] | None) -> State:
    """The state with a new flag test (or none)."""
    return State(state.regs, state.stack, flag)


def follow(image: ElfImage, data: bytes, arch: Arch, entry: int | None = None) -> Flow:
    """Disassemble every instruction reachable from entry (default: the ELF entry point), tracking registers."""
    md = capstone.Cs(capstone.CS_ARCH_X86, arch.cs_mode)
    md.detail = True
    walker = _Walker(image, data, arch, md, {}, {}, set(), set(), set(), {}, set(), set(), set(), set())
    walker.run(image.entry if entry is None else entry)
    insns = [walker.decoded[a] for a in sorted(walker.states) if a in walker.decoded]
    starts = {i.address for i in insns}
    overlapping = sorted(
        a for i in insns for a in range(i.address + 1, i.address + i.size) if a in starts
    )
    syscalls = []
    for address, state in sorted(walker.syscall_states.items()):
        insn = walker.decoded[address]
        numbers = read(state, "eax", walker.mask)
        ints = None if numbers is None or any(isinstance(v, str) for v in numbers) else \
            frozenset(int(v) for v in numbers)
        syscalls.append(Syscall(address, walker.abi_of(insn), ints))
    unchecked = sorted(a for a in walker.opens if f"fd@{a:#x}" not in walker.checked)
    return Flow(
        instructions=tuple(Insn(i.address, i.size, i.mnemonic, i.op_str) for i in insns),
        syscalls=tuple(syscalls),
        outside=tuple(sorted(walker.outside)),
        undecodable=tuple(sorted(walker.undecodable)),
        indirect=tuple(sorted(walker.indirect)),
        overlapping=tuple(overlapping),
        unchecked_opens=tuple(unchecked),
        one_byte_reads=tuple(sorted(walker.assumed)),
        data_refs=frozenset(walker.data_refs - starts),
    )

