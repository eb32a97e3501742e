"""SPDX licence expressions: well formed, on the SPDX list, LicenseRef- allowed."""

from __future__ import annotations

import pytest

from rootstock.core.spdx_licence import problem


@pytest.mark.parametrize(
    "expression",
    ["MIT", "CC0-1.0 OR Apache-2.0 OR Apache-2.0 WITH LLVM-exception", "(MIT OR 0BSD) AND LicenseRef-debian-PD"],
)
def test_good_expressions(expression: str) -> None:
    assert problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("", "an empty licence expression"),
        ("MIT AND", "'MIT AND' is not a well-formed SPDX licence expression"),
        ("(MIT", "'(MIT' is not a well-formed SPDX licence expression"),
        ("MIT WITH Apache-2.0", "'MIT WITH Apache-2.0' is not a well-formed SPDX licence expression"),
        ("GPLv2 OR MIT", "'GPLv2 OR MIT' names identifiers not on the SPDX licence list: GPLv2"),
    ],
)
def test_bad_expressions_say_why(expression: str, why: str) -> None:
    assert problem(expression) == why
