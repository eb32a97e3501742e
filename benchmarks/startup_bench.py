"""Benchmark: how long `rootstock --version` and `rootstock --help` take to start, beside `python -c pass`.

Usage: .venv/bin/python benchmarks/startup_bench.py [--runs N]
Each command runs N times in a fresh interpreter (the same one, against this checkout's python/); the table shows
the median and the fastest wall time. The goal is under 0.15 s for `--version`; `python -c pass` is the floor.
To see which imports cost the time: python -X importtime -m rootstock --help 2>&1 >/dev/null | sort -t'|' -k2 -n
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parents[1] / "python"
GOAL = 0.15
CASES = (
    ("python -c pass", ["-c", "pass"]),
    ("rootstock --version", ["-m", "rootstock", "--version"]),
    ("rootstock --help", ["-m", "rootstock", "--help"]),
)


def wall_times(args: list[str], runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PYTHON_DIR), os.environ.get("PYTHONPATH", "")])}
    print(f"start-up, {args.runs} runs each, {sys.executable}")
    print(f"{'command':<22}{'median s':>10}{'min s':>8}{'over floor s':>14}")
    floor = 0.0
    for name, case in CASES:
        times = wall_times(case, args.runs, env)
        median = statistics.median(times)
        floor = floor or median
        verdict = ""
        if "--version" in case:
            verdict = f"  {'ok' if median < GOAL else 'SLOW'} (goal < {GOAL} s)"
        print(f"{name:<22}{median:>10.3f}{min(times):>8.3f}{median - floor:>14.3f}{verdict}")


if __name__ == "__main__":
    main()
