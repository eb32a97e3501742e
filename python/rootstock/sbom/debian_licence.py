"""A Debian package's licence as an SPDX expression, from its machine-readable copyright file
(`/usr/share/doc/<package>/copyright`, DEP-5 format 1.0): every `License:` of its `Files:` paragraphs, Debian's
short names turned into SPDX identifiers, joined by AND (each applies to the files its paragraph names). A
short name with no SPDX identifier becomes `LicenseRef-debian-<name>`; a copyright file in prose states no
expression."""

from __future__ import annotations

import re
from pathlib import Path

from rootstock.core.spdx_licence import problem
from rootstock.sbom.model import Licence

REF_PREFIX = "LicenseRef-debian-"
_FORMAT = re.compile(r"^Format:\s*https?://www\.debian\.org/doc/packaging-manuals/copyright-format/1\.0/?\s*$", re.I)
_FSF = re.compile(r"^(A?GPL|LGPL|GFDL(?:-NIV)?)-(\d+(?:\.\d+)?)(\+?)$", re.IGNORECASE)
_OPERATOR = re.compile(r",?\s+(or|and)\s+", re.IGNORECASE)
# Debian short names (copyright-format 1.0, "License specification") that SPDX spells otherwise.
_ALIASES = {"expat": "MIT", "bsd-2": "BSD-2-Clause", "bsd-3": "BSD-3-Clause", "bsd-4": "BSD-4-Clause"}
_ALIASES |= {"bsd-0-clause": "0BSD", "artistic": "Artistic-1.0", "artistic-2": "Artistic-2.0"}
_KNOWN = ("0BSD", "Apache-2.0", "Artistic-1.0", "Artistic-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSD-4-Clause")
_KNOWN += ("BSL-1.0", "CC0-1.0", "ISC", "MIT", "MPL-2.0", "X11", "Zlib", "FSFAP", "FSFUL", "FSFULLR", "curl")


def spdx_of(name: str) -> str:
    """The SPDX identifier of one Debian short licence name.

    Examples:
        >>> spdx_of("GPL-2+"), spdx_of("LGPL-2.1"), spdx_of("GFDL-NIV-1.3+"), spdx_of("BSD-3-clause")
        ('GPL-2.0-or-later', 'LGPL-2.1-only', 'GFDL-1.3-no-invariants-or-later', 'BSD-3-Clause')
        >>> spdx_of("GPL-3+ with Autoconf exception")
        'LicenseRef-debian-GPL-3-plus-with-Autoconf-exception'
    """
    if fsf := _FSF.match(name):
        family, version, later = fsf.group(1).upper(), fsf.group(2), fsf.group(3)
        if family != "GFDL-NIV" and "." not in version and not family.startswith("GFDL"):
            version += ".0"
        base = f"GFDL-{version}-no-invariants" if family == "GFDL-NIV" else f"{family}-{version}"
        return base + ("-or-later" if later else "-only")
    lower = name.lower()
    if lower in _ALIASES:
        return _ALIASES[lower]
    known = next((k for k in _KNOWN if k.lower() == lower), None)
    if known is not None:
        return known
    return REF_PREFIX + re.sub(r"[^A-Za-z0-9.-]+", "-", name.replace("+", "-plus")).strip("-")


def _expression(value: str) -> str:
    words = _OPERATOR.split(value.strip())
    names, operators = words[0::2], [w.upper() for w in words[1::2]]
    out = spdx_of(names[0].strip())
    for operator, name in zip(operators, names[1:], strict=True):
        out += f" {operator} {spdx_of(name.strip())}"
    return out


def from_copyright(path: Path) -> Licence:
    """The licence a Debian copyright file states; the expression is "" (and the rule says why) when the file is
    missing, in prose, or names nothing."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Licence("", f"{path} cannot be read")
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    if not paragraphs or not _FORMAT.match(paragraphs[0].splitlines()[0]):
        return Licence("", f"{path} is not in Debian's machine-readable copyright format")
    values = set()
    for paragraph in paragraphs[1:]:
        fields = dict(re.findall(r"^(Files|License):[ \t]*(.*)$", paragraph, re.MULTILINE))
        if "Files" in fields and fields.get("License", "").strip():
            values.add(_expression(fields["License"]))
    if not values:
        return Licence("", f"{path} has no License: of a Files: paragraph")
    expression = " AND ".join(f"({v})" if " OR " in v else v for v in sorted(values))
    if (why := problem(expression)) is not None:
        return Licence("", f"{path}: {why}")
    return Licence(expression, f"the License: fields of {path} (Debian's short names as SPDX identifiers)")
