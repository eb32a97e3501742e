"""`rootstock log verify|compare`: the signed custody log of stage builds (docs/custody.md). Entries are appended
by `rootstock build stage0|stage1 --sign-key SECRET`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the log command group."""
    group = sub.add_parser("log", help="the signed custody log of stage builds: verify it, compare two builders'")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser(
        "verify",
        help="check every signature, the chain of entries, and every entry against stages.toml and pins.toml",
        description="Exit 0: every entry verifies; 1: an entry fails (named by line, step and system); "
        "2: --head is not a head; 3: the log or a key file is missing, empty or malformed.",
    )
    p.add_argument("--log", type=Path, default=None, help="the log (default: build-logs/custody/log.jsonl)")
    p.add_argument(
        "--key",
        type=Path,
        action="append",
        required=True,
        metavar="PUBLIC",
        help="a trusted public key file in Nix's format (name:base64); repeat for several builders",
    )
    p.add_argument(
        "--head",
        type=_head,
        metavar="SHA256",
        help="a head printed by an earlier verify: the log must still hold it",
    )
    p.set_defaults(handler=verify)

    p = actions.add_parser(
        "compare",
        help="two builders' logs entry by entry: the same fingerprint for every step both built",
        description="Exit 0: every step both logs record has the same output; 1: a step differs; 3: a log is "
        "missing or malformed.",
    )
    p.add_argument("first", type=Path, metavar="LOG1")
    p.add_argument("second", type=Path, metavar="LOG2")
    p.add_argument(
        "--key", type=Path, action="append", default=[], metavar="PUBLIC", help="also verify both logs' signatures"
    )
    p.set_defaults(handler=compare)


def _head(text: str) -> str:
    from rootstock.custody.entry import head

    try:
        return head(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def verify(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Verify the log and print what it holds and its head."""
    from rootstock.custody.log import DEFAULT_LOG, load_keys
    from rootstock.custody.log import verify as verify_log
    from rootstock.plan import Plan

    keys = load_keys(args.key)
    plan = Plan.from_options(options)
    path = args.log or plan.project.root / "build-logs" / DEFAULT_LOG
    done = verify_log(path, plan, keys, head=args.head)
    print(
        f"{path}: {done.entries} entries verify (signed by {', '.join(done.keys) or 'no key'}; chain whole; "
        f"every entry matches stages.toml and pins.toml)"
    )
    print(f"head\t{done.head}")
    return 0


def compare(_options: GlobalOptions, args: argparse.Namespace) -> int:
    """Print every step's verdict; fail on the first that differs."""
    from rootstock.custody.log import check_integrity, describe, load_keys, read_lines
    from rootstock.custody.log import compare as compare_logs
    from rootstock.errors import CustodyError

    keys = load_keys(args.key) if args.key else None
    first, second = read_lines(args.first), read_lines(args.second)
    if keys is not None:
        check_integrity(args.first, first, keys)
        check_integrity(args.second, second, keys)
    found = compare_logs(first, second)
    for system, step, nar_hash in found.same:
        print(f"same\t{system}\t{step}\t{nar_hash}")
    for d in found.differ:
        print(f"DIFFERS\t{d.system}\t{d.step}\t{d.first[-1].nar_hash}\t{d.second[-1].nar_hash}")
    for where, only in ((args.first, found.only_first), (args.second, found.only_second)):
        for system, step in only:
            print(f"only in {where}\t{system}\t{step}")
    if found.differ:
        more = f" ({len(found.differ)} steps differ)" if len(found.differ) > 1 else ""
        raise CustodyError(describe(found.differ[0], args.first, args.second) + more)
    if not found.same:
        msg = f"{args.first} and {args.second} record no step in common: nothing to compare"
        raise CustodyError(msg)
    print(f"{len(found.same)} steps: both logs record the same output for each")
    return 0
