"""The custody log end to end on the fixture chain (seed -> hex0 -> catm -> joined), through the CLI: a build
with --sign-key appends signed entries, `log verify` passes, every kind of tampering fails with one message
naming the line, and `log compare` sets two builders' logs side by side."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from attrs import evolve
from chain_support import Chain
from trust_support import Evidence

from rootstock.core.hashes import Hash
from rootstock.custody.entry import fingerprint
from rootstock.custody.keys import SecretKey
from rootstock.custody.log import parse_line
from rootstock.host import proc

SYSTEM = "x86_64-linux"


def generate(tmp: Path, name: str, tag: str = "") -> tuple[Path, Path]:
    secret, public = tmp / f"{name}{tag}.sec", tmp / f"{name}{tag}.pub"
    proc.run(["nix-store", "--generate-binary-cache-key", name, secret, public])
    return secret, public


@pytest.fixture
def chain(nix_store: Path, checkout: Path, tmp_path: Path) -> Chain:
    return Chain(checkout, tmp_path, SYSTEM)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    return {
        "builder-1": generate(tmp_path, "builder-1"),
        "impostor": generate(tmp_path, "builder-1", "-other"),  # another key under the same name
        "builder-2": generate(tmp_path, "builder-2"),
    }


def log_of(chain: Chain) -> Path:
    return chain.root / "build-logs" / "custody" / "log.jsonl"


def verify(chain: Chain, log: Path, *public: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = chain.cli("log", "verify", "--log", str(log), *(a for p in public for a in ("--key", str(p))))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_build_appends_signed_entries_that_verify(
    chain: Chain, keys: dict[str, tuple[Path, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    secret, public = keys["builder-1"]
    assert chain.build("--sign-key", str(secret)) == 0
    assert f"custody log: 3 entries signed by 'builder-1' appended to {log_of(chain)}" in capsys.readouterr().out
    assert chain.build("--check", "--sign-key", str(secret)) == 0
    lines = log_of(chain).read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["seq"], e["step"], e["mode"]) for e in entries] == [
        (1, "hex0", "build"),
        (2, "catm", "build"),
        (3, "joined", "build"),
        (4, "hex0", "check"),
        (5, "catm", "check"),
        (6, "joined", "check"),
    ]
    for line in lines:
        assert line == json.dumps(json.loads(line), sort_keys=True, separators=(",", ":"))
    catm = entries[1]
    assert catm["system"] == SYSTEM and catm["stage"] == "stage0" and catm["builder"] == "step:hex0"
    assert catm["pinned"] == chain.outputs["catm"]
    assert Hash.parse(catm["nar_hash"].removeprefix("sha256:")).sri == chain.outputs["catm"]
    assert catm["fingerprint"] == fingerprint(catm["out"], catm["nar_hash"], catm["nar_size"], ())
    assert set(catm["pins"]) == {"src"} and set(entries[0]["pins"]) == {"seed", "src"}
    assert catm["drv"].endswith(".drv") and catm["narinfo_sig"].startswith("builder-1:")
    # The narHash recorded is Nix's own (nix-store --query --hash agrees).
    assert proc.run(["nix-store", "--query", "--hash", catm["out"]]).stdout.strip() == catm["nar_hash"]

    code, out, err = verify(chain, log_of(chain), public, capsys=capsys)
    assert code == 0, err
    assert "6 entries verify (signed by builder-1; chain whole;" in out
    head = out.split("head\t")[1].strip()
    assert chain.cli("log", "verify", "--key", str(public), "--head", head) == 0


@pytest.mark.slow
def test_every_kind_of_tampering_is_one_error_naming_the_line(
    chain: Chain, keys: dict[str, tuple[Path, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, public = keys["builder-1"]
    assert chain.build("--sign-key", str(secret)) == 0
    good = log_of(chain).read_text()
    lines = good.splitlines(keepends=True)
    catm = json.loads(lines[1])
    edited = lines[1].replace(f'"nar_size":{catm["nar_size"]}', f'"nar_size":{catm["nar_size"] + 1}')
    where = f"step 'joined' on {SYSTEM}"
    cases = {
        "edited field": (
            [lines[0], edited, lines[2]],
            f"line 2 (entry 2, step 'catm' on {SYSTEM}): sig does not verify with key 'builder-1': "
            "the entry was changed after it was signed",
        ),
        "reordered lines": (
            [lines[0], lines[2], lines[1]],
            f"line 2 (entry 3, {where}): holds entry 3, not 2; entry 2 is on line 3: lines were reordered",
        ),
        "dropped line": (
            [lines[0], lines[2]],
            f"line 2 (entry 3, {where}): holds entry 3, not 2; entry 2 is missing: a line was dropped",
        ),
        "dropped first line": (
            lines[1:],
            f"line 1 (entry 2, step 'catm' on {SYSTEM}): holds entry 2, not 1; entry 1 is missing",
        ),
        "not canonical": (
            [lines[0], json.dumps(catm) + "\n", lines[2]],
            "line 2 (entry 2, step 'catm' on x86_64-linux): not in canonical form",
        ),
    }
    for name, (text, message) in cases.items():
        tampered = tmp_path / f"{name}.jsonl"
        tampered.write_text("".join(text))
        code, _, err = verify(chain, tampered, public, capsys=capsys)
        assert (code, err.count("rootstock: error:")) == (1, 1), (name, err)
        assert f"rootstock: error: {tampered}: {message}" in err, (name, err)
    # A line cut short is not an entry at all: the file is not a custody log (bad input, as for every reader).
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text("".join([lines[0], lines[1], lines[2][:40]]))
    code, _, err = verify(chain, truncated, public, capsys=capsys)
    assert code == 3
    assert f"rootstock: error: {truncated}: line 3: truncated: the last line has no newline" in err

    # Signed by another key that carries the trusted name, and by a key nobody trusts.
    other_secret = SecretKey.load(keys["impostor"][0])
    forged = evolve(parse_line(log_of(chain), 1, lines[0].rstrip("\n")), narinfo_sig="", sig="")
    forged = evolve(forged, narinfo_sig=str(other_secret.sign(forged.fingerprint)))
    forged = forged.signed(str(other_secret.sign(forged.unsigned())))
    impostor = tmp_path / "impostor.jsonl"
    impostor.write_text(forged.line() + "\n")
    code, _, err = verify(chain, impostor, public, capsys=capsys)
    assert code == 1
    assert f"line 1 (entry 1, step 'hex0' on {SYSTEM}): sig does not verify with key 'builder-1'" in err

    assert chain.build("--sign-key", str(keys["builder-2"][0]), "--custody-log", str(tmp_path / "two.jsonl")) == 0
    code, _, err = verify(chain, tmp_path / "two.jsonl", public, capsys=capsys)
    assert code == 1
    assert f"line 1 (entry 1, step 'hex0' on {SYSTEM}): signed by unknown key 'builder-2' (trusted: builder-1)" in err

    # Dropping lines from the end leaves the chain whole; a recorded head catches it.
    head = verify(chain, log_of(chain), public, capsys=capsys)[1].split("head\t")[1].strip()
    short = tmp_path / "short.jsonl"
    short.write_text("".join(lines[:2]))
    assert verify(chain, short, public, capsys=capsys)[0] == 0
    capsys.readouterr()
    assert chain.cli("log", "verify", "--log", str(short), "--key", str(public), "--head", head) == 1
    assert "no line hashes to the recorded head" in capsys.readouterr().err

    # An entry whose pinned hash stages.toml no longer gives.
    chain.outputs["joined"] = Hash("sha256", bytes(32)).sri
    chain.write_graph()
    code, _, err = verify(chain, log_of(chain), public, capsys=capsys)
    assert code == 1
    actual = json.loads(lines[2])["pinned"]
    assert (
        f"line 3 (entry 3, {where}): pinned '{actual}' is not stages.toml's and pins.toml's '{chain.outputs['joined']}'"
    ) in err


@pytest.mark.slow
def test_bad_input_is_exit_3(chain: Chain, keys: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    _, public = keys["builder-1"]
    assert chain.cli("log", "verify", "--key", str(public)) == 3  # no log yet
    (tmp_path / "bad.pub").write_text("no key here\n")
    assert chain.cli("log", "verify", "--key", str(tmp_path / "bad.pub")) == 3
    assert chain.build("--sign-key", str(tmp_path / "missing.sec")) == 3
    assert not log_of(chain).exists()


@pytest.mark.slow
def test_compare_two_builders_logs(
    chain: Chain, keys: dict[str, tuple[Path, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (one, one_pub), (two, two_pub) = keys["builder-1"], keys["builder-2"]
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert chain.build("--sign-key", str(one), "--custody-log", str(first)) == 0
    assert chain.build("--check", "--sign-key", str(two), "--custody-log", str(second)) == 0
    capsys.readouterr()
    assert chain.cli("log", "compare", str(first), str(second), "--key", str(one_pub), "--key", str(two_pub)) == 0
    out = capsys.readouterr().out
    assert f"same\t{SYSTEM}\tcatm\tsha256:" in out
    assert "3 steps: both logs record the same output for each" in out

    # The second builder got other bytes for joined (its last entry, signed by its own key).
    secret = SecretKey.load(two)
    lines = second.read_text().splitlines()
    last = parse_line(second, 3, lines[2])
    other = f"sha256:{Hash('sha256', bytes(32)).nix32}"
    changed = evolve(last, nar_hash=other, fingerprint=fingerprint(last.out, other, last.nar_size, ()))
    changed = evolve(changed, narinfo_sig=str(secret.sign(changed.fingerprint)))
    changed = changed.signed(str(secret.sign(changed.unsigned())))
    second.write_text("\n".join([*lines[:2], changed.line()]) + "\n")
    capsys.readouterr()
    assert chain.cli("log", "compare", str(first), str(second)) == 1
    out, err = capsys.readouterr()
    assert f"DIFFERS\t{SYSTEM}\tjoined\t{last.nar_hash}\t{other}" in out
    assert f"step 'joined' on {SYSTEM} differs: {first} records {last.nar_hash} (" in err
    assert f"{second} records {other} (" in err


@pytest.fixture
def signed(chain: Chain, tmp_path: Path) -> tuple[Evidence, Path, Path]:
    """A custody log of every step as `build --sign-key` writes it (no build): the evidence, the log, its key."""
    found = Evidence(chain, tmp_path)
    secret, public = found.key()
    return found, found.custody(secret), public


def test_an_empty_log_is_bad_input(
    chain: Chain, signed: tuple[Evidence, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, log, public = signed
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    said = f"rootstock: error: {empty} holds no entries: nothing to verify (a build with --sign-key appends them)\n"
    assert verify(chain, empty, public, capsys=capsys)[::2] == (3, said)
    assert chain.cli("log", "compare", str(empty), str(log)) == 3
    assert capsys.readouterr().err == said


def test_a_head_that_is_not_a_line_hash_is_a_usage_error(
    chain: Chain, signed: tuple[Evidence, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, log, public = signed
    with pytest.raises(SystemExit) as exit_:
        chain.cli("log", "verify", "--key", str(public), "--log", str(log), "--head", "xyz")
    assert exit_.value.code == 2
    assert (
        "argument --head: expected the sha256 of the log's last line (64 hex digits, as `log verify` prints it), "
        "got 'xyz'"
    ) in capsys.readouterr().err
    head = verify(chain, log, public, capsys=capsys)[1].split("head\t")[1].strip()
    assert chain.cli("log", "verify", "--key", str(public), "--log", str(log), "--head", head.upper()) == 0


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ((4, lambda e: e | {"sig": None}), "line 4: sig: expected a string, got null"),
        ((2, lambda e: e | {"nar_size": "776"}), "line 2: nar_size: expected an integer, got a string '776'"),
        ((1, lambda e: e | {"files": []}), "line 1: files: expected an object, got an array []"),
        ((3, lambda e: e | {"colour": 1}), "line 3: unknown key(s) colour"),
        ((1, lambda _: [1]), "line 1: not a JSON object: an array [1]"),
    ],
)
def test_a_line_that_is_not_an_entry_is_named_in_json_words(
    chain: Chain,
    signed: tuple[Evidence, Path, Path],
    capsys: pytest.CaptureFixture[str],
    damage: tuple[int, Callable[[dict], object]],
    says: str,
) -> None:
    _, log, public = signed
    line, change = damage
    lines = log.read_text().splitlines()
    lines[line - 1] = json.dumps(change(json.loads(lines[line - 1])), sort_keys=True, separators=(",", ":"))
    log.write_text("\n".join(lines) + "\n")
    assert verify(chain, log, public, capsys=capsys)[::2] == (3, f"rootstock: error: {log}: {says}\n")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"v": 1', "line 1: truncated: the last line has no newline, so it is not a whole entry"),
        ("garbage\n", "line 1: not a JSON object (Expecting value at line 1, column 1)"),
    ],
)
def test_a_signing_build_refuses_a_log_it_cannot_chain_onto_before_it_builds(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    secret, _ = generate(tmp_path, "builder-1")
    log = tmp_path / "log.jsonl"
    log.write_text(text)
    capsys.readouterr()
    assert chain.build("--sign-key", str(secret), "--custody-log", str(log)) == 3
    out, err = capsys.readouterr()
    assert err == f"rootstock: error: refusing to append to a custody log that does not read whole: {log}: {says}\n"
    assert out == "" and not (chain.root / "build-logs").exists()  # nothing was built
    assert log.read_text() == text
