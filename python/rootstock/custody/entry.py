"""One entry of the custody log: a step's output as Nix signs it (the narinfo fingerprint), the inputs it was built
from, how it was established (a build, or a `--check` rebuild that matched), its place in the chain of entries,
and two signatures: Nix's own over the fingerprint, and one over the whole entry."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from attrs import evolve, frozen

from rootstock import schema

VERSION = 1
GENESIS = "0" * 64
"""The `prev` of a log's first entry: no line before it."""

Mode = Literal["build", "check"]
MODES: Mapping[str, str] = {
    "build": "built, or found valid in the store, and checked against its pin",
    "check": "rebuilt by `--check` and byte-identical to the output in the store",
}


def fingerprint(out: str, nar_hash: str, nar_size: int, references: tuple[str, ...]) -> str:
    """What Nix signs for a store path (ValidPathInfo::fingerprint): `1;<path>;<sha256:base32>;<size>;<refs>`,
    references as full store paths, sorted, comma-separated."""
    return f"1;{out};{nar_hash};{nar_size};{','.join(sorted(references))}"


@frozen
class Entry:
    """One line of the log. Field names are the JSON keys; the line is the entry's canonical JSON."""

    v: int
    seq: int
    """1 for the log's first entry, one more for each after it."""
    prev: str
    """sha256 (hex) of the previous line's bytes without its newline; GENESIS for the first."""
    system: str
    stage: str
    step: str
    mode: Mode
    drv: str
    out: str
    nar_hash: str
    """`sha256:<nix-base32>`, as the store recorded it (`nix path-info`)."""
    nar_size: int
    references: tuple[str, ...]
    fingerprint: str
    pinned: str | None
    """stages.toml's output hash for the step on this system (SRI), or None for a step pinned by its files."""
    files: dict[str, str]
    """For a step pinned by files: each file's pinned sha256 (hex); empty otherwise."""
    builder: str
    """The step's builder as stages.toml names it: `pin:NAME` or `step:NAME`."""
    pins: dict[str, str]
    """Every pin the step reads (builder, args, env) and its hash in pins.toml (SRI)."""
    narinfo_sig: str
    """Nix's signature of the output: over `fingerprint`, exactly the `Sig:` a narinfo of this path would carry."""
    sig: str = ""
    """The entry's signature: over the canonical JSON of every other field (unsigned())."""

    def where(self) -> str:
        """The entry as messages name it."""
        return f"step '{self.step}' on {self.system}"

    def unsigned(self) -> str:
        """What `sig` signs: the canonical JSON of the entry without `sig`."""
        data = as_data(self)
        del data["sig"]
        return canonical(data)

    def line(self) -> str:
        """The entry as one line of the log (without its newline)."""
        return canonical(as_data(self))

    def signed(self, sig: str) -> Entry:
        """The entry carrying its signature."""
        return evolve(self, sig=sig)


def as_data(entry: Entry) -> dict[str, Any]:
    """The entry as JSON data."""
    data: dict[str, Any] = schema.converter.unstructure(entry)
    data["references"] = list(entry.references)
    return data


def canonical(data: Mapping[str, Any]) -> str:
    """Deterministic JSON on one line: sorted keys, no spaces, ASCII only."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def line_hash(line: str) -> str:
    """What the next entry's `prev` holds for this line."""
    return hashlib.sha256(line.encode()).hexdigest()


HEAD_RE = re.compile(r"[0-9a-f]{64}")


def head(text: str) -> str:
    """A head as `log verify` prints it (line_hash: the sha256 of the log's last line, 64 hex digits).

    Raises:
        ValueError: text is not one, saying what it should be.
    """
    if not HEAD_RE.fullmatch(text.lower()):
        msg = f"expected the sha256 of the log's last line (64 hex digits, as `log verify` prints it), got {text!r}"
        raise ValueError(msg)
    return text.lower()
