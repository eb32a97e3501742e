"""Signing keys in Nix's format: exactly the files `nix-store --generate-binary-cache-key NAME SECRET PUBLIC`
writes (`NAME:base64(64-byte ed25519 secret)`, `NAME:base64(32-byte public key)`), and signatures as a narinfo's
`Sig:` line carries them (`NAME:base64(64-byte detached ed25519 signature)`). The crypto is PyNaCl's (libsodium)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path

import nacl.exceptions
import nacl.signing
from attrs import frozen

from rootstock.core import files
from rootstock.errors import InputError

SECRET_SIZE = 64
PUBLIC_SIZE = 32
SIGNATURE_SIZE = 64
GENERATE = "nix-store --generate-binary-cache-key NAME SECRET-FILE PUBLIC-FILE"


def _split(text: str, size: int, what: str, source: str) -> tuple[str, bytes]:
    """`name:base64` of size bytes, as Nix writes keys and signatures.

    Raises:
        InputError: no name, not base64, or the wrong size.
    """
    name, colon, encoded = text.strip().partition(":")
    if not colon or not name:
        msg = f"{source}: not a Nix {what} (expected NAME:BASE64, as `{GENERATE}` writes)"
        raise InputError(msg)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error, or a UnicodeEncodeError for characters outside ASCII
        raw = b""
    if len(raw) != size:
        msg = f"{source}: not a Nix {what}: expected {size} bytes in base64 after '{name}:', got {len(raw)}"
        raise InputError(msg)
    return name, raw


@frozen
class Signature:
    """A detached signature and the name of the key that made it (`name:base64`)."""

    key: str
    raw: bytes

    @classmethod
    def parse(cls, text: str, source: str = "signature") -> Signature:
        """Read `name:base64(64 bytes)`.

        Raises:
            InputError: as _split.
        """
        return cls(*_split(text, SIGNATURE_SIZE, "signature", source))

    def __str__(self) -> str:
        return f"{self.key}:{base64.b64encode(self.raw).decode()}"


@frozen
class PublicKey:
    """A public key as Nix writes it: the name signatures carry, and the key."""

    name: str
    raw: bytes

    @classmethod
    def parse(cls, text: str, source: str = "public key") -> PublicKey:
        """Read `name:base64(32 bytes)`.

        Raises:
            InputError: as _split.
        """
        return cls(*_split(text, PUBLIC_SIZE, "public key", source))

    @classmethod
    def load(cls, path: Path) -> PublicKey:
        """Read a public key file.

        Raises:
            InputError: missing, unreadable or not a Nix public key.
        """
        return cls.parse(files.read_input_text(path, "public key"), str(path))

    def verifies(self, message: str, signature: Signature) -> bool:
        """Whether signature is this key's over message (the name and the ed25519 signature both)."""
        if signature.key != self.name:
            return False
        try:
            nacl.signing.VerifyKey(self.raw).verify(message.encode(), signature.raw)
        except nacl.exceptions.BadSignatureError:
            return False
        return True

    def __str__(self) -> str:
        return f"{self.name}:{base64.b64encode(self.raw).decode()}"


@frozen(repr=False)
class SecretKey:
    """A secret key as Nix writes it: libsodium's 64 bytes (seed, then the public key)."""

    name: str
    raw: bytes

    def __repr__(self) -> str:
        return f"SecretKey(name={self.name!r})"  # never the bytes

    @classmethod
    def parse(cls, text: str, source: str = "secret key") -> SecretKey:
        """Read `name:base64(64 bytes)` and check its public half belongs to its seed.

        Raises:
            InputError: not a Nix secret key, or its two halves do not belong together.
        """
        key = cls(*_split(text, SECRET_SIZE, "secret key", source))
        if bytes(key._signing().verify_key) != key.raw[32:]:
            msg = f"{source}: not a Nix secret key: its public half does not belong to its seed"
            raise InputError(msg)
        return key

    @classmethod
    def load(cls, path: Path) -> SecretKey:
        """Read a secret key file.

        Raises:
            InputError: missing, unreadable or not a Nix secret key.
        """
        return cls.parse(files.read_input_text(path, "secret key"), str(path))

    @classmethod
    def generate(cls, name: str) -> SecretKey:
        """A new key (libsodium's generator, as `nix-store --generate-binary-cache-key` uses)."""
        signing = nacl.signing.SigningKey.generate()
        return cls(name, bytes(signing) + bytes(signing.verify_key))

    def _signing(self) -> nacl.signing.SigningKey:
        return nacl.signing.SigningKey(self.raw[:32])

    def public(self) -> PublicKey:
        """The public key, as Nix writes it beside the secret one."""
        return PublicKey(self.name, self.raw[32:])

    def sign(self, message: str) -> Signature:
        """A detached ed25519 signature over message's UTF-8 bytes (deterministic, as Nix's libsodium makes)."""
        return Signature(self.name, self._signing().sign(message.encode()).signature)


def keyring(keys: Sequence[PublicKey]) -> Mapping[str, PublicKey]:
    """Trusted keys by name.

    Raises:
        InputError: two different keys under one name (a signature could not say which it is by).
    """
    ring: dict[str, PublicKey] = {}
    for key in keys:
        if key.name in ring and ring[key.name] != key:
            msg = f"two different public keys are named '{key.name}'; a signature names its key, so names must differ"
            raise InputError(msg)
        ring[key.name] = key
    return ring
