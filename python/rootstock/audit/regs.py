"""Abstract register values for the flow analysis: small sets of constants or symbols, merged at joins."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from attrs import evolve, frozen

# A value is a set of possibilities, or None when nothing is known.  A possibility is an int; a string naming
# the file descriptor an open() at some site returned; or a Partial, whose low bits are unknown (after
# `mov al, [mem]` the seeds still rely on the upper bits of eax).  Sets stay small so the fixed point is
# reached quickly.


@frozen
class Partial:
    """A register whose bits above low_mask are known and whose bits under it are not."""

    upper: int
    low_mask: int


Value = frozenset[int | str | Partial] | None
MAX_CHOICES = 8

_FAMILIES = {
    "a": ("rax", "eax", "ax", "al", "ah"),
    "b": ("rbx", "ebx", "bx", "bl", "bh"),
    "c": ("rcx", "ecx", "cx", "cl", "ch"),
    "d": ("rdx", "edx", "dx", "dl", "dh"),
    "si": ("rsi", "esi", "si", "sil"),
    "di": ("rdi", "edi", "di", "dil"),
    "bp": ("rbp", "ebp", "bp", "bpl"),
    "sp": ("rsp", "esp", "sp", "spl"),
}
# name -> (family, width in bits, True for the ah/bh/ch/dh high bytes)
REGISTERS: dict[str, tuple[str, int, bool]] = {}
for _family, _names in _FAMILIES.items():
    for _name, _width in zip(_names, (64, 32, 16, 8, 8), strict=False):
        REGISTERS[_name] = (_family, _width, _name.endswith("h") and len(_name) == 2)
for _n in range(8, 16):
    for _suffix, _width in (("", 64), ("d", 32), ("w", 16), ("b", 8)):
        REGISTERS[f"r{_n}{_suffix}"] = (f"r{_n}", _width, False)


def const(*values: int | str) -> Value:
    """A known value."""
    return frozenset(values)


def join(a: Value, b: Value) -> Value:
    """The value that covers both a and b."""
    if a is None or b is None:
        return None
    merged = a | b
    return merged if len(merged) <= MAX_CHOICES else None


def apply(fn: Callable[[int], int], value: Value) -> Value:
    """Apply fn to every integer possibility; symbols and partial values do not survive arithmetic."""
    if value is None or not all(isinstance(v, int) for v in value):
        return None
    return _bounded(fn(v) for v in value if isinstance(v, int))


def combine(fn: Callable[[int, int], int], a: Value, b: Value) -> Value:
    """Apply fn to every pair of integer possibilities."""
    if a is None or b is None or not all(isinstance(v, int) for v in a | b):
        return None
    return _bounded(fn(x, y) for x in a for y in b if isinstance(x, int) and isinstance(y, int))


def _bounded(values: Iterable[int]) -> Value:
    result = frozenset(values)
    return result if len(result) <= MAX_CHOICES else None


@frozen
class State:
    """Register values, a model of the top of the stack, and the last zero/equality test the flags hold."""

    regs: tuple[tuple[str, Value], ...] = ()
    stack: tuple[Value, ...] = ()
    # (register name, constant) when ZF is set exactly if that register equals the constant.
    flag: tuple[str, int] | None = None

    def get(self, family: str) -> Value:
        """The value of a register family (None when unknown)."""
        return dict(self.regs).get(family)

    def with_reg(self, family: str, value: Value) -> State:
        """This state with one register replaced; a flag test about that register no longer holds."""
        regs = dict(self.regs)
        if value is None:
            regs.pop(family, None)
        else:
            regs[family] = value
        flag = None if self.flag is not None and REGISTERS[self.flag[0]][0] == family else self.flag
        return evolve(self, regs=tuple(sorted(regs.items())), flag=flag)

    def join(self, other: State) -> State:
        """The state that covers both."""
        mine, theirs = dict(self.regs), dict(other.regs)
        regs = {k: v for k in mine.keys() & theirs.keys() if (v := join(mine[k], theirs[k])) is not None}
        # Paths may arrive with different depths (a function called from several places); only the common
        # top of the stack is kept, what lies beneath it becomes unknown.
        depth = min(len(self.stack), len(other.stack))
        stack = tuple(
            join(a, b)
            for a, b in zip(self.stack[len(self.stack) - depth :], other.stack[len(other.stack) - depth :], strict=True)
        )
        flag = self.flag if self.flag == other.flag else None
        return State(tuple(sorted(regs.items())), stack, flag)


def read(state: State, name: str, mask: int) -> Value:
    """The value of a named register of any width."""
    family, width, high = REGISTERS[name]
    value = state.get(family)
    if high:
        return apply(lambda v: (v >> 8) & 0xFF, value)
    if width >= 32 and value is not None and all(isinstance(v, str) for v in value):
        return value
    return apply(lambda v: v & ((1 << width) - 1) & mask, value)


def write(state: State, name: str, value: Value, bits: int) -> State:
    """State after writing value to a named register with x86 width rules (32-bit writes zero-extend)."""
    family, width, high = REGISTERS[name]
    if high:
        return state.with_reg(family, None)
    if width >= 32:
        if value is not None and all(isinstance(v, str) for v in value):
            return state.with_reg(family, value)
        return state.with_reg(family, apply(lambda v: v & ((1 << min(width, bits)) - 1), value))
    return state.with_reg(family, _merge_low(state.get(family), value, (1 << width) - 1))


def _merge_low(old: Value, new: Value, low: int) -> Value:
    """The full register after its low bits (low mask) were replaced by new."""
    if old is None:
        return None
    uppers = set()
    for possibility in old:
        if isinstance(possibility, int):
            uppers.add(possibility & ~low)
        elif isinstance(possibility, Partial) and possibility.low_mask & ~low == 0:
            uppers.add(possibility.upper & ~low)
        else:
            return None
    if new is None or not all(isinstance(v, int) for v in new):
        return frozenset(Partial(u, low) for u in uppers)
    return _bounded(u | (n & low) for u in uppers for n in new if isinstance(n, int))
