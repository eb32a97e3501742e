"""The rule for names that become part of a Nix store path: what Nix 2.8 accepts, and why a name is refused."""

from __future__ import annotations

import pytest

from rootstock.core.storename import RULE, problem


@pytest.mark.parametrize("name", ["hex0", "M2-0.hex2", "kaem.M1", "a+b_c?d=e", "1.9.1", "x" * 211])
def test_what_nix_accepts_is_accepted(name: str) -> None:
    assert problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("kaem minimal", f"'kaem minimal' holds ' ': {RULE}"),
        ("", f"'' is empty: {RULE}"),
        ('kaem"; x', f"'kaem\"; x' holds '\"': {RULE}"),
        ("1.9\n[pins.evil]", f"'1.9\\n[pins.evil]' holds '\\n': {RULE}"),
        (".hidden", f"'.hidden' starts with '.': {RULE}"),
        ("café", f"'café' holds 'é': {RULE}"),
        ("x" * 212, "'xxxxxxxxxxxxxxxxxxxx'… is 212 characters long: a Nix store path name has at most 211"),
    ],
)
def test_a_name_nix_refuses_is_refused_saying_why(name: str, why: str) -> None:
    assert problem(name) == why
