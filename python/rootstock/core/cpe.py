"""CPE 2.3 formatted strings (NIST IR 7695): parsed, checked, and compared the way NVD's match criteria are."""

from __future__ import annotations

import re

from attrs import frozen

FIELDS = ("part", "vendor", "product", "version", "update", "edition", "language", "sw_edition", "target_sw")
FIELDS += ("target_hw", "other")
# One attribute value: escaped characters (`\:`, `\.`), letters, digits, '_', '-', '.', and the wildcards.
_VALUE_RE = re.compile(r"^(?:\\.|[A-Za-z0-9_.\-~*?])+$")
_SPLIT_RE = re.compile(r"(?<!\\):")
ANY = "*"
NA = "-"
RULE = "expected a CPE 2.3 name cpe:2.3:<a|o|h>:<vendor>:<product>[:<version>:…] (up to 13 ':'-separated fields)"


@frozen
class Cpe:
    """A CPE 2.3 name: its eleven attributes, absent trailing ones as `*` (ANY)."""

    part: str
    vendor: str
    product: str
    version: str = ANY
    update: str = ANY
    edition: str = ANY
    language: str = ANY
    sw_edition: str = ANY
    target_sw: str = ANY
    target_hw: str = ANY
    other: str = ANY

    @classmethod
    def parse(cls, text: str) -> Cpe:
        """The CPE a formatted string names; the trailing attributes may be left out (then ANY).

        Raises:
            ValueError: the text is not a CPE 2.3 formatted string (the message says what is wrong).

        Examples:
            >>> Cpe.parse("cpe:2.3:a:zlib:zlib").product
            'zlib'
            >>> Cpe.parse("cpe:2.3:a:haxx:curl:8.12.1:*:*:*:*:*:*:*").version
            '8.12.1'
        """
        words = _SPLIT_RE.split(text)
        if words[:2] != ["cpe", "2.3"]:
            msg = f"{RULE}, got {text!r} (it must start with 'cpe:2.3:')"
            raise ValueError(msg)
        values = words[2:]
        if not 3 <= len(values) <= len(FIELDS):
            msg = f"{RULE}, got {text!r} ({len(values)} attributes after 'cpe:2.3:')"
            raise ValueError(msg)
        if values[0] not in ("a", "o", "h"):
            msg = f"{RULE}, got {text!r} (part {values[0]!r} is not a, o or h)"
            raise ValueError(msg)
        for name, value in zip(FIELDS[1:], values[1:], strict=False):
            if not (value == NA or _VALUE_RE.match(value)):
                msg = f"{RULE}, got {text!r} ({name} {value!r} has characters a CPE does not allow unescaped)"
                raise ValueError(msg)
        for name in ("vendor", "product"):
            value = values[FIELDS.index(name)]
            if value in (ANY, NA) or "*" in value or "?" in value:
                msg = f"{RULE}, got {text!r} ({name} must be a name, not a wildcard)"
                raise ValueError(msg)
        return cls(*values)

    def __str__(self) -> str:
        return ":".join(["cpe", "2.3", *(getattr(self, f) for f in FIELDS)])

    def names_product_of(self, other: Cpe) -> bool:
        """Whether other names the same product: part, vendor and product equal (case-insensitively, as NVD
        compares), and every other attribute set in both is equal. The version is not looked at."""
        if (self.part, self.vendor.lower(), self.product.lower()) != (
            other.part,
            other.vendor.lower(),
            other.product.lower(),
        ):
            return False
        for name in FIELDS[4:]:
            mine, theirs = getattr(self, name), getattr(other, name)
            if ANY not in (mine, theirs) and mine.lower() != theirs.lower():
                return False
        return True
