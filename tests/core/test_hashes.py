"""Hash parsing and the three spellings Nix uses."""

from __future__ import annotations

import pytest

from rootstock.core.hashes import Hash
from rootstock.errors import InputError

# The AMD64 hex0 seed's NAR hash as nixpkgs pins it, in all three forms (nix-hash --to-base32 agrees).
SRI = "sha256-DCzZduYrix9yOeJoem/Jhz/WDzAss7UWwjZbkXJq6Ms="


def test_forms_round_trip() -> None:
    digest = Hash.parse(SRI)
    assert Hash.parse(digest.hex) == digest
    assert Hash.parse(digest.nix32) == digest
    assert digest.sri == SRI
    assert len(digest.nix32) == 52


@pytest.mark.parametrize(
    "text",
    ["sha256-abc", "sha256-" + "A" * 43, "md5-AAAA", "zz" * 32, "e" * 52, "", SRI.replace("sha256", "sha512")],
)
def test_malformed_hashes_are_rejected(text: str) -> None:
    with pytest.raises(InputError, match="expected"):
        Hash.parse(text)


def test_pins_demand_sri() -> None:
    with pytest.raises(InputError, match="expected an SRI sha256"):
        Hash.sri_only(Hash.parse(SRI).hex)
