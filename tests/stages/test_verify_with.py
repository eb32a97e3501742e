"""`verify-with` on the fixture chain (seed -> hex0 -> catm -> joined): Debian's nix at another path (a directory of
its programs) as the second Nix rebuilds the chain in a chroot store of its own and its log equals the first
builder's; a second Nix that tampers with a build, a first builder's log that disagrees, bad NIX arguments, a
missing first-builder log and an interrupt each end in one message and leave no temporary store behind."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from attrs import evolve
from chain_support import Chain

from rootstock.custody.entry import Entry, fingerprint
from rootstock.custody.keys import SecretKey
from rootstock.custody.log import parse_line
from rootstock.host import nix, proc
from rootstock.pins.convert import load_pins

SYSTEM = "x86_64-linux"
HOST_NIX = Path(shutil.which("nix") or "/usr/bin/nix").resolve()


@pytest.fixture
def chain(nix_store: Path, checkout: Path, tmp_path: Path) -> Chain:
    return Chain(checkout, tmp_path, SYSTEM)


@pytest.fixture
def temp_dirs(tmp_path: Path) -> Iterator[Path]:
    """Where tempfile makes directories during the test, to show the temporary store is gone afterwards."""
    where = tmp_path / "tmpdir"
    where.mkdir()
    saved, tempfile.tempdir = tempfile.tempdir, str(where)
    yield where
    tempfile.tempdir = saved


@pytest.fixture
def signed(chain: Chain, tmp_path: Path) -> Path:
    """The first builder's run: the chain built by the host's Nix with a signing key; returns its secret key."""
    secret, public = tmp_path / "builder-1.sec", tmp_path / "builder-1.pub"
    proc.run(["nix-store", "--generate-binary-cache-key", "builder-1", secret, public])
    assert chain.build("--sign-key", str(secret)) == 0
    return secret


def nix_dir(tmp: Path, name: str, scripts: dict[str, str] | None = None) -> Path:
    """A bin/ directory of the host's Nix at another path: every program a symlink to its binary, or a script."""
    bin_dir = tmp / name / "bin"
    bin_dir.mkdir(parents=True)
    for program in nix.PROGRAMS:
        path = bin_dir / program
        if scripts and program in scripts:
            path.write_text(scripts[program])
            path.chmod(0o755)
        else:
            path.symlink_to(HOST_NIX)
    return bin_dir


def out_dir(chain: Chain) -> Path:
    return chain.root / "build-logs" / "verify-with" / "stage0" / SYSTEM


def verify_with(chain: Chain, second: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = chain.cli("verify-with", str(second), "--system", SYSTEM, *args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_a_second_nix_reproduces_the_chain_and_its_log_equals_the_first(
    chain: Chain, signed: Path, tmp_path: Path, temp_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = nix_dir(tmp_path, "other-nix")
    code, out, err = verify_with(chain, second, capsys=capsys)
    assert code == 0, err
    for progress in ("[1/3] building hex0", "[2/3] building catm", "[3/3] building joined"):
        assert f"{progress} on {SYSTEM} with Nix 2.8.0 (" in err
    directory = out_dir(chain)
    assert f"{SYSTEM}: 3 steps rebuilt by Nix 2.8.0 equal their pins" in out
    assert f"3 entries equal to {chain.root / 'build-logs' / 'custody' / 'log.jsonl'}" in out
    assert "an ephemeral key, not kept" in out
    report = json.loads((directory / "report.json").read_text())
    assert report["status"] == "ok"
    assert report["second_nix"] == {"path": str(second), "version": "2.8.0"}
    assert report["log_compare"] == {"equal": True, "entries": 3}
    assert [s["name"] for s in report["steps"]] == ["hex0", "catm", "joined"]
    assert "Compared with the first builder's log" in (directory / "report.md").read_text()
    assert sorted(p.name for p in directory.glob("*.log")) == ["001-hex0.log", "002-catm.log", "003-joined.log"]
    # The same store paths as the first builder's, in a log of its own that verifies with the ephemeral key.
    first = [
        json.loads(line) for line in (chain.root / "build-logs" / "custody" / "log.jsonl").read_text().splitlines()
    ]
    ours = [json.loads(line) for line in (directory / "custody.jsonl").read_text().splitlines()]
    assert [(e["step"], e["drv"], e["out"], e["nar_hash"]) for e in ours] == [
        (e["step"], e["drv"], e["out"], e["nar_hash"]) for e in first
    ]
    assert {e["sig"].split(":")[0] for e in ours} == {"rootstock-verify-with-ephemeral"}
    custody_log, public = str(directory / "custody.jsonl"), str(directory / "custody.pub")
    assert chain.cli("log", "verify", "--log", custody_log, "--key", public) == 0
    assert list(temp_dirs.iterdir()) == []


@pytest.mark.slow
def test_a_single_nix_binary_and_a_sign_key(
    chain: Chain, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "elsewhere" / "nix"
    binary.parent.mkdir()
    binary.symlink_to(HOST_NIX)
    code, out, err = verify_with(chain, binary, "--sign-key", str(signed), capsys=capsys)
    assert code == 0, err
    assert f"custody log {out_dir(chain) / 'custody.jsonl'} signed by 'builder-1';" in out
    assert not (out_dir(chain) / "custody.pub").exists()


def tamper_scripts(tmp: Path, chain: Chain) -> dict[str, str]:
    """A nix-build that has Nix's sandbox show catm's builder another source (seed.hex0, which assembles to the
    hex0 binary) in place of catm.hex0, by a pre-build hook: the derivation is the same, its output is not."""
    pin = load_pins(chain.root / "pins.toml").get("src")
    src = nix.fixed_path(pin.store_name, pin.pin.hash, recursive=True)
    hook = tmp / "hook"
    hook.write_text(
        "#!/bin/sh\n"
        'case "$1" in *-catm-*) printf "extra-sandbox-paths\\n%s=%s\\n\\n" '
        f'"{src}/AMD64/catm.hex0" "{src}/AMD64/seed.hex0";; esac\n'
    )
    hook.chmod(0o755)
    return {"nix-build": f'#!/bin/sh\nexec "{HOST_NIX.parent}/nix-build" --option pre-build-hook "{hook}" "$@"\n'}


@pytest.mark.slow
def test_a_second_nix_that_builds_other_bytes_is_named_with_both_hashes_and_both_builders(
    chain: Chain, signed: Path, tmp_path: Path, temp_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = nix_dir(tmp_path, "tampering-nix", tamper_scripts(tmp_path, chain))
    code, _, err = verify_with(chain, second, capsys=capsys)
    assert (code, err.count("rootstock: error:")) == (1, 1), err
    assert f"hash mismatch for step 'catm' under the second Nix ({second}, Nix 2.8.0, key " in err
    first = json.loads((chain.root / "build-logs" / "custody" / "log.jsonl").read_text().splitlines()[1])
    assert f"expected: {chain.outputs['catm']} (pinned; the first builder (key 'builder-1'" in err
    assert f"recorded {chain.outputs['catm']})" in err and first["step"] == "catm"
    assert "(built by the second Nix)" in err
    report = json.loads((out_dir(chain) / "report.json").read_text())
    assert report["status"] == "failed" and report["failure"]["name"] == "step 'catm'"
    assert report["second_nix"]["version"] == "2.8.0"
    assert report["log_compare"] == {"equal": False, "entries": 0}
    assert (out_dir(chain) / "002-catm.log").exists()
    assert not (out_dir(chain) / "custody.jsonl").exists()
    assert list(temp_dirs.iterdir()) == []


def forged_log(chain: Chain, secret: Path, tmp: Path, **changes: str) -> tuple[Path, Entry]:
    """The first builder's log with its entry for joined changed and signed again, as another builder's would be."""
    log = chain.root / "build-logs" / "custody" / "log.jsonl"
    lines = log.read_text().splitlines()
    key = SecretKey.load(secret)
    joined = parse_line(log, 3, lines[2])
    forged = evolve(joined, **changes)
    forged = evolve(forged, fingerprint=fingerprint(forged.out, forged.nar_hash, forged.nar_size, forged.references))
    forged = evolve(forged, narinfo_sig=str(key.sign(forged.fingerprint)))
    forged = forged.signed(str(key.sign(forged.unsigned())))
    against = tmp / "first.jsonl"
    against.write_text("\n".join([*lines[:2], forged.line()]) + "\n")
    return against, joined


@pytest.mark.slow
def test_a_first_builder_log_that_disagrees_is_named_with_both_hashes(
    chain: Chain, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    against, joined = forged_log(chain, signed, tmp_path, nar_hash="sha256:" + "0" * 52)
    code, _, err = verify_with(chain, nix_dir(tmp_path, "other-nix"), "--against", str(against), capsys=capsys)
    assert (code, err.count("rootstock: error:")) == (1, 1), err
    assert (
        f"the second Nix's custody log disagrees with the first builder's at step 'joined' on {SYSTEM}: "
        f"the first builder (key 'builder-1', {against}) recorded sha256-AAAA"
    ) in err
    assert f"recorded {chain.outputs['joined']} ({joined.nar_size} bytes), both for {joined.out}" in err
    report = json.loads((out_dir(chain) / "report.json").read_text())
    assert report["status"] == "failed" and report["failure"]["name"] == "log compare"
    assert report["log_compare"] == {"equal": False, "entries": 3}


@pytest.mark.slow
def test_the_same_output_from_other_derivations_is_named(
    chain: Chain, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = chain.root / "build-logs" / "custody" / "log.jsonl"
    drv = parse_line(log, 3, log.read_text().splitlines()[2]).drv
    other = drv.replace(Path(drv).name[:32], "0" * 32)
    against, joined = forged_log(chain, signed, tmp_path, drv=other)
    code, _, err = verify_with(chain, nix_dir(tmp_path, "other-nix"), "--against", str(against), capsys=capsys)
    assert (code, err.count("rootstock: error:")) == (1, 1), err
    assert (
        f"step 'joined' on {SYSTEM}: the same output {joined.out}, but from other derivations (first builder: "
        f"{other}; second Nix: {drv})"
    ) in err
    assert json.loads((out_dir(chain) / "report.json").read_text())["log_compare"] == {"equal": False, "entries": 3}


@pytest.mark.slow
def test_bad_nix_arguments_are_one_message_and_write_nothing(
    chain: Chain, signed: Path, tmp_path: Path, temp_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain-file"
    plain.write_text("not a program\n")
    impostor = tmp_path / "impostor"
    impostor.write_text("#!/bin/sh\necho 'GNU hello 2.12'\n")
    impostor.chmod(0o755)
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'error: libnixstore.so.2.28: cannot open' >&2\nexit 127\n")
    failing.chmod(0o755)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x7fELF\x00 not really")
    garbage.chmod(0o755)
    half = tmp_path / "half" / "bin"
    half.mkdir(parents=True)
    (half / "nix").symlink_to(HOST_NIX)
    cases = {
        tmp_path / "absent": "no such file or directory (expected a nix binary or a bin/ directory holding one)",
        plain: "not executable",
        impostor: "is not a Nix: its --version printed 'GNU hello 2.12', expected 'nix (Nix) X.Y.Z'",
        failing: "`nix --version` fails (exit 127)\n  error: libnixstore.so.2.28: cannot open",
        garbage: "`nix --version` fails (exit 126)",
        half: f"second Nix {half}: not a Nix bin/ directory: lacks executable nix-build, nix-instantiate, nix-store",
    }
    for second, message in cases.items():
        code, _, err = verify_with(chain, second, capsys=capsys)
        assert (code, err.count("rootstock: error:")) == (3, 1), (second, err)
        assert message in err, (second, err)
        assert not out_dir(chain).exists()
    assert list(temp_dirs.iterdir()) == []


@pytest.mark.slow
def test_without_a_first_builder_log_it_says_what_to_run_first(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = verify_with(chain, nix_dir(tmp_path, "other-nix"), capsys=capsys)
    assert (code, err.count("rootstock: error:")) == (3, 1), err
    assert (
        f"no first-builder custody log at {chain.root / 'build-logs' / 'custody' / 'log.jsonl'}: with the first "
        f"Nix, run 'rootstock build stage0 --system {SYSTEM} --sign-key SECRET' first"
    ) in err
    assert not out_dir(chain).exists()


@pytest.mark.slow
def test_a_step_the_first_builder_signs_while_the_second_nix_builds_is_compared(
    chain: Chain, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (chain.root / "build-logs" / "custody" / "log.jsonl").read_text().splitlines(keepends=True)
    against, last = tmp_path / "first.jsonl", tmp_path / "last-line"
    against.write_text("".join(lines[:2]))
    last.write_text(lines[2])
    # The first builder appends its last entry once the second Nix is building.
    appending = f'#!/bin/sh\ncat "{last}" >> "{against}"\nexec "{HOST_NIX.parent}/nix-build" "$@"\n'
    second = nix_dir(tmp_path, "other-nix", {"nix-build": appending})
    code, out, err = verify_with(chain, second, "--against", str(against), capsys=capsys)
    assert code == 0, err
    assert f"{against} records no entry for 1 of the 3 steps to compare on {SYSTEM} (joined)" in err
    assert "before this run ends: it compares what the log holds then" in err
    assert f"3 entries equal to {against}" in out
    assert json.loads((out_dir(chain) / "report.json").read_text())["log_compare"] == {"equal": True, "entries": 3}


@pytest.mark.slow
def test_a_step_the_first_builder_never_signed_is_named_with_what_to_run(
    chain: Chain, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (chain.root / "build-logs" / "custody" / "log.jsonl").read_text().splitlines(keepends=True)
    against = tmp_path / "first.jsonl"
    against.write_text("".join(lines[:2]))
    code, _, err = verify_with(chain, nix_dir(tmp_path, "other-nix"), "--against", str(against), capsys=capsys)
    assert (code, err.count("rootstock: error:")) == (3, 1), err
    assert (
        f"rootstock: error: {against} records no entry for 1 of the 3 steps to compare on {SYSTEM} (joined): with "
        f"the first Nix, run 'rootstock build stage0 --system {SYSTEM} --sign-key SECRET' first, then verify-with "
        "again"
    ) in err
    report = json.loads((out_dir(chain) / "report.json").read_text())
    assert report["status"] == "failed" and report["log_compare"] == {"equal": False, "entries": 2}


@pytest.mark.slow
def test_an_interrupt_mid_build_removes_the_temporary_store(
    chain: Chain, signed: Path, tmp_path: Path, temp_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A nix-build that interrupts rootstock (as Ctrl-C would) once it is building, and then takes its time.
    interrupting = f'#!/bin/sh\nkill -INT $PPID\nexec "{HOST_NIX.parent}/nix-build" "$@"\n'
    second = nix_dir(tmp_path, "interrupted-nix", {"nix-build": interrupting})
    code, _, err = verify_with(chain, second, capsys=capsys)
    assert code == 130, err
    assert "rootstock: interrupted" in err
    assert list(temp_dirs.iterdir()) == []
    assert not (out_dir(chain) / "report.json").exists()
    assert not (out_dir(chain) / "custody.jsonl").exists()


def test_a_nix_that_is_not_a_nix_is_the_one_message_whatever_the_first_builders_log(
    chain: Chain, tmp_path: Path, temp_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    impostor = tmp_path / "impostor"
    impostor.write_text("#!/bin/sh\necho 'GNU true 9.1'\n")
    impostor.chmod(0o755)
    said = f"rootstock: error: second Nix {impostor} is not a Nix: its --version printed 'GNU true 9.1'"
    for against in ("garbage\n", None):  # a log that is not one, and none at all
        first = tmp_path / "first.jsonl"
        first.unlink(missing_ok=True)
        if against is not None:
            first.write_text(against)
        code, _, err = verify_with(chain, impostor, "--against", str(first), capsys=capsys)
        assert (code, err) == (3, f"{said}, expected 'nix (Nix) X.Y.Z'\n")
    assert list(temp_dirs.iterdir()) == []


@pytest.mark.slow
def test_a_first_builder_log_lacking_steps_is_no_warning_before_a_bad_nix(
    chain: Chain, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (chain.root / "build-logs" / "custody" / "log.jsonl").read_text().splitlines(keepends=True)
    against = tmp_path / "first.jsonl"
    against.write_text(lines[0])
    code, _, err = verify_with(chain, tmp_path / "absent", "--against", str(against), capsys=capsys)
    assert (code, err.count("\n")) == (3, 1), err
    assert err.startswith(f"rootstock: error: second Nix {tmp_path / 'absent'}: no such file or directory")


def test_a_first_builders_log_that_is_not_a_custody_log_is_bad_input(
    chain: Chain, tmp_path: Path, temp_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    against = tmp_path / "first.jsonl"
    against.write_text("garbage\n")
    code, _, err = verify_with(chain, nix_dir(tmp_path, "other-nix"), "--against", str(against), capsys=capsys)
    assert (code, err) == (
        3,
        f"rootstock: error: {against}: line 1: not a JSON object (Expecting value at line 1, column 1)\n",
    )
    assert not out_dir(chain).exists() and list(temp_dirs.iterdir()) == []
