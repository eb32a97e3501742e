"""Audits one architecture: the two seeds, the early stages, their reassembly, cross-checks and DEFINEs."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from rootstock.audit.defines import check_defines
from rootstock.audit.inputs import AuditInputs, Stage
from rootstock.audit.m1 import expand_m1
from rootstock.audit.model import AuditReport, ProgramAudit, Section
from rootstock.audit.pinned import check_pinned
from rootstock.audit.program import audit_program
from rootstock.audit.reassemble import hex0_assemblers, reconstruct
from rootstock.audit.stages import build_from_source, cross_verify, stage_file
from rootstock.core import files


def audit_arch(inputs: AuditInputs) -> AuditReport:
    """The whole audit of one architecture: the seeds, the early stages, their reassembly, pins and DEFINEs.

    inputs.stage_dir, when given, holds the chain's binaries, which must equal what the audit rebuilds from
    the sources; without it the rebuilt binaries are audited.

    Raises:
        InputError: an input file is missing, truncated or malformed, or a program names an unknown policy.
    """
    target, sources = inputs.target, inputs.source_dir
    arch = target.arch
    programs = []
    audited: list[tuple[str, bytes]] = []
    sections: list[Section] = []
    seed_paths = {
        seed.name: _file(inputs.seed_dir / seed.name, f"the {arch.name} {seed.name}") for seed in inputs.seeds
    }
    heaviest = max(
        inputs.stages,
        key=lambda s: stage_file(sources, s.source, target, f"the {s.kind} source of {s.name}").stat().st_size,
    )
    # The analysis is pure Python: the heaviest stage (the C compiler, about half the work) is audited in a
    # forked worker so that both cores work. It forks first, while this process has no other threads.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as worker:
        offloaded = worker.submit(_audit_stage, heaviest, inputs)
        # Reassembly mostly waits for sed, xxd and the seed itself, so it runs beside the in-process analysis.
        with ThreadPoolExecutor(max_workers=2) as pool:
            rebuilds = []
            for seed in inputs.seeds:
                binary = seed_paths[seed.name]
                source = stage_file(sources, seed.source, target, f"the hex0 source of {seed.name}")
                assemblers = hex0_assemblers(seed_paths[seed.assembler])
                rebuilds.append(pool.submit(reconstruct, seed.name, binary, source, assemblers))
                data = binary.read_bytes()
                audited.append((seed.name, data))
                programs.append(audit_program(seed.name, binary.name, data, arch, inputs.policy(seed)))
            results = {stage.name: _audit_stage(stage, inputs) for stage in inputs.stages if stage is not heaviest}
            results[heaviest.name] = offloaded.result()
            sections += [rebuild.result() for rebuild in rebuilds]
    stage_sections = []
    for stage in inputs.stages:
        name, data, program, section = results[stage.name]
        audited.append((name, data))
        programs.append(program)
        stage_sections.append(section)
    sections += stage_sections
    sections.append(check_pinned(audited, inputs.pinned()))
    m1_files = sorted({*sources.glob("*.M1"), *sources.glob("Development/*.M1")})
    pairs = [
        (f.relative_to(sources).as_posix(), d)
        for f in m1_files
        for d in expand_m1(files.read_input_text(f, "M1 source"), source=str(f)).defines
    ]
    checks, findings = check_defines(pairs, arch)
    sections.append(Section("M1 DEFINEs", tuple(checks), tuple(findings)))
    return AuditReport(arch.name, tuple(programs), tuple(sections))


def _audit_stage(stage: Stage, inputs: AuditInputs) -> tuple[str, bytes, ProgramAudit, Section]:
    """One early stage: rebuilt from its source, compared with the chain's binary if given, audited, cross-checked."""
    name, target = stage.name, inputs.target
    built = build_from_source(stage, inputs.source_dir, target)
    stages = inputs.stage_dir
    given_path = _file(stages / name, f"the chain's {name} binary") if stages is not None else None
    given = given_path.read_bytes() if given_path is not None else None
    data = given if given is not None else built
    shown = given_path.name if given_path is not None else f"{name} (rebuilt from source)"
    policy = inputs.policy(stage)
    program = audit_program(name, shown, data, target.arch, policy)
    return name, data, program, cross_verify(stage, inputs.source_dir, target, policy, built=built, given=given)


def _file(path: Path, what: str) -> Path:
    # Opened, not stat'ed: a FIFO or a directory is named as what it is, never called missing.
    with files.open_input(path, what.removeprefix("the "), missing=f"{path}: missing; expected {what}"):
        return path
