"""The seed's CSV: exactly the columns name,type,usage,url,checksum, one row per input."""

from __future__ import annotations

import csv
import io

from rootstock.sbom.model import Sbom

COLUMNS = ("name", "type", "usage", "url", "checksum")


def render(sbom: Sbom) -> str:
    """The CSV text, rows in the SBOM's (sorted) order, LF line endings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in sbom.components:
        writer.writerow((c.name, c.kind.value, c.usage.value, c.url, c.checksum))
    return out.getvalue()
