"""Benchmark: rootstock's hex0 assembler on megabytes of commented source, with `xxd -r -p` as the reference.

Usage: .venv/bin/python benchmarks/hex0_bench.py [--megabytes N] [--runs R]
xxd cannot skip comments, so it reads the same bytes written as bare hex (its time includes starting the process):
it shows what decoding hex costs at all.
A per-character Python loop takes seconds on 4 MB; one regex pass and bytes.fromhex take a fraction of one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rootstock.assemble.hex0 import assemble_hex0
from rootstock.host import proc

LINE = "48 8B 7C 24 10             # mov rdi, [rsp+16]  ; path = argv[1], deadbeef\n"
BARE = "48 8B 7C 24 10\n"


def median_of(runs: int, fn: Callable[[], bytes], expected: bytes) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
        assert out == expected, "wrong bytes: the timing would be meaningless"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=4.0, help="size of the commented source (default: 4)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lines = int(args.megabytes * 1_000_000) // len(LINE)
    text = LINE * lines
    expected = bytes.fromhex("488B7C2410") * lines
    with tempfile.TemporaryDirectory(prefix="hex0-bench-") as tmp:
        bare = Path(tmp) / "bare.hex"
        bare.write_text(BARE * lines)
        bare_size = bare.stat().st_size
        ours = median_of(args.runs, lambda: assemble_hex0(text), expected)
        theirs = median_of(args.runs, lambda: proc.run(["xxd", "-r", "-p", bare]).stdout_bytes, expected)
    print(f"{len(text) / 1e6:.1f} MB of commented hex0 -> {len(expected) / 1e6:.2f} MB, median of {args.runs} runs")
    print(f"{'implementation':<36}{'seconds':>9}{'MB/s in':>9}")
    for name, seconds, size in (
        ("rootstock assemble_hex0 (comments)", ours, len(text)),
        ("xxd -r -p (bare hex, no comments)", theirs, bare_size),
    ):
        print(f"{name:<36}{seconds:>9.3f}{size / 1e6 / seconds:>9.1f}")


if __name__ == "__main__":
    main()
