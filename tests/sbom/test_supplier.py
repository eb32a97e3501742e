"""Who made a component: the rule a pin's URL gives, a hand-kept contact, and what is no contact."""

from __future__ import annotations

import pytest

from rootstock.sbom.model import Party
from rootstock.sbom.supplier import contact, of_pin


def test_the_rule_names_the_github_owner_or_the_download_host() -> None:
    assert of_pin("https://github.com/NixOS/nix", None) == Party(
        "NixOS", url="https://github.com/NixOS", rule="the owner of the pin's GitHub repository"
    )
    assert of_pin("https://sourceware.org/pub/bzip2/bzip2-1.0.8.tar.gz", None) == Party(
        "sourceware.org", url="https://sourceware.org", rule="the host the pin is downloaded from"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://deb.debian.org/debian/pool/main/b/boost1.81/boost1.81_1.81.0.orig.tar.xz",
        "https://files.pythonhosted.org/packages/py3/z/ziglang/ziglang-0.17.1-py3-none-any.whl",
        "https://github.com/mirror/busybox",
    ],
)
def test_a_redistributor_names_nobody_unless_pins_toml_does(url: str) -> None:
    assert of_pin(url, None) is None
    assert of_pin(url, "https://www.boost.org") == Party(
        "www.boost.org", url="https://www.boost.org", rule="hand-kept in pins.toml"
    )


def test_a_contact_is_an_email_or_a_url() -> None:
    assert contact("mailto:sbom@example.org", "given").email == "sbom@example.org"
    assert contact("team@example.org", "given").email == "team@example.org"
    for bad in ("Example Corp", "ftp://example.org", "a@b"):
        with pytest.raises(ValueError, match=r"expected an email address .* or an http\(s\) URL"):
            contact(bad, "given")
