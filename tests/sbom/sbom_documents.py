"""An SBOM for the writer and checker tests: four components of both kinds and usages, once bare (the seed's
fields) and once with every field BSI TR-03183-2 asks for (FULL)."""

from __future__ import annotations

from datetime import UTC, datetime

from attrs import evolve

from rootstock.sbom.model import Component, Deployable, Finding, Kind, Licence, Party, Sbom, Subject, Usage

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def component(name: str, kind: Kind, usage: Usage, contents: Usage) -> Component:
    return Component(
        name=name,
        kind=kind,
        version="1.0",
        usage=usage,
        url=f"https://example.org/{name}-1.0.tar.gz",
        sha256=name[0] * 64 if name[0] in "abcdef" else "0" * 64,
        purl=f"pkg:generic/{name}@1.0",
        usage_from_contents=contents,
        evidence=[f"linked member: lib{name}.a(x.o)"],
    )


def conformant(c: Component, licence: str = "MIT", *, complete: bool = True) -> Component:
    """c with every field TR-03183-2 asks of a component."""
    return evolve(
        c,
        supplier=Party("example", url="https://example.org", rule="the host the pin is downloaded from"),
        licence=Licence(licence, "licence files: LICENSE is " + licence),
        deployable=Deployable(f"{c.name}-1.0.tar.gz", "e" * 128, "the file's bytes", False, True, True),
        cpe=f"cpe:2.3:a:example:{c.name}:1.0:*:*:*:*:*:*:*" if c.kind == Kind.SOURCE else "",
        dependencies_complete=complete,
    )


SBOM = Sbom(
    Subject("nix", "2.28.4", "f" * 64),
    [
        component("nlohmann_json", Kind.SOURCE, Usage.LINK, Usage.BUILD),
        component("bison", Kind.DEB, Usage.BUILD, Usage.BUILD),
        component("flex", Kind.DEB, Usage.BOTH, Usage.BOTH),
        component("boost", Kind.SOURCE, Usage.LINK, Usage.LINK),
    ],
    [Finding("source:nlohmann_json", "header-only")],
)
# The same SBOM with every TR-03183-2 field the build can give (tests/sbom/test_bsi.py checks it passes).
FULL = Sbom(
    evolve(
        SBOM.subject,
        supplier=Party("NixOS", url="https://github.com/NixOS", rule="the owner of the pin's GitHub repository"),
        licence=Licence("LGPL-2.1-only", "licence files: COPYING is LGPL-2.1-only"),
        deployable=Deployable("nix", "d" * 128, "the file's bytes", True, False, False),
    ),
    [
        evolve(conformant(c), depends_on=["source:boost"])
        if c.name == "nlohmann_json"
        else conformant(c, "GPL-3.0-or-later AND LicenseRef-debian-FSFAP-like", complete=False)
        if c.name == "bison"
        else conformant(c, "BSL-1.0" if c.name == "boost" else "MIT", complete=c.kind == Kind.SOURCE)
        for c in SBOM.components
    ],
    SBOM.findings,
    Party("example.org", email="sbom@example.org", rule="given on the command line"),
)
