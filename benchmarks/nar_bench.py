"""Benchmark: rootstock's NAR sha256 against nix-hash on two synthetic trees; prints one table.

Usage: .venv/bin/python benchmarks/nar_bench.py [--files N] [--large-mib M] [--runs R]

- large files: a handful of files of 1-32 MiB (a tarball-like tree), where reading and sha256 dominate;
- small files: N files (default 38,000, as many as gcc 4.6.4's source tree) sized like a source tree (most under
  8 KiB, some up to 2 MiB), 5% executables, symlinks (some dangling, some to directories), nested directories,
  empty files and empty directories, where the cost per file dominates.

Each round runs rootstock and nix-hash back to back on the same warm tree, the side that goes first alternating
from round to round (so a loaded machine slows both alike); the table shows the median of R rounds and their
spread, the median CPU seconds (user and system, every thread and process) of each, and the load average
before and after. On a machine whose cores are all busy the wall times follow the CPU seconds.
nix-hash's time includes starting the process, as a caller would pay it.
The goal (issue "Never a traceback...") is a ratio of at least 1.0 on both trees.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from rootstock.core.nar import nar_hash
from rootstock.host import nix


def make_large(root: Path, mib: int) -> int:
    rng = random.Random(1)
    root.mkdir()
    total, i = 0, 0
    while total < mib << 20:
        length = min(rng.randint(1 << 20, 32 << 20), (mib << 20) - total)
        (root / f"part{i}.bin").write_bytes(rng.randbytes(length))
        total, i = total + length, i + 1
    return total


def make_small(root: Path, files: int) -> int:
    rng = random.Random(2)
    dirs = [root]
    root.mkdir()
    total = 0
    for i in range(files):
        # A new directory every ~15 files, nested under a random earlier one: a source tree's shape.
        if i % 15 == 0:
            parent = rng.choice(dirs[-200:]) if len(dirs) < 4 or rng.random() < 0.7 else root
            new = parent / f"dir{len(dirs)}"
            new.mkdir()
            dirs.append(new)
        folder = rng.choice(dirs[-20:])
        # Log-normal sizes, median 2.5 KiB: ~80% under 8 KiB, a tail up to 2 MiB.
        length = 0 if i % 97 == 0 else min(int(rng.lognormvariate(math.log(2500), 1.2)), 2 << 20)
        target = folder / f"{'ABCxyz_'[i % 7]}file{i}.{'chS'[i % 3]}"
        target.write_bytes(rng.randbytes(length))
        total += length
        if i % 20 == 0:
            target.chmod(0o755)
        if i % 50 == 0:
            (folder / f"link{i}").symlink_to(target.name)
        if i % 400 == 0:
            (folder / f"dangling{i}").symlink_to("no/such/file")
            (folder / f"dirlink{i}").symlink_to("..")
            (folder / f"empty{i}").mkdir()
    return total


def race(tree: Path, runs: int) -> dict[str, list[float]]:
    """Seconds per round of each contender on tree; the side that goes first alternates from round to round."""
    assert nar_hash(tree) == nix.hash_path(tree), "hashes differ"
    contenders = {"rootstock": lambda: nar_hash(tree), "nix-hash": lambda: nix.hash_path(tree)}
    times: dict[str, list[float]] = {key: [] for name in contenders for key in (name, f"{name} cpu")}
    for round_ in range(runs):
        order = list(contenders) if round_ % 2 == 0 else list(reversed(contenders))
        for name in order:
            start, cpu = time.perf_counter(), cpu_seconds()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
            times[f"{name} cpu"].append(cpu_seconds() - cpu)
    return times


def cpu_seconds() -> float:
    """User and system time of this process (all its threads) and of its reaped children (nix-hash)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=38_000, help="files in the small-files tree (default: 38000)")
    parser.add_argument("--large-mib", type=int, default=256, help="size of the large-files tree (default: 256)")
    parser.add_argument("--runs", type=int, default=9, help="rounds, at least 5 for a median (default: 9)")
    args = parser.parse_args()
    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nar-bench-") as tmp:
        for name, make, count in (("large files", make_large, args.large_mib), ("small files", make_small, args.files)):
            tree = Path(tmp) / name.replace(" ", "-")
            total = make(tree, count)
            entries = sum(1 for _ in tree.rglob("*"))
            rows.append((f"{name} ({entries} entries, {total / (1 << 20):.0f} MiB)", race(tree, args.runs)))
    print(
        f"median (min-max) of {args.runs} rounds, warm cache; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    names = ("rootstock", "nix-hash")
    print(f"| tree | {' | '.join(f'{n} s' for n in names)} | rootstock vs nix-hash |", end="")
    print(f" {' | '.join(f'CPU {n} s' for n in names)} |")
    print(f"| --- |{' --- |' * 2} ---: |{' ---: |' * 2}")
    for label, times in rows:
        ours, theirs = (statistics.median(times[n]) for n in names)
        cells = [spread(times[n]) for n in names]
        cpu = [f"{statistics.median(times[f'{n} cpu']):.3f}" for n in names]
        print(f"| {label} | {' | '.join(cells)} | {theirs / ours:.2f}x | {' | '.join(cpu)} |")


if __name__ == "__main__":
    main()
