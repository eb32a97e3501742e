"""Benchmark: rootstock's NAR sha256 against nix-hash on the same synthetic tree; prints a table.

Usage: .venv/bin/python benchmarks/nar_bench.py [--files N] [--size BYTES] [--rounds R]
The goal (issue #2) is a throughput of at least 0.8x nix-hash's.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rootstock.core.nar import nar_hash
from rootstock.host import nix


def make_tree(root: Path, files: int, size: int) -> int:
    rng = random.Random(1)
    total = 0
    for i in range(files):
        target = root / f"d{i % 37}" / f"sub{i % 5}" / f"f{i}"
        target.parent.mkdir(parents=True, exist_ok=True)
        length = rng.randint(0, 2 * size)
        target.write_bytes(rng.randbytes(length))
        total += length
        if i % 7 == 0:
            target.chmod(0o755)
        if i % 11 == 0:
            (target.parent / f"l{i}").symlink_to(target.name)
    big = root / "big.bin"
    big.write_bytes(rng.randbytes(64 << 20))
    return total + (64 << 20)


def best_of(rounds: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--size", type=int, default=8192)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        total = make_tree(tree, args.files, args.size)
        assert nar_hash(tree) == nix.hash_path(tree), "hashes differ: the benchmark would be meaningless"
        ours = best_of(args.rounds, lambda: nar_hash(tree))
        theirs = best_of(args.rounds, lambda: nix.hash_path(tree))
    mib = total / (1 << 20)
    print(f"tree: {args.files} files + 64 MiB file, {mib:.1f} MiB, best of {args.rounds} (warm cache)")
    print(f"{'implementation':<24}{'seconds':>10}{'MiB/s':>10}{'vs nix-hash':>14}")
    print(f"{'nix-hash --type sha256':<24}{theirs:>10.3f}{mib / theirs:>10.1f}{1.0:>13.2f}x")
    print(f"{'rootstock nar_hash':<24}{ours:>10.3f}{mib / ours:>10.1f}{theirs / ours:>13.2f}x")


if __name__ == "__main__":
    main()
