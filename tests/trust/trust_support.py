"""Fixture evidence for the trust report, written by the test as the commands write it: the fixture chain's
checkout (seed -> hex0 -> catm -> joined, tests/stages/chain_support.py) with build reports, a second Nix's
report, a signed custody log and an audit report in its build-logs/, none of it built."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chain_support import Chain

from rootstock.core.hashes import Hash
from rootstock.custody.entry import GENESIS, VERSION, Entry, fingerprint, line_hash
from rootstock.custody.keys import SecretKey
from rootstock.custody.log import inputs
from rootstock.host import proc
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.runner.report import BuildReport, Failure, StepRecord
from rootstock.stages.oracle import Verdict

SYSTEM = "x86_64-linux"


def store_path(name: str, suffix: str = "") -> str:
    return f"/nix/store/{name[:1] * 32}-{name}{suffix}"


class Evidence:
    """The fixture chain's checkout and what a run of each command would have left in its build-logs/."""

    def __init__(self, chain: Chain, tmp: Path) -> None:
        self.chain = chain
        self.root = chain.root
        self.logs = chain.root / "build-logs"
        self.tmp = tmp
        self.plan = Plan.from_options(GlobalOptions(chain.root, chain.root / "pins.toml", None, False))
        self.steps = self.plan.system(SYSTEM).steps

    def records(self, names: list[str] | None = None) -> tuple[StepRecord, ...]:
        return tuple(
            StepRecord(
                s.name,
                store_path(s.name, ".drv"),
                store_path(s.name),
                s.output.sri if s.output is not None else "",
                "Nix (fixed-output) and rootstock",
                str(self.logs / SYSTEM / f"{n:03d}-{s.name}.log"),
            )
            for n, s in enumerate(self.steps, 1)
            if names is None or s.name in names
        )

    def verdicts(self) -> tuple[Verdict, ...]:
        catm = Hash.parse(self.chain.outputs["catm"]).hex
        return (
            Verdict("fixture answers", "catm", catm, catm, "match"),
            Verdict("fixture answers", "joined", "0" * 64, "1" * 64, "explained", "on purpose"),
        )

    def build_report(self, *, failed_at: str | None = None) -> Path:
        """build stage0's report: every step, or those before failed_at and the failure."""
        if failed_at is None:
            report = BuildReport("rootstock build report", SYSTEM, self.records(), self.verdicts())
        else:
            before = [s.name for s in self.steps[: [s.name for s in self.steps].index(failed_at)]]
            failure = Failure(f"step '{failed_at}'", f"hash mismatch for step '{failed_at}'\n  expected: …", "")
            report = BuildReport("rootstock build report", SYSTEM, self.records(before), (), "failed", failure)
        return report.write(self.logs / SYSTEM)

    def verify_with(self, **changes: Any) -> Path:
        """verify-with's report: the runner's format with the second Nix and the log comparison."""
        report = BuildReport("rootstock verify-with report", SYSTEM, self.records())
        data = json.loads(report.to_json())
        data |= {"second_nix": {"path": "/opt/nix-static/bin/nix", "version": "nix (Nix) 2.28.7"}}
        data |= {"log_compare": {"equal": True, "entries": len(self.steps)}}
        data |= changes
        path = self.logs / "verify-with" / "stage0" / SYSTEM / "report.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path

    def key(self, name: str = "builder-1") -> tuple[SecretKey, Path]:
        secret, public = self.tmp / f"{name}.sec", self.tmp / f"{name}.pub"
        proc.run(["nix-store", "--generate-binary-cache-key", name, secret, public])
        return SecretKey.load(secret), public

    def custody(self, key: SecretKey, modes: tuple[str, ...] = ("build", "check")) -> Path:
        """A custody log of every step in each mode, signed as `build --sign-key` signs it."""
        lines, prev = [], GENESIS
        for mode in modes:
            for step in self.steps:
                assert step.output is not None
                nar = f"sha256:{step.output.nix32}"
                out = store_path(step.name)
                print_ = fingerprint(out, nar, 100, ())
                entry = Entry(
                    v=VERSION,
                    seq=len(lines) + 1,
                    prev=prev,
                    system=SYSTEM,
                    step=step.name,
                    mode=mode,  # type: ignore[arg-type]
                    drv=store_path(step.name, ".drv"),
                    out=out,
                    nar_hash=nar,
                    nar_size=100,
                    references=(),
                    fingerprint=print_,
                    narinfo_sig=str(key.sign(print_)),
                    **inputs(step, self.plan),
                )
                entry = entry.signed(str(key.sign(entry.unsigned())))
                lines.append(entry.line())
                prev = line_hash(entry.line())
        path = self.logs / "custody" / "log.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in lines))
        return path

    def audit(self, *, failures: int = 0) -> Path:
        """audit --system's JSON: its totals and numbered checks (what the trust report reads of it)."""
        programs = {1: "catm", 2: "hex0-seed", 3: "catm", 4: "define"}
        checks = [
            {
                "number": n,
                "id": f"{programs[n]}/check-{n}",
                "what": "w",
                "expected": "e",
                "observed": "o",
                "result": "fail" if n <= failures else "pass",
            }
            for n in range(1, 5)
        ]
        data = {
            "arch": "AMD64",
            "totals": {"checks": 4, "failures": failures, "findings": {"error": 0, "warning": 1, "info": 2}},
            "checks": checks,
            "programs": [],
        }
        path = self.logs / "audit" / SYSTEM / "audit.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path

    def report(self, *args: str) -> int:
        return self.chain.cli("report", *args)


RECIPE = """system = "x86_64-linux"
host_tools = ["sh"]
default_toolchain = "host"
subject = "app"
binary = "bin/app"
[toolchain.host]
kind = "host"
cc = ["/usr/bin/gcc"]
cxx = ["/usr/bin/g++"]
[[package]]
name = "lib"
source = "seed"
build = "configure"
[[package]]
name = "app"
source = "src"
build = "configure"
deps = ["lib"]
"""
SBOM = "name,type,usage,url,checksum\nlib,source,link,https://example.org/lib.tar,sha256:{a}\nmake,deb,build,,{b}\n"


def static_build(found: Evidence, *, checked: bool) -> Path:
    """A recipe of two packages, the report `build nix-static` writes of it, and its SBOM beside it."""
    (found.root / "static-nix.toml").write_text(RECIPE)
    found.plan = Plan.from_options(GlobalOptions(found.root, found.root / "pins.toml", None, False))
    steps = tuple(
        StepRecord(name, store_path(name, ".drv"), store_path(name), "pinned sources", "pinned source", "")
        for name in ("host", "lib", "app")
    )
    result = {"binary": store_path("app") + "/bin/app", "checked": checked, "sha256": "ab" * 32, "size": 1}
    logs = found.logs / "nix-static" / "host"
    BuildReport("Static Nix", "host", steps, notes=("Binary: app.",), result=result).write(logs)
    (logs / "sbom.csv").write_text(SBOM.format(a="a" * 64, b="b" * 64))
    return logs
