"""Recipe records as written in static-nix.toml (grammar: docs/static-nix.md)."""

from __future__ import annotations

from typing import Literal

from attrs import Factory, field, frozen

from rootstock.core.storename import StoreName
from rootstock.sbom import epoch
from rootstock.sbom.supplier import Contact

BuildSystem = Literal["configure", "autogen", "cmake", "meson", "make", "script"]


@frozen
class Toolchain:
    """A C/C++ toolchain the packages are built with: a pinned zig wheel, or the host's compilers.

    The recipe takes the toolchain as a parameter, so the same packages build with the inherited toolchain
    today and with the bootstrapped stdenv later.
    """

    kind: Literal["zig", "host"]
    pin: str | None = None
    target: str | None = None
    cc: tuple[str, ...] = ()
    cxx: tuple[str, ...] = ()


@frozen
class Package:
    """One source built and installed into its own prefix, static only."""

    name: StoreName
    source: str
    build: BuildSystem
    deps: tuple[str, ...] = ()
    subdir: str = ""
    flags: tuple[str, ...] = ()
    make_flags: tuple[str, ...] = ()
    script: str | None = None
    cflags: tuple[str, ...] = ()
    evidence: bool = False
    link_target: str | None = None


@frozen
class Recipe:
    """Everything `rootstock build nix-static` builds, in build order, and what the result must be."""

    system: str = "x86_64-linux"
    host_paths: tuple[str, ...] = ()
    default_toolchain: str = ""
    subject: str = ""
    binary: str = "bin/nix"
    version_output: str = ""
    # The subject is a nix: it must build a derivation in a fresh store of its own.
    builds_derivations: bool = False
    host_tools: tuple[str, ...] = ()
    # The time every build stamps instead of the clock (SOURCE_DATE_EPOCH), and so the SBOM's creation time.
    source_date_epoch: int = field(default=0, validator=epoch.validate)
    # Who publishes the SBOM (an email address or URL), as TR-03183-2 asks; only the publisher can state it.
    sbom_creator: Contact | None = None
    toolchain: dict[StoreName, Toolchain] = Factory(dict)
    package: tuple[Package, ...] = ()
