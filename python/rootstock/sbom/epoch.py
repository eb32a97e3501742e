"""SOURCE_DATE_EPOCH, the one time an SBOM is stamped with: whole seconds from 1970 to the end of year 9999.

One check for every place the value is given (the command line, the environment, deps.json, static-nix.toml):
a date before 1970 is not a build's time, and one past 9999 cannot be written as an ISO 8601 timestamp.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from rootstock.errors import InputError

LATEST = 253402300799  # 9999-12-31T23:59:59Z
EXPECTED = f"whole seconds since the epoch, an integer from 0 to {LATEST} (the end of year 9999)"
_DIGITS = re.compile(r"^[+-]?[0-9]+$")


def checked(value: int, where: str) -> int:
    """value, if it is a SOURCE_DATE_EPOCH.

    Raises:
        InputError: it is negative or past year 9999; the message starts with where the value came from.
    """
    if not 0 <= value <= LATEST:
        msg = f"{where}: expected {EXPECTED}, got {value}"
        raise InputError(msg)
    return value


def parsed(text: str, where: str) -> int:
    """The SOURCE_DATE_EPOCH written as text (an option's or the environment's value); as checked."""
    if not _DIGITS.match(text.strip()):
        msg = f"{where}: expected {EXPECTED}, got '{text[:40]}'"
        raise InputError(msg)
    return checked(int(text), where)


def timestamp(value: int) -> datetime:
    """The UTC time of a checked SOURCE_DATE_EPOCH."""
    return datetime.fromtimestamp(value, UTC)


def validate(_instance: Any, attribute: Any, value: int | None) -> None:
    """An attrs validator for a record's optional SOURCE_DATE_EPOCH field, named in the message by its key."""
    if value is not None:
        checked(value, attribute.name)
