"""Keys and signatures in Nix's format, checked against Nix itself: keys from nix-store
--generate-binary-cache-key, and our signature over a path's fingerprint byte-identical to `nix store sign`'s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rootstock.custody.keys import PublicKey, SecretKey, Signature, keyring
from rootstock.errors import InputError
from rootstock.host import nix, proc


def generate(tmp: Path, name: str) -> tuple[Path, Path]:
    secret, public = tmp / f"{name}.sec", tmp / f"{name}.pub"
    proc.run(["nix-store", "--generate-binary-cache-key", name, secret, public])
    return secret, public


def test_keys_nix_generates_read_and_belong_together(nix_store: Path, tmp_path: Path) -> None:
    secret_file, public_file = generate(tmp_path, "builder-1")
    secret, public = SecretKey.load(secret_file), PublicKey.load(public_file)
    assert secret.name == public.name == "builder-1"
    assert secret.public() == public
    assert str(public) == public_file.read_text().strip()
    signature = secret.sign("a message")
    assert public.verifies("a message", signature)
    assert not public.verifies("another message", signature)
    assert Signature.parse(str(signature)) == signature
    assert "builder-1" in repr(secret) and secret_file.read_text().split(":")[1][:8] not in repr(secret)


def test_our_signature_is_the_one_nix_makes_and_verifies(nix_store: Path, tmp_path: Path) -> None:
    secret_file, public_file = generate(tmp_path, "builder-1")
    # A path with a reference, so the fingerprint's reference list is exercised too.
    expr = 'builtins.toFile "outer" "${builtins.toFile "inner" "x"}"'
    path = json.loads(proc.run(["nix-instantiate", "--read-write-mode", "--eval", "--json", "-E", expr]).stdout)
    info = nix.path_infos([path])[path]
    assert len(info.references) == 1
    assert info.fingerprint() == f"1;{path};sha256:{info.nar_hash.nix32};{info.nar_size};{info.references[0]}"
    ours = SecretKey.load(secret_file).sign(info.fingerprint())

    proc.run(["nix", *nix.EXPERIMENTAL, "store", "sign", "--key-file", secret_file, path])
    shown = json.loads(proc.run(["nix", *nix.EXPERIMENTAL, "path-info", "--json", "--sigs", path]).stdout)
    assert shown[0]["signatures"] == [str(ours)]  # ed25519 is deterministic: the very same bytes
    trusted = public_file.read_text().strip()
    proc.run(
        ["nix", *nix.EXPERIMENTAL, "store", "verify", "--sigs-needed", "1", "--trusted-public-keys", trusted, path]
    )
    assert PublicKey.load(public_file).verifies(info.fingerprint(), Signature.parse(shown[0]["signatures"][0]))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no-colon", "expected NAME:BASE64"),
        (":AAAA", "expected NAME:BASE64"),
        ("k:not base64!", "expected 64 bytes"),
        ("README: a text — not a key", "expected 64 bytes"),  # characters base64 cannot hold
        ("k:" + "A" * 43 + "=", "expected 64 bytes in base64 after 'k:', got 32"),
    ],
)
def test_malformed_secret_keys_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "key.sec"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        SecretKey.load(path)


def test_a_missing_key_file_and_two_keys_under_one_name_are_bad_input(nix_store: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"absent\.pub: public key not found"):
        PublicKey.load(tmp_path / "absent.pub")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    one, two = PublicKey.load(generate(a, "same")[1]), PublicKey.load(generate(b, "same")[1])
    with pytest.raises(InputError, match="two different public keys are named 'same'"):
        keyring([one, two])
