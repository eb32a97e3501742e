"""Benchmark: what building a stage through rootstock and Nix costs over running the same builders bare.

Usage: .venv/bin/python benchmarks/stage_bench.py --system i686-linux [--runs 3] [--jobs 2]
           [--stages stage0,stage1 | --stages all] [--steps 'extra-*,mescc-tools-extra'] [--mirror DIR]

Stages are read from the data: each step's `stage` in stages.toml (`rootstock build <stage>` builds the same
groups).
`--steps` measures instead one group of the steps it names (fnmatch patterns such as `extra-*`).

Each stage is measured twice per run, side by side (which side goes first alternates between runs):

- rootstock: every step's derivation rebuilt with `nix-build --check` (rootstock.host.nix.build, sandbox on,
  no substituters, one derivation per nix-build, `--cores 1`). Nix 2.8 as root without a daemon gives no
  cheap throwaway store for the chain: a store of its own (`--store`, NIX_STORE_DIR) moves every store path,
  and the chain's pinned paths, the fixed-output names and the prepared git pins would all have to be placed
  there again; deleting the outputs from the shared /nix/store and building them again would take the chain
  away from anyone else building on this machine. `--check` instead runs the builder again in a fresh sandbox
  against the inputs already in the store, hashes the new output, compares it with the registered one and
  throws it away: the whole cost of a Nix build (nix-build starting, the store's locks and database, the
  sandbox, hashing the output) without touching the store. It requires the stage to be built once
  (`rootstock build stage0 --system …`).
- bare: the same builder with the same argv and environment run directly (rootstock.stages.bare): every
  `{pin:…}`, `{step:…}` and `{file:…}` is the store path the derivation has, `{out}` a path in a fresh
  temporary directory, the working directory a fresh empty one, and the environment only what the step sets
  plus `out`, the build directory variables, HOME and PATH as Nix sets them. Afterwards every output's NAR
  hash must equal the step's pin, so the bare build is proven the same build.

Both sides use one scheduler: a step starts once the steps of the same stage it names are done, `--jobs` at a
time, in stages.toml's order (the 13 `extra-*` steps run two at a time with `--jobs 2`); steps of earlier stages
are read from the store on both sides. Preparing (instantiating, materializing argv and environment) happens
before the clock starts; what a `rootstock build` pays once per command before it builds (the drift check,
placing the pins, instantiating every step) is measured on its own and shown as `set-up`. CPU seconds are
user+system of every finished child process (the builders, and nix-build with its sandboxes), which a loaded
machine disturbs less than wall time. Each figure is the median of `--runs` runs.
"""

from __future__ import annotations

import argparse
import fnmatch
import logging
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from rootstock import render
from rootstock.host import nix
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.project import Project
from rootstock.runner.run import ENTRY, attr_path
from rootstock.stages import bare
from rootstock.stages.resolve import ResolvedStep, SystemPlan

ROOT = Path(__file__).resolve().parents[1]


def stages_of(chain: SystemPlan) -> dict[str, list[ResolvedStep]]:
    """The chain's steps by stage (each step's `stage` in stages.toml), in build order."""
    stages: dict[str, list[ResolvedStep]] = {}
    for step in chain.steps:
        stages.setdefault(step.stage, []).append(step)
    return stages


def select(chain: SystemPlan, stages: str, steps: str | None) -> dict[str, list[ResolvedStep]]:
    if steps:
        patterns = [p for p in steps.split(",") if p]
        chosen = [s for s in chain.steps if any(fnmatch.fnmatchcase(s.name, p) for p in patterns)]
        if not chosen:
            msg = f"--steps {steps}: no step of {chain.system} matches"
            raise SystemExit(msg)
        return {"selected": chosen}
    grouped = stages_of(chain)
    if stages == "all":
        return grouped
    wanted = [s for s in stages.split(",") if s]
    unknown = [s for s in wanted if s not in grouped]
    if unknown:
        msg = f"--stages: no stage {', '.join(unknown)} on {chain.system} (stages: {', '.join(grouped)})"
        raise SystemExit(msg)
    return {name: grouped[name] for name in wanted}


def run_graph(steps: Sequence[ResolvedStep], jobs: int, action: Callable[[ResolvedStep], None]) -> float:
    """Run action on every step, `jobs` at a time, each once the steps it names among steps are done, in
    order; returns the wall time."""
    names = {s.name for s in steps}
    deps = {s.name: {r.name for r in s.refs() if r.kind == "step" and r.name in names} for s in steps}
    pending, done = list(steps), set[str]()
    running: dict[Future[None], ResolvedStep] = {}
    with ThreadPoolExecutor(jobs) as pool:
        start = time.perf_counter()
        while pending or running:
            for step in [s for s in pending if deps[s.name] <= done][: jobs - len(running)]:
                pending.remove(step)
                running[pool.submit(action, step)] = step
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                future.result()
                done.add(running.pop(future).name)
        return time.perf_counter() - start


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Bench:
    def __init__(self, plan: Plan, system: str, steps: list[ResolvedStep], jobs: int, work: Path) -> None:
        self.plan, self.system, self.jobs, self.work = plan, system, jobs, work
        self.root = plan.project.root
        self.drvs = dict(zip([s.name for s in plan.system(system).steps], self.instantiate(), strict=True))
        outputs = nix.derivation_outputs(list(self.drvs.values()))
        self.outs = {name: outputs[drv]["out"] for name, drv in self.drvs.items()}
        missing = [s.name for s in steps if not nix.is_valid(self.outs[s.name])]
        if missing:
            msg = (
                f"not built yet on {system}: {', '.join(missing)}; `--check` rebuilds built steps only "
                f"(run `rootstock build stage0 --system {system}` first)"
            )
            raise SystemExit(msg)
        fetcher = plan.project.fetcher()
        pins = {r.name for s in steps for r in s.refs() if r.kind == "pin"}
        self.pins = {name: fetcher.place(plan.pins.get(name), work) for name in sorted(pins)}
        self.checked = 0

    def instantiate(self) -> list[str]:
        attrs = [attr_path("stages", self.system, s.name) for s in self.plan.system(self.system).steps]
        return nix.instantiate(self.root / ENTRY, attrs)

    def setup(self) -> float:
        """What `rootstock build` does once before building: drift check, pins placed, every step instantiated."""
        start = time.perf_counter()
        render.check(self.root, render.render_all(self.plan))
        fetcher = self.plan.project.fetcher()
        for name in self.pins:
            fetcher.place(self.plan.pins.get(name), self.work)
        self.instantiate()
        return time.perf_counter() - start

    def with_nix(self, steps: list[ResolvedStep]) -> tuple[float, float]:
        def check(step: ResolvedStep) -> None:
            nix.build([self.drvs[step.name]], check=True, max_jobs=1, cores=1)

        cpu = children_cpu()
        wall = run_graph(steps, self.jobs, check)
        return wall, children_cpu() - cpu

    def bare(self, steps: list[ResolvedStep]) -> tuple[float, float]:
        work = Path(tempfile.mkdtemp(prefix="bare-", dir=self.work))
        runs = {
            s.name: bare.prepare(s, bare.store_paths(s, root=self.root, pins=self.pins, steps=self.outs), work / s.name)
            for s in steps
        }
        cpu = children_cpu()
        wall = run_graph(steps, self.jobs, lambda s: bare.run(runs[s.name]))
        cpu = children_cpu() - cpu
        for run in runs.values():
            bare.check(run)
            self.checked += 1
        shutil.rmtree(work)
        return wall, cpu


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", default="x86_64-linux")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="steps at a time, on both sides")
    parser.add_argument("--stages", default="stage0", help="comma-separated stage names, or all")
    parser.add_argument("--steps", help="measure these steps (comma-separated fnmatch patterns) as one group")
    parser.add_argument("--mirror", type=Path, default=os.environ.get("ROOTSTOCK_MIRROR"))
    args = parser.parse_args()
    logging.getLogger("rootstock").setLevel(logging.WARNING)
    mirror = args.mirror.resolve() if args.mirror else None
    options = GlobalOptions(root=ROOT, pins_file=ROOT / "pins.toml", mirror=mirror, verbose=False)
    plan = Plan.load(Project.load(options))
    groups = select(plan.system(args.system), args.stages, args.steps)
    every = [s for steps in groups.values() for s in steps]
    names = list(groups)
    walls: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    setups: list[float] = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="rootstock-stage-bench-") as tmp:
        bench = Bench(plan, args.system, every, args.jobs, Path(tmp))
        for run in range(args.runs):
            setups.append(bench.setup())
            for name in names:
                sides = [("rootstock", bench.with_nix), ("bare", bench.bare)]
                for side, measure in sides if run % 2 == 0 else sides[::-1]:
                    wall, cpu = measure(groups[name])
                    print(f"run {run + 1}/{args.runs}, {name}, {side}: {wall:.1f} s", file=sys.stderr)
                    walls.setdefault((name, side), []).append(wall)
                    cpus.setdefault((name, side), []).append(cpu)
    load_after = os.getloadavg()

    def totals(table: dict[tuple[str, str], list[float]], side: str) -> float:
        return median([sum(table[(n, side)][r] for n in names) for r in range(args.runs)])

    rows = [
        (
            name,
            str(len(groups[name])),
            median(walls[(name, "rootstock")]),
            median(walls[(name, "bare")]),
            median(cpus[(name, "rootstock")]),
            median(cpus[(name, "bare")]),
        )
        for name in names
    ]
    if len(names) > 1:
        rows.append(
            (
                "overall",
                str(len(every)),
                totals(walls, "rootstock"),
                totals(walls, "bare"),
                totals(cpus, "rootstock"),
                totals(cpus, "bare"),
            )
        )
    setup = median(setups)
    print(
        f"stage_bench: {args.system}, median of {args.runs} runs, --jobs {args.jobs}, Nix {nix.version()}, "
        f"{os.cpu_count()} cores, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    header = f"{'stage':<12}{'steps':>6}{'rootstock s':>13}{'bare s':>9}{'ratio':>7}{'cpu rootstock':>15}"
    print(header + f"{'cpu bare':>10}{'cpu ratio':>11}")
    for name, count, ours, theirs, ours_cpu, theirs_cpu in rows:
        print(
            f"{name:<12}{count:>6}{ours:>13.2f}{theirs:>9.2f}{ours / theirs:>7.2f}"
            f"{ours_cpu:>15.2f}{theirs_cpu:>10.2f}{ours_cpu / theirs_cpu:>11.2f}"
        )
    ours, theirs = rows[-1][2] + setup, rows[-1][3]
    print(f"{'+ set-up':<12}{'':>6}{ours:>13.2f}{theirs:>9.2f}{ours / theirs:>7.2f}")
    print(f"set-up once per command (drift check, pins placed, {len(bench.drvs)} steps instantiated): {setup:.2f} s")
    print(f"bare outputs equal to their pinned NAR hash: {bench.checked} of {len(every) * args.runs}")


if __name__ == "__main__":
    main()
