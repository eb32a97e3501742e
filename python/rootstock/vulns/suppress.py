"""Suppressions: a reviewed vulnerability of one component, silenced until a date (a TOML file, read through
the one converter), and the status each vulnerability ends up with."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

from attrs import field, frozen

from rootstock.pins.model import AdvisoryId
from rootstock.schema import read_toml, structure
from rootstock.vulns.match import Vulnerability


def _reason(_instance: object, _attribute: object, value: str) -> None:
    if not value.strip():
        msg = "expected a reason: why the vulnerability does not apply, or what is being done"
        raise ValueError(msg)


@frozen
class Suppression:
    """`[[suppress]]`: one advisory id (or alias) on one component, with why, until a date."""

    id: AdvisoryId
    component: str  # the SBOM's component name (`zlib`) or ref (`source:zlib`)
    reason: str = field(validator=_reason)
    expires: datetime.date

    def covers(self, v: Vulnerability) -> bool:
        """Whether this suppression names v (by any of its ids, and by component name or ref)."""
        return self.id in v.ids and self.component in (v.name, v.component)


@frozen
class Suppressions:
    """A suppression file."""

    suppress: tuple[Suppression, ...] = ()


def load(path: Path) -> Suppressions:
    """Read a suppression file.

    Raises:
        InputError: the file is missing, not TOML, or an entry is malformed (each bad field with its path).
    """
    return structure(read_toml(path, "suppression file"), Suppressions, source=str(path), what="suppressions", path="")


@frozen
class Status:
    """What became of one vulnerability: open (fails the command), suppressed, or fixed by a patch."""

    vulnerability: Vulnerability
    state: str  # "open", "suppressed", "fixed-by-patch"
    note: str = ""

    @property
    def open(self) -> bool:
        """Whether it counts: exit 1."""
        return self.state == "open"


def apply(
    found: Sequence[Vulnerability], suppressions: Suppressions, today: datetime.date
) -> tuple[list[Status], list[Suppression], list[Suppression]]:
    """Each vulnerability's status, the suppressions that matched nothing, and those past their date.

    A patch that fixes the advisory (`fixes` of a patch pin) wins; then a suppression in force; a suppression
    whose `expires` is before today suppresses nothing and says so on the vulnerability it named.
    """
    statuses = []
    used: set[int] = set()
    for v in found:
        if v.fixed_by:
            statuses.append(Status(v, "fixed-by-patch", f"fixed by patch pin {', '.join(v.fixed_by)}"))
            continue
        covering = [(i, s) for i, s in enumerate(suppressions.suppress) if s.covers(v)]
        used |= {i for i, _ in covering}
        live = [s for _, s in covering if s.expires >= today]
        if live:
            s = live[0]
            statuses.append(Status(v, "suppressed", f"suppressed until {s.expires}: {s.reason}"))
        elif covering:
            s = covering[0][1]
            statuses.append(Status(v, "open", f"suppression expired on {s.expires} ({s.reason})"))
        else:
            statuses.append(Status(v, "open"))
    unused = [s for i, s in enumerate(suppressions.suppress) if i not in used]
    expired = [s for s in suppressions.suppress if s.expires < today]
    return statuses, unused, expired
