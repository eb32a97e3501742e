"""CLI command groups: each module registers its subcommands and handlers; argument types they share."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An argparse type for counts such as --jobs: Nix reads 0 jobs as "build nothing here" and refuses
    negatives only after evaluation, so both are usage errors at the border."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a whole number of at least 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value
