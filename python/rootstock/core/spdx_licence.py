"""SPDX licence expressions (SPDX 2.3 annex D): checked against the SPDX licence list that `license-expression`
ships, with `LicenseRef-…` identifiers allowed, as both CycloneDX and SPDX documents carry them."""

from __future__ import annotations

import re
from typing import NewType

from license_expression import ExpressionError, get_spdx_licensing

# An SPDX licence expression that `problem` found well formed; the one converter checks it where it is read.
SpdxExpression = NewType("SpdxExpression", str)
_LICENSE_REF = re.compile(r"^(?:DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$")
_LICENSING = get_spdx_licensing()


def problem(expression: str) -> str | None:
    """What is wrong with an SPDX licence expression, or None when it is well formed and every identifier is on
    the SPDX list (or a LicenseRef-).

    Examples:
        >>> problem("Apache-2.0 WITH LLVM-exception OR MIT") is None
        True
        >>> problem("MIT AND")
        "'MIT AND' is not a well-formed SPDX licence expression"
        >>> problem("Expat")
        "'Expat' names identifiers not on the SPDX licence list: Expat"
    """
    if not expression.strip():
        return "an empty licence expression"
    try:
        info = _LICENSING.validate(expression, strict=True)
    except (ExpressionError, AttributeError):
        # license-expression's validate itself fails on some malformed expressions instead of reporting them.
        return f"{expression!r} is not a well-formed SPDX licence expression"
    unknown = [s for s in info.invalid_symbols if not _LICENSE_REF.match(s)]
    if any(not s.strip() for s in unknown) or any(not e.startswith("Unknown license key") for e in info.errors):
        return f"{expression!r} is not a well-formed SPDX licence expression"
    if unknown:
        return f"{expression!r} names identifiers not on the SPDX licence list: {', '.join(unknown)}"
    return None
