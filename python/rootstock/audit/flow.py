"""Recursive disassembly from the entry point with register tracking: code reached, syscalls, open() checks."""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable

from attrs import define, field, frozen

from rootstock.audit.decode import Decoded, decode
from rootstock.audit.elf import PF_X, ElfImage
from rootstock.audit.policy import Arch
from rootstock.audit.regs import REGISTERS, State, Value, apply, combine, const, read, write
from rootstock.audit.syscalls import OPENING, TERMINATING, syscall_name

# Instructions that leave the flags alone, so a test/cmp before them still decides the next jcc.
_FLAG_NEUTRAL = frozenset({"mov", "movzx", "movsx", "movsxd", "push", "pop", "lea", "xchg", "nop", "jmp"})
_ARITH: dict[str, Callable[[int, int], int]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "xor": lambda a, b: a ^ b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "shl": lambda a, b: a << b,
    "shr": lambda a, b: a >> b,
    "imul": lambda a, b: a * b,
}
# Instructions whose reading of a register counts as testing it (for the open() return value).
_TESTS = frozenset({"test", "cmp", "or", "and"})


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

    instructions: tuple[Decoded, ...]
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
    mask: int
    states: dict[int, State] = field(factory=dict)
    decoded: dict[int, Decoded | None] = field(factory=dict)
    outside: set[tuple[int, int]] = field(factory=set)
    indirect: set[int] = field(factory=set)
    syscall_states: dict[int, State] = field(factory=dict)
    opens: set[int] = field(factory=set)
    checked: set[str] = field(factory=set)
    data_refs: set[int] = field(factory=set)
    assumed: set[int] = field(factory=set)

    def executable(self, address: int) -> bool:
        seg = self.image.segment_at(address)
        return seg is not None and bool(seg.flags & PF_X)

    def decode(self, address: int) -> Decoded | None:
        if address not in self.decoded:
            seg = self.image.segment_at(address)
            assert seg is not None  # callers only decode executable addresses
            start = seg.file_offset(address)
            insn = decode(self.arch.cs_mode, self.data[start : min(start + 15, seg.offset + seg.filesz)], address)
            self.decoded[address] = insn
            if insn is not None:
                self.note_refs(insn)
        return self.decoded[address]

    def run(self, entry: int) -> None:
        if not self.executable(entry):
            return
        # Linux starts a process with every general register but the stack pointer zeroed (ELF_PLAT_INIT);
        # the seeds rely on it, so the analysis does too.
        start = State()
        for name in (
            ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp")
            if self.arch.bits == 64
            else ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp")
        ):
            start = write(start, name, const(0), self.arch.bits)
        self.states[entry] = start
        # Lowest address first: straight-line code is visited in order, so fewer states are revisited.
        work = [entry]
        queued = {entry}
        while work:
            address = heapq.heappop(work)
            queued.discard(address)
            insn = self.decode(address)
            if insn is None:
                continue
            for succ, state in self.step(insn, self.states[address]):
                if not self.executable(succ):
                    self.outside.add((address, succ))
                    continue
                old = self.states.get(succ)
                new = state if old is None else old.join(state)
                if new != old:
                    self.states[succ] = new
                    if succ not in queued:
                        queued.add(succ)
                        heapq.heappush(work, succ)

    def step(self, insn: Decoded, state: State) -> list[tuple[int, State]]:
        if insn.kind in ("jump", "call"):
            return self.branch(insn, state)
        if insn.kind == "ret":
            return []
        if insn.kind == "syscall":
            return self.syscall(insn, state)
        return [(insn.end, self.transfer(insn, state))]

    def branch(self, insn: Decoded, state: State) -> list[tuple[int, State]]:
        op = insn.operands[0]
        if op.kind != "imm":
            self.indirect.add(insn.address)
            return [(insn.end, State(stack=state.stack))] if insn.kind == "call" else []
        target = op.imm & self.mask
        if insn.kind == "call":
            # The callee sees the return address pushed; after the call nothing is known of the registers.
            return [(target, State(state.regs, (*state.stack, const(insn.end)))), (insn.end, State(stack=state.stack))]
        if insn.mnemonic == "jmp":
            return [(target, state)]
        taken, fallthrough = state, state
        if state.flag is not None and insn.mnemonic in ("je", "jne"):
            name, value = state.flag
            family, width, _high = REGISTERS[name]
            equal = write(state, name, const(value), self.arch.bits)
            unequal = state.with_reg(family, _without(state.get(family), value)) if width >= 32 else state
            taken, fallthrough = (equal, unequal) if insn.mnemonic == "je" else (unequal, equal)
        return [(target, taken), (insn.end, fallthrough)]

    def syscall(self, insn: Decoded, state: State) -> list[tuple[int, State]]:
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
        return [(insn.end, State(after.regs, after.stack, None))]

    def abi_of(self, insn: Decoded) -> str:
        # int 0x80 reaches the 32-bit table even in a 64-bit process.
        return "i386" if insn.mnemonic == "int" else self.arch.abi

    def note_refs(self, insn: Decoded) -> None:
        for op in insn.operands:
            if op.kind == "imm":
                self.maybe_ref(op.imm & self.mask)
            elif op.kind == "mem" and op.base in ("rip", "eip"):
                self.maybe_ref((insn.end + op.disp) & self.mask)
            elif op.kind == "mem" and op.base is None and op.index is None:
                self.maybe_ref(op.disp & self.mask)

    def maybe_ref(self, address: int) -> None:
        if self.image.segment_at(address) is not None:
            self.data_refs.add(address)

    def transfer(self, insn: Decoded, state: State) -> State:
        m, ops, bits = insn.mnemonic, insn.operands, self.arch.bits
        regs = [o.reg if o.kind == "reg" else None for o in ops]
        if m in _TESTS:
            self.note_checks(regs, state)
        if m in ("test", "cmp", "or") and len(ops) == 2 and regs[0] in REGISTERS:
            compared = _compared(insn, regs)
            return State(state.regs, state.stack, (regs[0], compared) if compared is not None else None)
        state = State(state.regs, state.stack, state.flag if m in _FLAG_NEUTRAL else None)
        moved = self.move(insn, regs, state)
        if moved is not None:
            return moved
        if regs and regs[0] in REGISTERS and ops[0].written:
            return write(state, regs[0], self.result(insn, regs, state), bits)
        return self.clobber(insn, state)

    def move(self, insn: Decoded, regs: list[str | None], state: State) -> State | None:
        """The state after a stack or register shuffle (push, pop, xchg, cdq), None for other instructions."""
        m, bits = insn.mnemonic, self.arch.bits
        if m == "push" and insn.operands:
            return State(state.regs, (*state.stack, self.operand(insn, 0, state))[-64:], state.flag)
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

    def result(self, insn: Decoded, regs: list[str | None], state: State) -> Value:
        m, ops = insn.mnemonic, insn.operands
        if m in ("xor", "sub") and len(regs) == 2 and regs[0] == regs[1]:
            return const(0)
        if m in ("mov", "movzx"):
            return self.operand(insn, 1, state)
        if m == "lea" and ops[1].base in ("rip", "eip"):
            return const((insn.end + ops[1].disp) & self.mask)
        if m in ("inc", "dec"):
            return apply(lambda v: v + (1 if m == "inc" else -1), read(state, regs[0], self.mask))
        if m in _ARITH and len(ops) == 2:
            return combine(_ARITH[m], read(state, regs[0], self.mask), self.operand(insn, 1, state))
        return None

    def operand(self, insn: Decoded, index: int, state: State) -> Value:
        op = insn.operands[index]
        if op.kind == "imm":
            return const(op.imm & self.mask)
        if op.kind == "reg" and op.reg in REGISTERS:
            return read(state, op.reg, self.mask)
        return None

    def clobber(self, insn: Decoded, state: State) -> State:
        for name in insn.written:
            if name in REGISTERS and REGISTERS[name][0] != "sp":
                state = write(state, name, None, self.arch.bits)
        if any(name in ("rsp", "esp") for name in insn.written):
            state = State(state.regs, (), state.flag)
        return state

    def note_checks(self, regs: list[str | None], state: State) -> None:
        for name in regs:
            if name in REGISTERS:
                value = state.get(REGISTERS[name][0]) or frozenset()
                self.checked.update(v for v in value if isinstance(v, str))


def _without(value: Value, excluded: int) -> Value:
    return None if value is None else frozenset(v for v in value if v != excluded) or None


def _compared(insn: Decoded, regs: list[str | None]) -> int | None:
    """The constant a test/cmp/or compares its first register with, when ZF then means equality."""
    ops = insn.operands
    if insn.mnemonic in ("test", "or") and regs[0] == regs[1]:
        return 0
    if insn.mnemonic == "cmp" and ops[1].kind == "imm" and regs[0] is not None:
        return ops[1].imm & ((1 << REGISTERS[regs[0]][1]) - 1)
    return None


# A program and its identical rebuild or M1 twin are analysed once; the analysis is a pure function.
@functools.lru_cache(maxsize=64)
def follow(image: ElfImage, data: bytes, arch: Arch, entry: int | None = None) -> Flow:
    """Disassemble every instruction reachable from entry (default: the ELF entry point), tracking registers."""
    walker = _Walker(image, data, arch, (1 << arch.bits) - 1)
    walker.run(image.entry if entry is None else entry)
    insns = [i for a in sorted(walker.states) if (i := walker.decoded.get(a)) is not None]
    starts = {i.address for i in insns}
    overlapping = sorted(a for i in insns for a in range(i.address + 1, i.end) if a in starts)
    syscalls = []
    for address, state in sorted(walker.syscall_states.items()):
        insn = walker.decoded[address]
        assert insn is not None  # only decoded instructions reach the syscall transfer
        numbers = read(state, "eax", walker.mask)
        ints = (
            None
            if numbers is None or not all(isinstance(v, int) for v in numbers)
            else frozenset(v for v in numbers if isinstance(v, int))
        )
        syscalls.append(Syscall(address, walker.abi_of(insn), ints))
    return Flow(
        instructions=tuple(insns),
        syscalls=tuple(syscalls),
        outside=tuple(sorted(walker.outside)),
        undecodable=tuple(sorted(a for a, i in walker.decoded.items() if i is None)),
        indirect=tuple(sorted(walker.indirect)),
        overlapping=tuple(overlapping),
        unchecked_opens=tuple(sorted(a for a in walker.opens if f"fd@{a:#x}" not in walker.checked)),
        one_byte_reads=tuple(sorted(walker.assumed)),
        data_refs=frozenset(walker.data_refs - starts),
    )
