"""`rootstock vulns SBOM --feed F…`: match an SBOM's components against local OSV and NVD feeds (docs/sbom.md)."""

from __future__ import annotations

import argparse
import datetime
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.errors import InputError

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions

log = logging.getLogger(__name__)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        msg = f"expected a date YYYY-MM-DD, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `vulns SBOM`."""
    p = sub.add_parser(
        "vulns",
        help="match an SBOM against local OSV/NVD feeds offline; exit 1 on an unsuppressed vulnerability",
    )
    p.add_argument("sbom", type=Path, metavar="SBOM", help="rootstock's CycloneDX 1.6 or SPDX 2.3 JSON")
    p.add_argument(
        "--feed",
        type=Path,
        action="append",
        required=True,
        metavar="FILE|DIR",
        help="OSV JSON (an advisory, a directory or zip of them) or NVD 2.0 CVE JSON (repeatable)",
    )
    p.add_argument("--suppress", type=Path, default=None, metavar="FILE", help="suppression list (TOML)")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the JSON report here")
    p.add_argument("--markdown", type=Path, default=None, metavar="OUT", help="write the Markdown report here")
    p.add_argument(
        "--today",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date suppressions expire against (default: today)",
    )
    p.set_defaults(handler=run)


def run(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Match, print one line per vulnerability, write the reports; 1 when one is open."""
    from rootstock.core.files import write_atomic
    from rootstock.pins.convert import load_pins
    from rootstock.pins.mirror import Mirror
    from rootstock.sbom import read
    from rootstock.vulns import feeds, report, suppress
    from rootstock.vulns.history import MirrorHistory
    from rootstock.vulns.match import History, NoHistory, match, targets

    document = read.load(args.sbom)
    if document.format == "CSV":
        msg = (
            f"{args.sbom}: the CSV lists no versions or package URLs to match advisories by; "
            "expected rootstock's CycloneDX 1.6 or SPDX 2.3 JSON of the same build"
        )
        raise InputError(msg)
    loaded = [feeds.load(path) for path in args.feed]
    suppressions = suppress.load(args.suppress) if args.suppress else suppress.Suppressions()
    pins = load_pins(options.pins_file) if options.pins_file is not None and options.pins_file.is_file() else None
    history: History = MirrorHistory(Mirror(options.mirror)) if options.mirror is not None else NoHistory()
    today = args.today or datetime.date.today()

    tied = targets(document.components, pins)
    advisories = [a for f in loaded for a in f.advisories]
    found, undecided = match(tied, advisories, history)
    statuses, unused, expired = suppress.apply(found, suppressions, today)
    result = report.Report(
        sbom=document,
        pins=str(options.pins_file) if pins is not None else "",
        history=f"mirror {options.mirror}" if options.mirror is not None else "",
        today=today,
        feeds=tuple(loaded),
        targets=tuple(tied),
        statuses=tuple(statuses),
        undecided=tuple(undecided),
        unused=tuple(unused),
        expired=tuple(expired),
        suppressions=str(args.suppress or ""),
    )
    for path, render in [(args.json, report.to_json), (args.markdown, report.to_markdown)]:
        if path is not None:
            write_atomic(path, render(result))
    for s in expired:
        log.warning(
            "%s: suppression of %s on %s expired on %s; the vulnerability is reported again (renew `expires` "
            "after a new review, or remove the entry)",
            args.suppress,
            s.id,
            s.component,
            s.expires,
        )
    for s in unused:
        if s.expires >= today:
            log.warning("%s: suppression of %s on %s matches no vulnerability", args.suppress, s.id, s.component)
    for s in statuses:
        v = s.vulnerability
        feeds_text = ", ".join(sorted({h.advisory.feed for h in v.hits}))
        print(f"{s.state}\t{v.id}\t{v.component} {v.version}\t{feeds_text}" + (f"\t{s.note}" if s.note else ""))
    for u in undecided:
        print(f"undecided\t{u.advisory}\t{u.component}\t{u.reason}")
    opened = len(result.open)
    print(
        f"vulns: {opened} open, {len(statuses) - opened} suppressed or fixed, {len(undecided)} undecided; "
        f"{len(document.components)} components, {len(advisories)} advisories"
    )
    return 1 if opened else 0
