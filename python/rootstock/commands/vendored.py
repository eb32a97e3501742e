"""`rootstock vendored FILE… [--sbom SBOM]`: copies of known libraries inside binaries, reconciled with an SBOM."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `vendored FILE…`."""
    p = sub.add_parser(
        "vendored",
        help="find copies of known libraries in binaries by signature; with --sbom, exit 1 when they disagree",
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="binaries or other build outputs")
    p.add_argument("--sbom", type=Path, default=None, help="rootstock's CSV, CycloneDX 1.6 or SPDX 2.3 SBOM")
    p.add_argument(
        "--signatures",
        type=Path,
        default=None,
        metavar="FILE",
        help="signatures TOML to use instead of the built-in rootstock/vendored/signatures.toml",
    )
    p.set_defaults(handler=run)


def run(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Print each copy found; with --sbom, each finding and each link row no signature checks; 1 on findings."""
    from rootstock.sbom import read
    from rootstock.vendored import signatures
    from rootstock.vendored.reconcile import reconcile
    from rootstock.vendored.scan import scan

    del options
    sigs = signatures.load(args.signatures).signature
    document = read.load(args.sbom) if args.sbom is not None else None
    copies = [c for path in args.files for c in scan(path, sigs)]
    for c in copies:
        print(f"copy\t{c.library} {c.version}\t{c.file}\t{c.offset:#x}")
    if document is None:
        print(f"vendored: {len(copies)} copies in {len(args.files)} files (no --sbom: nothing reconciled)")
        return 0
    findings, unchecked = reconcile(copies, document, sigs)
    for f in findings:
        print(f"finding\t{f.kind}\t{f.library}\t{f.message}")
    if unchecked:
        print(f"unchecked\t{', '.join(unchecked)}\t(link rows no signature stands for)")
    print(f"vendored: {len(copies)} copies, {len(findings)} findings against {args.sbom} ({document.format})")
    return 1 if findings else 0
