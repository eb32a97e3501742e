"""Fault injection: interrupt rootstock commands at random moments and check that each exits cleanly.

Usage: .venv/bin/python benchmarks/interrupt_faults.py [--runs N] [--seed S] [--commands NAME...] [--keep]
       [--python-m] [--py-spy PATH]

On a throwaway fixture checkout (the fixture chain of tests/stages/test_build.py: a seed, a git source in a
repository made here, three steps) in a Nix store of its own, it runs `render`, `pins update src --rev NEW`,
`pins fetch` and `build stage0` once each to measure how long they take, then N times each as a subprocess
(the installed `rootstock` command, python/bin/rootstock, beside this Python), sending SIGINT (to its process
group, as a terminal's Ctrl-C does) or now and then SIGTERM (to the process, as `kill` does) after a delay
drawn from a seeded RNG over the command's duration.
Each run is checked (README.md, "Exit codes"; docs/faults.md):

- it exits within 2 s of the signal (else HANG: it is killed);
- no "Traceback" on stderr, and its exit code is 130 for SIGINT, 143 for SIGTERM, or 0 if it finished first;
- nothing is left: no rootstock-* entry in its own $TMPDIR, no write_atomic temporary file in the checkout,
  no process of its session or naming its $TMPDIR or the fixture's store;
- pins.toml, stages.toml and nix/generated/* are byte-identical to before, except that `pins update` may
  have completed (then pins.toml is the updated file in full); a build report, when written, is whole JSON.

It prints a table of totals per command and exits 1 on any hang, traceback, wrong exit code, leftover or
half-changed file. A hung run keeps its evidence in its run directory (the fixture is then kept): the process
list of its session and, with py-spy installed (`pip install py-spy`; --py-spy PATH), every thread's Python
stack; it is then given 10 s more, and the fault says whether it was slow (exited) or stuck (killed).
--python-m starts every command as `python -m rootstock` instead, without the command's blocked signals: a
signal in Python's start-up then makes Python print its own traceback, which is counted apart
(python-start-up), not as rootstock's fault (docs/faults.md). Run as the command, such a traceback is a fault.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SYSTEM = "x86_64-linux"
# How long after the signal a command may take to exit before it counts as hung.
EXIT_BUDGET_SECONDS = 2.0
# How long a hung command is then given before it is killed: one that exits by then was slow, not deadlocked.
GRACE_AFTER_HANG_SECONDS = 10.0
# How long processes a command ended may take to vanish from /proc before they count as left over.
REAP_SECONDS = 1.0
SIGTERM_SHARE = 0.3
COMMANDS = {
    "render": ["render"],
    "pins update": ["pins", "update", "src", "--rev", "{new_rev}"],
    "pins fetch": ["pins", "fetch"],
    "build stage0": ["build", "stage0", "--system", SYSTEM],
}
EXPECTED = {signal.SIGINT: 130, signal.SIGTERM: 143}
COLUMNS = (
    "runs",
    "finished-first",
    "interrupted-ok",
    "python-start-up",
    "hangs",
    "tracebacks",
    "bad-code",
    "leftovers",
    "changed",
)
FAULTS = ("hangs", "tracebacks", "bad-code", "leftovers", "changed")


def isolated_env(base: Path) -> dict[str, str]:
    """A Nix store, git configuration and HOME of the fixture's own, as tests/conftest.py gives each test."""
    conf = base / "nix" / "etc"
    conf.mkdir(parents=True)
    (conf / "nix.conf").write_text("substituters =\nsandbox = true\nbuild-users-group =\nexperimental-features =\n")
    env = {
        "NIX_STORE_DIR": str(base / "nix" / "store"),
        "NIX_STATE_DIR": str(base / "nix" / "state"),
        "NIX_LOG_DIR": str(base / "nix" / "log"),
        "NIX_CONF_DIR": str(conf),
        "HOME": str(base / "home"),
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PYTHONPATH": str(REPO / "python"),
    }
    for who in ("AUTHOR", "COMMITTER"):
        env |= {f"GIT_{who}_NAME": "faults", f"GIT_{who}_EMAIL": "faults@rootstock.invalid"}
        env[f"GIT_{who}_DATE"] = "2026-01-01T00:00:00Z"
    return env


def make_fixture(base: Path) -> tuple[Path, str]:
    """The fixture chain's checkout, rendered, its pins in the store; returns it and a newer upstream commit."""
    for path in (REPO / "tests", REPO / "tests" / "stages"):
        sys.path.insert(0, str(path))
    from test_build import Chain

    from common_support import commit

    root = base / "checkout"
    shutil.copytree(REPO / "templates", root / "templates")
    for part in ("lib", "static"):
        shutil.copytree(REPO / "nix" / part, root / "nix" / part)
    shutil.copy(REPO / "nix" / "default.nix", root / "nix" / "default.nix")
    (base / "chain").mkdir()
    chain = Chain(root, base / "chain", SYSTEM)
    new_rev = commit(chain.upstream, {"c.txt": "a later file\n"}, "later")
    return root, new_rev


TRACKED = ("pins.toml", "stages.toml", "nix/generated")


def tracked_files(root: Path) -> dict[str, str]:
    """Each tracked file's sha256, by its path in the checkout."""
    files: dict[str, str] = {}
    for name in TRACKED:
        top = root / name
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if path.is_file():
                files[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def snapshot(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in tracked_files(root)}


def restore(root: Path, saved: dict[str, bytes]) -> None:
    for name, data in saved.items():
        if (root / name).read_bytes() != data:
            (root / name).write_bytes(data)


def step_outputs(stdout: str) -> list[str]:
    """The store paths a build prints (one `step<TAB>path…` line each)."""
    return [line.split("\t")[1] for line in stdout.splitlines() if "\t" in line]


def forget_outputs(env: dict[str, str], outputs: list[str]) -> None:
    """Delete the chain's outputs from the store, so that every build run builds again."""
    if outputs:
        subprocess.run(["nix-store", "--delete", *outputs], env=env, capture_output=True, check=False)


def session_of(pid: int) -> int | None:
    with contextlib.suppress(OSError, IndexError, ValueError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[3])
    return None


def mentions(pid: int, needles: list[bytes]) -> bool:
    for part in ("cmdline", "environ"):
        with contextlib.suppress(OSError):
            data = Path(f"/proc/{pid}/{part}").read_bytes()
            if any(n in data for n in needles):
                return True
    return False


def orphaned_zombie(pid: int) -> bool:
    """A dead grandchild whose parent died first: PID 1 (or a subreaper) reaps it, when it gets round to it."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] == "Z" and int(fields[1]) == 1
    return False


def stragglers(session: int, needles: list[bytes]) -> list[int]:
    """Processes (but this one) still in the command's session or naming its files; a zombie rootstock did
    not reap counts too, one handed to PID 1 does not."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        if (session_of(pid) == session or mentions(pid, needles)) and not orphaned_zombie(pid):
            found.append(pid)
    return found


def wait_for_stragglers(session: int, needles: list[bytes]) -> list[str]:
    deadline = time.monotonic() + REAP_SECONDS
    while (left := stragglers(session, needles)) and time.monotonic() < deadline:
        time.sleep(0.05)
    named = []
    for pid in left:
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            named.append(f"{pid}: {b' '.join(argv).decode(errors='replace')}")
            os.kill(pid, signal.SIGKILL)
    return named


def leftover_files(root: Path, tmpdir: Path) -> list[str]:
    """rootstock's temporary directories in its $TMPDIR, write_atomic's temporary files in the checkout."""
    left = [str(p) for p in tmpdir.iterdir() if p.name.startswith("rootstock-")]
    left += [str(p) for p in root.rglob(".*.tmp")]
    return left


def broken_reports(root: Path) -> list[str]:
    broken = []
    for report in root.glob("build-logs/*/report.json"):
        try:
            json.loads(report.read_text())
        except ValueError:
            broken.append(str(report))
    return broken


def judge(tally: Counter[str], code: int, signum: int, signalled: bool, err: str, *, bare_python: bool) -> list[str]:
    """Count the run's outcome by its exit code and stderr; the faults among them."""
    if bare_python and "Traceback" in err and f"{REPO / 'python'}" not in err:
        # The signal came while Python itself started (site, the virtualenv's path hooks), before the first
        # line of rootstock: Python prints that traceback and exits, and no code run by Python can prevent it.
        tally["python-start-up"] += 1
        return []
    faults = []
    if "Traceback" in err:
        tally["tracebacks"] += 1
        faults.append("traceback")
    if code == 0:
        tally["finished-first"] += 1
    # Ended by the signal itself (a shell says 128 + N, the same code): a SIGTERM before rootstock's handler
    # is installed, or either signal once it has finished and Python is shutting down.
    elif code not in (EXPECTED[signum], -signum) or not signalled:
        tally["bad-code"] += 1
        faults.append(f"exit {code}")
    return faults


class Fixture:
    def __init__(self, base: Path, command: list[str], py_spy: str | None) -> None:
        self.base = base
        self.command = command
        self.py_spy = py_spy
        self.env = {**os.environ, **isolated_env(base)}
        os.environ.update(self.env)  # the in-process set-up (Chain) uses the same store and git identity
        self.root, self.new_rev = make_fixture(base)
        self.saved = snapshot(self.root)
        self.outputs: list[str] = []
        self.updated: dict[str, str] | None = None
        self.runs = 0

    def argv(self, command: str) -> list[str]:
        words = [w.format(new_rev=self.new_rev) for w in COMMANDS[command]]
        return [*self.command, "--root", str(self.root), *words]

    def prepare(self, command: str) -> None:
        restore(self.root, self.saved)
        if command == "build stage0":
            forget_outputs(self.env, self.outputs)

    @contextlib.contextmanager
    def started(self, command: str) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
        self.runs += 1
        run_dir = self.base / "runs" / f"{self.runs:04d}"
        tmpdir = run_dir / "tmp"
        tmpdir.mkdir(parents=True)
        with (run_dir / "stdout").open("wb") as out, (run_dir / "stderr").open("wb") as err:
            child = subprocess.Popen(
                self.argv(command),
                env={**self.env, "TMPDIR": str(tmpdir)},
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            yield child, run_dir, tmpdir

    def measure(self, command: str) -> float:
        """One uninterrupted run: how long it takes, and what it leaves (the updated pins, the outputs)."""
        self.prepare(command)
        began = time.monotonic()
        with self.started(command) as (child, run_dir, _):
            code = child.wait()
        took = time.monotonic() - began
        if code != 0:
            sys.exit(f"{command}: exit {code} without an interrupt:\n{(run_dir / 'stderr').read_text()}")
        if command == "pins update":
            self.updated = tracked_files(self.root)
        if command == "build stage0":
            self.outputs = step_outputs((run_dir / "stdout").read_text())
        return took

    def keep_evidence(self, child: subprocess.Popen[bytes], run_dir: Path, signalled_at: float) -> str:
        """A hung run: its Python stacks (py-spy) and its processes into run_dir, then either it exits within
        GRACE_AFTER_HANG_SECONDS (slow) or it is killed (stuck). Returns the fault's description."""
        processes = subprocess.run(
            ["ps", "-o", "pid,ppid,pgid,stat,etime,args", "-s", str(child.pid)], capture_output=True, check=False
        )
        (run_dir / "processes.txt").write_bytes(processes.stdout)
        if self.py_spy:
            dump = subprocess.run([self.py_spy, "dump", "--pid", str(child.pid)], capture_output=True, check=False)
            (run_dir / "py-spy.txt").write_bytes(dump.stdout + dump.stderr)
        try:
            child.wait(timeout=GRACE_AFTER_HANG_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return f"hang: stuck, killed after {time.monotonic() - signalled_at:.1f}s"
        return f"hang: exited {time.monotonic() - signalled_at:.1f}s after the signal"

    def interrupt(self, command: str, delay: float, signum: int) -> dict[str, int]:
        """One run signalled after delay; the counts of its outcome and of every fault found."""
        self.prepare(command)
        before = tracked_files(self.root)
        tally: Counter[str] = Counter(runs=1)
        with self.started(command) as (child, run_dir, tmpdir):
            time.sleep(delay)
            signalled = child.poll() is None
            if signalled:
                with contextlib.suppress(ProcessLookupError):
                    if signum == signal.SIGINT:
                        os.killpg(child.pid, signum)
                    else:
                        os.kill(child.pid, signum)
            signalled_at = time.monotonic()
            hang = None
            try:
                code = child.wait(timeout=EXIT_BUDGET_SECONDS)
            except subprocess.TimeoutExpired:
                tally["hangs"] += 1
                hang = self.keep_evidence(child, run_dir, signalled_at)
                code = child.returncode if child.returncode is not None else -signal.SIGKILL
        err = (run_dir / "stderr").read_text(errors="replace")
        faults = [hang] if hang else []
        faults += judge(tally, code, signum, signalled, err, bare_python=self.command[1:2] == ["-m"])
        needles = [str(tmpdir).encode(), str(self.base / "nix" / "store").encode()]
        left = wait_for_stragglers(child.pid, needles) + leftover_files(self.root, tmpdir)
        if left:
            tally["leftovers"] += 1
            faults.append(f"left {left}")
        after = tracked_files(self.root)
        if after not in (before, self.updated if command == "pins update" else before):
            tally["changed"] += 1
            faults.append(f"changed {sorted(k for k in after if after.get(k) != before.get(k))}")
        if broken := broken_reports(self.root):
            tally["changed"] += 1
            faults.append(f"half-written {broken}")
        if code != 0 and not faults and not tally["python-start-up"]:
            tally["interrupted-ok"] += 1
        if faults:
            name = signal.Signals(signum).name
            print(f"  FAULT {command} after {delay:.3f}s {name}: {'; '.join(faults)} ({run_dir})", file=sys.stderr)
        elif not left:
            shutil.rmtree(run_dir)
        return dict(tally)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=55, help="interrupted runs per command (default 55)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the delays and signals (default 1)")
    parser.add_argument("--commands", nargs="+", choices=sorted(COMMANDS), default=list(COMMANDS))
    parser.add_argument("--keep", action="store_true", help="keep the fixture directory (its path is printed)")
    parser.add_argument(
        "--python-m",
        action="store_true",
        help="start each command as `python -m rootstock`, not as the rootstock command (docs/faults.md)",
    )
    parser.add_argument(
        "--py-spy",
        default=shutil.which("py-spy"),
        help="py-spy, to dump a hung run's Python stacks into its directory (default: the one on PATH)",
    )
    args = parser.parse_args()
    # Started as a background job of a non-interactive shell, this script inherits SIGINT ignored, and so would
    # every command it runs: their SIGINT runs would test nothing. A handler of its own is reset by exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not args.py_spy:
        print("no py-spy (pip install py-spy): a hang keeps only its process list", file=sys.stderr)
    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="interrupt-faults-"))
    totals: dict[str, Counter[str]] = {}
    try:
        installed = Path(sys.executable).parent / "rootstock"
        command = [sys.executable, "-m", "rootstock"] if args.python_m else [str(installed)]
        fixture = Fixture(base, command, args.py_spy)
        for command in args.commands:
            fixture.measure(command)  # a warm-up: the first run of each pays for what later runs find done
            took = fixture.measure(command)
            print(f"{command}: {took:.2f} s uninterrupted; {args.runs} runs", file=sys.stderr)
            totals[command] = Counter()
            for _ in range(args.runs):
                # Past the end too, so that some runs finish first and the race at exit is covered.
                delay = rng.uniform(0, took * 1.1)
                signum = signal.SIGTERM if rng.random() < SIGTERM_SHARE else signal.SIGINT
                totals[command].update(fixture.interrupt(command, delay, signum))
    finally:
        everything: Counter[str] = sum(totals.values(), Counter())
        faults = sum(everything[c] for c in FAULTS)
        # A faulty run's directory (stderr, py-spy.txt, processes.txt) is the evidence: keep it.
        if args.keep or faults:
            print(f"fixture kept in {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    print(f"| command | {' | '.join(COLUMNS)} |")
    print(f"| --- |{' ---: |' * len(COLUMNS)}")
    for command, tally in totals.items():
        print(f"| {command} | {' | '.join(str(tally[c]) for c in COLUMNS)} |")
    print(f"| total | {' | '.join(str(everything[c]) for c in COLUMNS)} |")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
