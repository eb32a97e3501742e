"""A `[[ddc]]` table of stages.toml as written (grammar: docs/ddc.md)."""

from __future__ import annotations

from attrs import Factory, frozen

from rootstock.core.storename import StoreName


@frozen
class DdcHost:
    """The independent compiler: the host's, run by the host's /bin/sh in the sandbox (which sees `paths`)."""

    compiler: StoreName
    """What the derivation's name says compiled it: `<name>-host-<compiler>`."""
    argv: tuple[str, ...]
    """The compiler's argv before the options and the source (no argument may hold a space)."""
    system: str
    """The Nix system the host's compiler runs on."""
    script: str
    """`{file:nix/ddc/<name>.sh}`: the build script, rendered from templates/ddc/<name>.sh.j2."""
    paths: tuple[str, ...]
    """What of the host the sandbox sees (`extra-sandbox-paths`)."""
    env: dict[str, str] = Factory(dict)


@frozen
class Ddc:
    """One DDC pass: the source S (a pin), the chain's compiler A (step `chain`'s `program`), the chain compiling
    S once more (step `self_compile`, A's fixed point) and the host's compiler T. The pass builds T(S) =
    `host`, then T(S)(S) = `host2` as step `self_compile` with `compiler_var` naming host's program, and
    requires host2's program to equal self_compile's byte for byte."""

    name: StoreName
    system: str
    source: str
    chain: str
    self_compile: str
    compiler_var: str
    host: DdcHost
    program: str = "bin/tcc"
    libc: str = "lib"
    """The chain step's directory the compiles link against (`-B`), reported file by file."""
    lists: tuple[str, ...] = ()
    """The top-level [lists] holding the compile's options, for the report."""
    description: str | None = None
