"""Audits one architecture: the two seeds, the early stages, their reassembly, cross-checks and DEFINEs."""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from rootstock.audit.defines import check_defines
from rootstock.audit.m1 import expand_m1
from rootstock.audit.model import AuditReport, ProgramAudit, Section
from rootstock.audit.pinned import PinnedOutput, check_pinned
from rootstock.audit.policy import UPSTREAM_POLICIES, ProgramPolicy, arch_named, policy_for
from rootstock.audit.program import audit_program
from rootstock.audit.reassemble import hex0_assemblers, reconstruct
from rootstock.audit.stages import STAGES, Stage, build_from_source, cross_verify, stage_file, stage_name
from rootstock.errors import InputError

# Seed binary -> its hex0 source in the upstream tree, and the stages.toml step that must reproduce it.
SEEDS = (("hex0-seed", "hex0_{A}.hex0", "hex0"), ("kaem-optional-seed", "kaem-minimal.hex0", "kaem-minimal"))


def audited_steps(arch_name: str) -> dict[str, str]:
    """program name -> the stages.toml step whose pinned output it is, for every program the audit reads."""
    arch = arch_named(arch_name)
    return {name: step for name, _source, step in SEEDS} | {stage_name(s, arch): s.step for s in STAGES}


def audit_arch(
    arch_name: str,
    seeds: Path,
    sources: Path,
    stages: Path | None = None,
    *,
    policies: Mapping[str, ProgramPolicy] = UPSTREAM_POLICIES,
    pinned: Mapping[str, PinnedOutput],
) -> AuditReport:
    """The whole audit of one architecture.

    seeds holds hex0-seed and kaem-optional-seed (bootstrap-seeds POSIX/<arch>); sources is the
    stage0-posix-<arch> tree; stages, when given, holds the chain's binaries (hex0, hex1, hex2-0, catm, M0,
    cc_<arch>), which must equal what the audit rebuilds from the sources.  Without it the rebuilt
    binaries are audited.  pinned maps program names to the output hashes stages.toml pins for them
    (rootstock.audit.pinned); policies default to the upstream table in rootstock.audit.policy.

    Raises:
        InputError: an input file is missing, truncated or malformed.
    """
    arch = arch_named(arch_name)
    programs = []
    audited: list[tuple[str, bytes]] = []
    sections: list[Section] = []
    seed_path = _file(seeds / "hex0-seed", f"the {arch.name} hex0 seed")
    heaviest = max(
        STAGES,
        key=lambda s: (
            stage_file(sources, s.source, arch, f"the {s.kind} source of {stage_name(s, arch)}").stat().st_size
        ),
    )
    # The analysis is pure Python: the heaviest stage (the C compiler, about half the work) is audited in a
    # forked worker so that both cores work. It forks first, while this process has no other threads.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as worker:
        offloaded = worker.submit(_audit_stage, heaviest, arch_name, sources, stages, policies)
        # Reassembly mostly waits for sed, xxd and the seed itself, so it runs beside the in-process analysis.
        with ThreadPoolExecutor(max_workers=2) as pool:
            rebuilds = []
            for name, source_pattern, _step in SEEDS:
                binary = _file(seeds / name, f"the {arch.name} {name}")
                source = stage_file(sources, source_pattern, arch, f"the hex0 source of {name}")
                rebuilds.append(pool.submit(reconstruct, name, binary, source, hex0_assemblers(seed_path)))
                data = binary.read_bytes()
                audited.append((name, data))
                programs.append(audit_program(name, binary.name, data, arch, policy_for(name, policies)))
            results = {
                stage.name: _audit_stage(stage, arch_name, sources, stages, policies)
                for stage in STAGES
                if stage is not heaviest
            }
            results[heaviest.name] = offloaded.result()
            sections += [rebuild.result() for rebuild in rebuilds]
    stage_sections = []
    for stage in STAGES:
        name, data, program, section = results[stage.name]
        audited.append((name, data))
        programs.append(program)
        stage_sections.append(section)
    sections += stage_sections
    sections.append(check_pinned(audited, pinned))
    m1_files = sorted({*sources.glob("*.M1"), *sources.glob("Development/*.M1")})
    pairs = [
        (f.relative_to(sources).as_posix(), d)
        for f in m1_files
        for d in expand_m1(f.read_text(), source=str(f)).defines
    ]
    checks, findings = check_defines(pairs, arch)
    sections.append(Section("M1 DEFINEs", tuple(checks), tuple(findings)))
    return AuditReport(arch.name, tuple(programs), tuple(sections))


def _audit_stage(
    stage: Stage, arch_name: str, sources: Path, stages: Path | None, policies: Mapping[str, ProgramPolicy]
) -> tuple[str, bytes, ProgramAudit, Section]:
    """One early stage: rebuilt from its source, compared with the chain's binary if given, audited, cross-checked."""
    arch = arch_named(arch_name)
    name = stage_name(stage, arch)
    built = build_from_source(stage, sources, arch)
    given_path = _file(stages / name, f"the chain's {name} binary") if stages is not None else None
    given = given_path.read_bytes() if given_path is not None else None
    data = given if given is not None else built
    shown = given_path.name if given_path is not None else f"{name} (rebuilt from source)"
    policy = policy_for(name, policies)
    program = audit_program(name, shown, data, arch, policy)
    return name, data, program, cross_verify(stage, sources, arch, policy, built=built, given=given)


def _file(path: Path, what: str) -> Path:
    if not path.is_file():
        msg = f"{path}: missing; expected {what}"
        raise InputError(msg)
    return path
