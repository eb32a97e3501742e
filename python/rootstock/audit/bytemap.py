"""The byte map: every byte of a program file assigned a role (header, code, data) or reported as unaccounted."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rootstock.audit.elf import ElfImage
from rootstock.audit.flow import Flow
from rootstock.audit.model import Region

UNACCOUNTED = "unaccounted"
UNREACHED = "unreached-code"
# Kinds that explain a byte; anything else fails the byte-map check.  Unreached code is explained (it
# decodes as a whole function between reached code, typically a helper nobody calls) but reported.
EXPLAINED = frozenset({"elf-header", "program-headers", "elf-header+program-headers", "code", "data", UNREACHED})


def byte_map(
    data: bytes, image: ElfImage, reached: Flow, explore: Callable[[int], Flow | None]
) -> tuple[tuple[Region, ...], tuple[Flow, ...]]:
    """Regions covering the whole file in order, and the flows of unreached code found between reached code.

    explore(address) follows the control flow from an address nothing reaches; it returns None when the
    bytes there do not decode as code.
    """
    kinds: list[str] = [""] * len(data)
    for region in image.regions:
        for offset in range(region.start, min(region.end, len(data))):
            kinds[offset] = f"{kinds[offset]}+{region.kind}" if kinds[offset] else region.kind
    _mark(kinds, image, reached, "code")
    unreached: list[Flow] = []
    tried: set[int] = set()
    while True:
        regions = _runs(kinds)
        # Bytes after the last explained byte are never taken as code: appended bytes stay unaccounted.
        last = max((i for i, r in enumerate(regions) if r.kind != ""), default=-1)
        todo = [r for r in regions[:last] if r.kind == "" and r.start not in tried]
        if not todo:
            break
        tried.add(todo[0].start)
        address = image.address_of(todo[0].start)
        flow = explore(address) if address is not None else None
        if flow is not None:
            unreached.append(flow)
            _mark(kinds, image, flow, UNREACHED)
    return tuple(Region(r.start, r.end, r.kind or UNACCOUNTED) for r in _runs(kinds)), tuple(unreached)


def _mark(kinds: list[str], image: ElfImage, flow: Flow, kind: str) -> None:
    for insn in flow.instructions:
        start = _offset(image, insn.address)
        for offset in range(start, start + insn.size):
            if kinds[offset] in ("", "data"):
                kinds[offset] = kind
    # A data item starts where an instruction refers to it and runs to the next explained byte.
    for start in sorted(_offset(image, a) for a in flow.data_refs):
        offset = start
        while offset < len(kinds) and kinds[offset] == "":
            kinds[offset] = "data"
            offset += 1


def _offset(image: ElfImage, address: int) -> int:
    segment = image.segment_at(address)
    assert segment is not None  # the flow only records addresses inside loaded segments
    return segment.file_offset(address)


def _runs(kinds: Sequence[str]) -> tuple[Region, ...]:
    regions: list[Region] = []
    start = 0
    for offset in range(1, len(kinds) + 1):
        if offset == len(kinds) or kinds[offset] != kinds[start]:
            regions.append(Region(start, offset, kinds[start]))
            start = offset
    return tuple(regions)
