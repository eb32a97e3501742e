"""Audit of one program file: ELF fields, code reached from the entry, syscalls against its policy, byte map."""

from __future__ import annotations

import hashlib

from rootstock.audit.bytemap import EXPLAINED, UNREACHED, byte_map
from rootstock.audit.elf import ElfImage, inspect_elf
from rootstock.audit.flow import Flow, follow
from rootstock.audit.model import Check, Finding, Line, ProgramAudit, Region, SyscallSite
from rootstock.audit.policy import UNUSUAL_INSTRUCTIONS, Arch, ProgramPolicy


def audit_program(name: str, path: str, data: bytes, arch: Arch, policy: ProgramPolicy) -> ProgramAudit:
    """Every check the audit makes on one executable.

    Raises:
        InputError: the file is too short for its ELF header or program header table.
    """
    image = inspect_elf(name, data, arch, policy)
    flow = follow(image, data, arch)
    regions, unreached = byte_map(data, image, flow, lambda address: _explore(image, data, arch, address))
    checks = list(image.checks)
    checks += _code_checks(name, flow)
    checks += _branch_checks(name, flow, arch)
    listing = _listing(data, image, flow, unreached)
    checks += [
        Check(
            f"{name}/insn@{ln.address:#x}",
            f"`{ln.text}` ({ln.hex}) is an ordinary user-mode instruction",
            "not privileged, far, trapping or machine-dependent",
            UNUSUAL_INSTRUCTIONS.get(ln.text.split(" ")[0], "ordinary"),
            ln.text.split(" ")[0] not in UNUSUAL_INSTRUCTIONS,
        )
        for ln in listing
    ]
    # Syscalls in unreached code are checked too: a computed jump could still reach them.  A site the entry
    # reaches keeps the numbers found on the reached paths.
    sites = _syscall_sites(flow, image, policy)
    for other in unreached:
        known = {s.address for s in sites}
        sites += [s for s in _syscall_sites(other, image, policy) if s.address not in known]
    checks += [
        Check(
            f"{name}/syscall@{s.address:#x}/{s.name}",
            f"the {s.name} call at {s.address:#x} is one policy '{policy.name}' allows",
            ", ".join(sorted(policy.allowed_syscalls)),
            s.name if s.number is None else f"{s.name} ({s.number})",
            s.allowed,
        )
        for s in sites
    ]
    stray = [r for r in regions if r.kind not in EXPLAINED]
    checks.append(
        Check(
            f"{name}/bytes/accounted",
            "every byte of the file is header, reached code or referenced data",
            f"{len(data)} bytes explained",
            _describe(stray) or f"{len(data)} bytes explained",
            not stray,
        )
    )
    findings = list(image.findings) + _code_findings(name, flow)
    findings += [
        Finding(
            f"{name}/bytes@{r.start:#x}/unreached",
            "warning",
            f"bytes [{r.start:#x}, {r.end:#x}) decode as instructions but no path from the entry reaches them",
        )
        for r in regions
        if r.kind == UNREACHED
    ]
    return ProgramAudit(
        name=name,
        path=path,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        checks=tuple(checks),
        findings=tuple(findings),
        regions=regions,
        syscalls=tuple(sites),
        listing=listing,
        policy=policy,
    )


def _explore(image: ElfImage, data: bytes, arch: Arch, address: int) -> Flow | None:
    """The code reachable from an address nothing reaches, or None when it does not decode as code."""
    flow = follow(image, data, arch, address)
    return flow if flow.instructions and not flow.undecodable and not flow.outside else None


def _code_checks(name: str, flow: Flow) -> list[Check]:
    def listed(addresses: tuple[int, ...] | list[int]) -> str:
        return ", ".join(f"{a:#x}" for a in addresses) or "none"

    outside = [f"{a:#x}->{t:#x}" for a, t in flow.outside]
    return [
        Check(
            f"{name}/code/reached",
            "instructions decoded by following the control flow from the entry point",
            "at least one",
            str(len(flow.instructions)),
            bool(flow.instructions),
        ),
        Check(
            f"{name}/code/decodable",
            "every reached address decodes as a whole instruction inside its segment",
            "none undecodable",
            listed(flow.undecodable),
            not flow.undecodable,
        ),
        Check(
            f"{name}/code/targets",
            "every jump, call and fall-through stays in an executable loaded segment",
            "none outside",
            ", ".join(outside) or "none",
            not outside,
        ),
        Check(
            f"{name}/code/no-overlap",
            "no reached instruction starts inside another one",
            "none",
            listed(flow.overlapping),
            not flow.overlapping,
        ),
    ]


def _branch_checks(name: str, flow: Flow, arch: Arch) -> list[Check]:
    """One check per direct jump or call: it must land on an instruction that starts inside no other one.

    Landing inside an instruction would execute bytes the listing shows as something else.
    """
    clean = {i.address for i in flow.instructions} - set(flow.overlapping)
    mask = (1 << arch.bits) - 1
    return [
        Check(
            f"{name}/branch@{i.address:#x}",
            f"`{i.mnemonic} {i.op_str}` at {i.address:#x} lands on the start "
            "of a decoded instruction, not inside another one",
            "an instruction start",
            hex(target),
            target in clean,
        )
        for i in flow.instructions
        if i.kind in ("jump", "call") and i.operands[0].kind == "imm"
        for target in (i.operands[0].imm & mask,)
    ]


def _listing(data: bytes, image: ElfImage, flow: Flow, unreached: tuple[Flow, ...]) -> tuple[Line, ...]:
    """Every decoded instruction, reached or not, in address order."""
    reached = {i.address for i in flow.instructions}
    found = {i.address: (i, True) for i in flow.instructions}
    for other in unreached:
        for insn in other.instructions:
            found.setdefault(insn.address, (insn, False))
    lines = []
    for address in sorted(found):
        insn, is_reached = found[address]
        segment = image.segment_at(address)
        assert segment is not None  # decoded instructions lie in loaded segments
        offset = segment.file_offset(address)
        lines.append(
            Line(
                address,
                offset,
                data[offset : offset + insn.size].hex(),
                f"{insn.mnemonic} {insn.op_str}".strip(),
                is_reached and address in reached,
            )
        )
    return tuple(lines)


def _syscall_sites(flow: Flow, image: ElfImage, policy: ProgramPolicy) -> list[SyscallSite]:
    sites = []
    for call in flow.syscalls:
        numbers: list[int | None] = sorted(call.numbers) if call.numbers is not None else [None]
        for number, name in zip(numbers, call.names(), strict=True):
            segment = image.segment_at(call.address)
            assert segment is not None  # the flow only decodes inside loaded segments
            sites.append(
                SyscallSite(
                    address=call.address,
                    offset=segment.file_offset(call.address),
                    number=number,
                    name=name,
                    allowed=number is not None and name in policy.allowed_syscalls,
                )
            )
    return sites


def _code_findings(name: str, flow: Flow) -> list[Finding]:
    findings = [
        Finding(
            f"{name}/open@{a:#x}/unchecked",
            "warning",
            f"the open() at {a:#x} never has its return value tested: a missing or unreadable file is used "
            "as descriptor -errno and the program carries on with reads that fail",
        )
        for a in flow.unchecked_opens
    ]
    findings += [
        Finding(
            f"{name}/read@{a:#x}/one-byte",
            "info",
            f"the read() at {a:#x} asks for one byte; the analysis takes its result as 0 or 1 (a read error "
            "would leave other upper bits in the accumulator)",
        )
        for a in flow.one_byte_reads
    ]
    findings += [
        Finding(
            f"{name}/code@{a:#x}/indirect",
            "warning",
            f"indirect branch at {a:#x}: its targets are computed at run time and were not followed",
        )
        for a in flow.indirect
    ]
    return findings


def _describe(regions: list[Region]) -> str:
    return ", ".join(f"{r.kind} [{r.start:#x}, {r.end:#x})" for r in regions)
