"""CLI command groups: each module registers its subcommands and handlers; argument types they share."""

from __future__ import annotations

import argparse
from pathlib import Path


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


def log_directory(given: Path | None, default: Path) -> Path:
    """The directory a command writes its logs and report into (--log-dir, else default), refused before any work
    when something other than a directory stands there: a build would find out only when it writes its report.

    Raises:
        InputError: a file, FIFO or device is at that path.
    """
    from rootstock.core.files import require_directory

    path = given or default
    require_directory(path, "--log-dir" if given is not None else "log directory")
    return path
