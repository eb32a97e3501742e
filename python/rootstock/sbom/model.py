"""The SBOM data: components with their derived usage, the findings, and the subject binary."""

from __future__ import annotations

import enum

from attrs import field, frozen


class Usage(enum.Enum):
    """Whether an input's code is in the binary (link), only served the build (build), or both."""

    LINK = "link"
    BUILD = "build"
    BOTH = "both"

    @classmethod
    def of(cls, *, in_binary: bool, builds: bool) -> Usage:
        """The usage of an input whose code is (or is not) in the binary and that does (or does not) build.

        Examples:
            >>> Usage.of(in_binary=True, builds=True)
            <Usage.BOTH: 'both'>
            >>> Usage.of(in_binary=False, builds=False)
            <Usage.BUILD: 'build'>
        """
        if in_binary:
            return cls.BOTH if builds else cls.LINK
        # An input that neither links nor ships tools was still read by the build (headers, data).
        return cls.BUILD


@frozen
class Party:
    """Who made a component or the SBOM, as TR-03183-2 wants it named: by an email address or a URL (one of the
    two), and by which rule that was found."""

    name: str
    url: str = ""
    email: str = ""
    rule: str = ""


@frozen
class Licence:
    """A component's licence as an SPDX expression and how it was decided (its licence files by signature, or
    hand-kept in pins.toml where the source states none)."""

    expression: str  # "" when nothing states one (the rule then says why)
    rule: str  # how it was decided; a hand-kept one starts with "hand-kept in pins.toml"


@frozen
class Deployable:
    """The deployable form of a component, the thing its SHA-512 is of: a file as it is, or a tree as its NAR."""

    filename: str
    sha512: str  # hex; "" when the bytes are not at hand (the `hashed` text then says why)
    hashed: str  # what the digest is of: "the file's bytes", "the NAR serialisation of the tree", or why none
    executable: bool
    archive: bool
    structured: bool
    # Where that form can be had, when not the component's url (a git pin: the repository at its commit).
    uri: str = ""


class Kind(enum.Enum):
    """Where an input came from: the host's package database or a pinned source built here."""

    DEB = "deb"
    SOURCE = "source"


@frozen
class Component:
    """One input of the build: one CSV row, one CycloneDX component, one SPDX package."""

    name: str
    kind: Kind
    version: str
    usage: Usage
    url: str
    sha256: str  # hex digest of the pinned artefact: the source archive, or the .deb in the package index
    purl: str
    # The seed's rule applied to the package contents alone; disagreeing with `usage` is a finding.
    usage_from_contents: Usage
    evidence: tuple[str, ...] = field(converter=lambda xs: tuple(sorted(set(xs))))
    supplier: Party | None = None
    licence: Licence | None = None
    deployable: Deployable | None = None
    cpe: str = ""  # the CPE 2.3 name with the version, when the pin records one
    # Refs of the components this one is built against (its own inputs), and whether that list is known whole.
    depends_on: tuple[str, ...] = field(default=(), converter=lambda xs: tuple(sorted(set(xs))))
    dependencies_complete: bool = False

    @property
    def checksum(self) -> str:
        """The CSV checksum column: algorithm and hex digest."""
        return f"sha256:{self.sha256}"

    @property
    def ref(self) -> str:
        """A stable identifier inside one SBOM document."""
        return f"{self.kind.value}:{self.name}"


@frozen
class Subject:
    """The binary the SBOM describes."""

    name: str
    version: str
    sha256: str  # read from the binary itself
    # How the binary was found to be the output the link evidence names; empty when the evidence names no
    # output (a GNU ld trace alone, LLD's trace and map).
    linked: str = ""
    supplier: Party | None = None
    licence: Licence | None = None
    deployable: Deployable | None = None
    cpe: str = ""


@frozen
class Finding:
    """A disagreement between the contents rule and the build evidence, kept next to the SBOM."""

    component: str
    message: str


@frozen
class Sbom:
    """The derived bill of materials, components sorted by kind and name so every writer is deterministic."""

    subject: Subject
    components: tuple[Component, ...] = field(
        converter=lambda cs: tuple(sorted(cs, key=lambda c: (c.kind.value, c.name))),
    )
    findings: tuple[Finding, ...] = field(
        converter=lambda fs: tuple(sorted(fs, key=lambda f: (f.component, f.message))),
    )
    # Who publishes the SBOM (TR-03183-2's "creator of the SBOM"): stated by whoever runs the build.
    creator: Party | None = None
