"""The Hash value type: one digest, read from and written to SRI, base16 and Nix's base32."""

from __future__ import annotations

import base64
import binascii
import re

from attrs import frozen

from rootstock.errors import InputError

NIX32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz"
DIGEST_SIZES = {"sha256": 32, "sha512": 64, "sha1": 20}
SRI_RE = re.compile(r"^(sha256|sha512|sha1)-([A-Za-z0-9+/]+={0,2})$")


def to_nix32(digest: bytes) -> str:
    """Encode bytes in Nix's base32 (its own alphabet, least significant bits first)."""
    length = (len(digest) * 8 - 1) // 5 + 1
    chars = []
    for n in range(length - 1, -1, -1):
        bit = n * 5
        i, j = divmod(bit, 8)
        value = digest[i] >> j
        if i + 1 < len(digest):
            value |= digest[i + 1] << (8 - j)
        chars.append(NIX32_ALPHABET[value & 0x1F])
    return "".join(chars)


def from_nix32(text: str, size: int) -> bytes:
    """Decode Nix base32 text into a digest of the given size.

    Raises:
        ValueError: a character outside the alphabet, or bits beyond the digest size.
    """
    out = bytearray(size)
    for n, char in enumerate(reversed(text)):
        digit = NIX32_ALPHABET.find(char)
        if digit < 0:
            msg = f"invalid character {char!r} in nix-base32 hash"
            raise ValueError(msg)
        bit = n * 5
        i, j = divmod(bit, 8)
        out[i] |= (digit << j) & 0xFF
        carry = digit >> (8 - j)
        if i + 1 < size:
            out[i + 1] |= carry
        elif carry:
            msg = "nix-base32 hash has bits beyond its digest size"
            raise ValueError(msg)
    return bytes(out)


@frozen
class Hash:
    """A digest with its algorithm. Examples: Hash.parse("sha256-…"), Hash.parse("<64 hex>")."""

    algo: str
    digest: bytes

    @classmethod
    def parse(cls, text: str, algo: str = "sha256") -> Hash:
        """Read an SRI, base16 or nix-base32 hash.

        Raises:
            InputError: the text is none of the three forms, or has the wrong length.
        """
        sri = SRI_RE.match(text)
        if sri:
            try:
                digest = base64.b64decode(sri.group(2), validate=True)
            except binascii.Error:
                digest = b""
            if len(digest) != DIGEST_SIZES[sri.group(1)]:
                msg = f"expected an SRI {sri.group(1)} hash of {DIGEST_SIZES[sri.group(1)]} bytes, got {text!r}"
                raise InputError(msg)
            return cls(sri.group(1), digest)
        size = DIGEST_SIZES[algo]
        if len(text) == size * 2 and re.fullmatch(r"[0-9a-fA-F]+", text):
            return cls(algo, bytes.fromhex(text))
        if len(text) == (size * 8 - 1) // 5 + 1:
            try:
                return cls(algo, from_nix32(text, size))
            except ValueError:
                pass
        msg = f"expected an SRI {algo} hash ('{algo}-' and base64), base16 or nix-base32, got {text!r}"
        raise InputError(msg)

    @classmethod
    def sri_only(cls, text: str) -> Hash:
        """Read a hash that must be written as SRI (the form pins use).

        Raises:
            InputError: anything but a well-formed SRI sha256/sha512 hash.
        """
        if not SRI_RE.match(text):
            msg = f"expected an SRI sha256 hash like 'sha256-<44 base64 characters>', got {text!r}"
            raise InputError(msg)
        return cls.parse(text)

    @property
    def sri(self) -> str:
        """The SRI form, sha256-<base64>."""
        return f"{self.algo}-{base64.b64encode(self.digest).decode()}"

    @property
    def nix32(self) -> str:
        """Nix's base32 form, as nix-hash --base32 prints it."""
        return to_nix32(self.digest)

    @property
    def hex(self) -> str:
        """The base16 form."""
        return self.digest.hex()

    def __str__(self) -> str:
        return self.sri
