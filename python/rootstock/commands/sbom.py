"""`rootstock sbom`: derive the SBOM of a built binary from its build evidence; check binaries are static."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.errors import InputError

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions
    from rootstock.sbom.hostdb import HostDatabase


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sbom derive`, `sbom check-static` and `sbom probe-toolchain`."""
    parser = subparsers.add_parser("sbom", help="derive SBOMs from build evidence; check static binaries")
    sub = parser.add_subparsers(dest="sbom_command", metavar="SUBCOMMAND", required=True)

    derive = sub.add_parser("derive", help="derive CSV, CycloneDX 1.6 and SPDX 2.3 SBOMs of one binary")
    derive.add_argument(
        "--manifest",
        "--deps",
        type=Path,
        required=True,
        help="deps.json: subject, pinned source-built dependencies, tools (docs/sbom.md)",
    )
    derive.add_argument("--binary", type=Path, required=True, help="the binary the SBOM describes")
    derive.add_argument(
        "--build-dir",
        type=Path,
        action="append",
        required=True,
        help="a build directory holding the compiler's -MD .d files (repeatable)",
    )
    derive.add_argument(
        "--link-dir",
        type=Path,
        default=None,
        help="directory the final link ran in (default: the first --build-dir, else the current directory, that "
        "holds the output the map names)",
    )
    derive.add_argument(
        "--trace",
        type=Path,
        action="append",
        default=[],
        help="output of the final link's -Wl,--trace,--trace (repeatable)",
    )
    derive.add_argument(
        "--map", type=Path, action="append", default=[], help="the final link's -Wl,-Map file (repeatable)"
    )
    derive.add_argument("--csv", type=Path, default=None, help="write the name,type,usage,url,checksum CSV here")
    derive.add_argument("--cyclonedx", type=Path, default=None, help="write CycloneDX 1.6 JSON here")
    derive.add_argument("--spdx", type=Path, default=None, help="write SPDX 2.3 JSON here")
    derive.add_argument(
        "--source-date-epoch",
        default=None,
        metavar="SECONDS",
        help="the SBOM's creation time (default: $SOURCE_DATE_EPOCH, else the manifest's source_date_epoch)",
    )
    derive.add_argument(
        "--creator",
        default=None,
        metavar="EMAIL|URL",
        help="who publishes the SBOM (default: the manifest's creator)",
    )
    derive.set_defaults(handler=run_derive)

    check_sbom = sub.add_parser(
        "check", help="list every field a profile requires that an SBOM lacks or has malformed; exit 1 if any"
    )
    check_sbom.add_argument("--profile", required=True, choices=["bsi-tr-03183-2"], help="the rulebook to check")
    check_sbom.add_argument("file", type=Path, metavar="FILE", help="a CycloneDX JSON or SPDX JSON document")
    check_sbom.set_defaults(handler=run_check)

    check = sub.add_parser("check-static", help="fail unless every binary is fully static (no interpreter, no libs)")
    check.add_argument("binaries", type=Path, nargs="+", metavar="BINARY")
    check.add_argument("--allow-static-pie", action="store_true", help="accept a static-pie dynamic section")
    check.set_defaults(handler=run_check_static)

    probe = sub.add_parser(
        "probe-toolchain", help="compile a one-line C program with CC... and check the result is static"
    )
    probe.add_argument("--workdir", type=Path, required=True, help="directory for the probe's files")
    probe.add_argument(
        "cc", nargs=argparse.REMAINDER, metavar="CC...", help="compiler argv with its flags, e.g. gcc -static"
    )
    probe.set_defaults(handler=run_probe)


def run_derive(options: GlobalOptions, args: argparse.Namespace, *, host: HostDatabase | None = None) -> int:
    """Derive and write the SBOMs (all or none); print one line per component and every finding.

    host names the packages that own the build's host files (default: this machine's dpkg and apt index).
    """
    from attrs import evolve

    from rootstock.sbom import documents
    from rootstock.sbom import manifest as mf
    from rootstock.sbom.derive import BuildEvidence, derive_from_build
    from rootstock.sbom.supplier import contact

    del options  # the SBOM reads its own manifest, not the pins file
    if host is None:
        from rootstock.host.dpkg import Dpkg

        host = Dpkg()
    build = BuildEvidence(
        binary=args.binary,
        build_dirs=tuple(args.build_dir),
        link_dir=args.link_dir,
        traces=tuple(args.trace),
        maps=tuple(args.map),
    )
    manifest = mf.load(args.manifest)
    created = documents.creation_time(
        given=args.source_date_epoch, environ=os.environ, recorded=manifest.source_date_epoch
    )
    try:
        creator = contact(args.creator, "given on the command line") if args.creator is not None else None
    except ValueError as exc:
        msg = f"--creator: {exc}"
        raise InputError(msg) from None
    sbom = derive_from_build(manifest, base=args.manifest.absolute().parent, build=build, host=host)
    if creator is not None:
        sbom = evolve(sbom, creator=creator)
    documents.write_all(
        documents.render(sbom, created, csv_to=args.csv, cyclonedx_to=args.cyclonedx, spdx_to=args.spdx)
    )
    for c in sbom.components:
        print(f"{c.kind.value:6} {c.usage.value:5} {c.name} {c.version}")
    for f in sbom.findings:
        print(f"finding: {f.component}: {f.message}")
    return 0


def run_check(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Print one line per missing or malformed field, then a summary; exit 1 when there is any."""
    from rootstock.sbom import bsi

    del options
    report = bsi.check(args.file)
    for problem in report.problems:
        print(problem)
    verdict = f"{len(report.problems)} missing or malformed" if report.problems else "every required field present"
    print(f"{args.file}: {report.format}, {report.components} components, {bsi.TR}: {verdict}")
    return 1 if report.problems else 0


def run_check_static(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Check each binary; the first that is not static fails the command with every reason."""
    from rootstock.static.checks import check_static

    del options
    for binary in args.binaries:
        report = check_static(binary, allow_static_pie=args.allow_static_pie)
        print(f"{binary}: static {report.elf_type} {report.machine}, no PT_INTERP, no DT_NEEDED")
    return 0


def run_probe(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Probe a toolchain for static output."""
    from rootstock.static.checks import probe_toolchain

    del options
    cc = [a for a in args.cc if a != "--"]
    if not cc:
        msg = "probe-toolchain needs the compiler argv, e.g. 'rootstock sbom probe-toolchain --workdir D gcc -static'"
        raise InputError(msg)
    report = probe_toolchain(cc, args.workdir)
    print(f"toolchain {' '.join(cc)}: produces static {report.machine} binaries")
    return 0
