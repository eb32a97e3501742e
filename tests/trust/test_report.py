"""`rootstock report` on the fixture chain's evidence (tests/trust/trust_support.py): which checks agreed for each
step, "not run" where evidence is missing, the same bytes every time, one message and nothing written on bad input,
and every file written or none."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from chain_support import Chain
from trust_support import SYSTEM, Evidence, static_build

from rootstock.trust.assemble import anchor

STEP = f"step-{SYSTEM}"


@pytest.fixture
def found(nix_store: Path, checkout: Path, tmp_path: Path) -> Evidence:
    chain = Chain(checkout, tmp_path, SYSTEM)
    stages = checkout / "stages.toml"
    # The seed and catm are audited, as stage0-posix's seeds and early programs are in the real chain.
    text = stages.read_text().replace(
        'name = "hex0"\n', 'name = "hex0"\naudit = { seed = "hex0-seed", source = "s" }\n'
    )
    text = text.replace('name = "catm"\n', 'name = "catm"\naudit = { program = "catm", kind = "hex0", source = "c" }\n')
    stages.write_text(text)
    return Evidence(chain, tmp_path)


def data(out: Path) -> dict:
    return json.loads((out / "trust.json").read_text())


def steps(report: dict) -> dict[str, dict]:
    return {s["id"]: s for c in report["chains"] for s in c["steps"]}


def evidence(step: dict) -> dict[str, tuple[str, str]]:
    return {e["kind"]: (e["status"], e["detail"]) for e in step["evidence"]}


def test_every_step_shows_which_checks_agreed(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, public = found.key()
    found.build_report()
    found.custody(secret)
    found.verify_with()
    found.audit()
    out = tmp_path / "trust"
    assert found.report("--out", str(out), "--key", str(public)) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[:3] == [str(out / "trust.html"), str(out / "trust.json"), str(out / "trust.svg")]
    assert "3 three (steps and packages by level)" in printed
    report = data(out)
    (chain,) = report["chains"]
    assert (chain["stage"], chain["system"], chain["status"]) == ("stage0", SYSTEM, "agreed")
    by_id = steps(report)
    assert list(by_id) == [f"{STEP}-hex0", f"{STEP}-catm", f"{STEP}-joined"]
    catm = by_id[f"{STEP}-catm"]
    assert catm["level"] == "three"
    assert evidence(catm) == {
        "build": ("agreed", "output equal to its pin, checked by Nix (fixed-output) and rootstock"),
        "custody": ("agreed", "signed by builder-1 (1 entry)"),
        "check": ("agreed", "rebuilt once, byte-identical"),
        "second-nix": (
            "agreed",
            "nix (Nix) 2.28.7: output equal to its pin, checked by Nix (fixed-output) and rootstock",
        ),
        "oracle": ("agreed", "fixture answers: 1 of 2 programs match, 1 differ as explained"),
        "audit": ("agreed", "all 2 checks of catm pass"),
    }
    assert catm["builder"] == "step:hex0" and catm["steps"] == [f"{STEP}-hex0"] and catm["pins"] == ["src"]
    assert catm["pinned"] == found.chain.outputs["catm"] and catm["nar_hash"].startswith("sha256:")
    assert by_id[f"{STEP}-hex0"]["level"] == "three"  # check, the second Nix and the seed's audit
    assert [p["name"] for p in report["pins"]] == ["seed", "src"]
    assert report["pins"][1]["upstream"][0].startswith(f"{found.chain.upstream.as_uri()} at ")
    assert chain["second_nix"]["status"] == "agreed" and chain["audit"]["checks"] == 4
    (custody,) = report["custody"]
    assert (custody["entries"], custody["builds"], custody["checks"], custody["status"]) == (6, 3, 3, "agreed")
    page = (out / "trust.html").read_text()
    assert f'<tr id="{STEP}-catm" class="l-three">' in page and "<script" not in page
    assert page.count("<svg") == 1 and f'href="#{STEP}-catm"' in page


def test_missing_evidence_is_not_run(found: Evidence, tmp_path: Path) -> None:
    found.build_report()
    out = tmp_path / "trust"
    assert found.report("--out", str(out)) == 0
    report = data(out)
    catm = steps(report)[f"{STEP}-catm"]
    assert catm["level"] == "one"  # the oracle alone
    assert evidence(catm)["second-nix"] == ("not run", "no verify-with report")
    assert evidence(catm)["check"] == ("not run", "no `build --check` entry in a custody log")
    assert evidence(catm)["audit"][0] == "not run"
    (chain,) = report["chains"]
    assert chain["second_nix"]["status"] == "not run" and chain["audit"] is None and report["custody"] == []
    assert "not run: no custody log" in (out / "trust.html").read_text()


def test_the_same_evidence_gives_the_same_bytes(found: Evidence, tmp_path: Path) -> None:
    secret, _ = found.key()
    found.build_report()
    found.custody(secret)
    found.verify_with()
    first, second = tmp_path / "first", tmp_path / "second"
    assert found.report("--out", str(first)) == 0
    assert found.report("--out", str(second)) == 0
    for name in ("trust.html", "trust.json", "trust.svg"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_by_default_it_reads_and_writes_build_logs(found: Evidence) -> None:
    found.build_report()
    assert found.report() == 0
    assert sorted(p.name for p in (found.logs / "trust").iterdir()) == ["trust.html", "trust.json", "trust.svg"]


def test_before_anything_was_built_it_says_so_and_writes_nothing(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "trust"
    assert found.report("--out", str(out)) == 3
    err = capsys.readouterr().err
    assert err.count("rootstock: error:") == 1
    assert f"no build report in {found.logs}: nothing to report on yet; run 'rootstock build stage0'" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("{", "malformed JSON"),
        ('{"title": 1}', "invalid build report"),
        ("[]", "not a build report: expected a JSON object"),
    ],
)
def test_a_damaged_build_report_is_one_message_naming_it(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str, says: str
) -> None:
    path = found.build_report()
    path.write_text(damage)
    out = tmp_path / "trust"
    assert found.report("--out", str(out)) == 3
    err = capsys.readouterr().err
    assert err.count("rootstock: error:") == 1 and f"{path}: " in err and says in err
    assert not out.exists()


def test_a_malformed_verify_with_report_is_refused(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found.build_report()
    path = found.verify_with(log_compare={"equal": "yes", "entries": 3})
    assert found.report("--out", str(tmp_path / "trust")) == 3
    assert f"{path}: log_compare.equal: expected a boolean" in capsys.readouterr().err
    data = json.loads(path.read_text())
    del data["second_nix"]
    path.write_text(json.dumps(data))
    assert found.report("--out", str(tmp_path / "trust")) == 3
    assert f"{path}: not a verify-with report: no second_nix" in capsys.readouterr().err
    assert not (tmp_path / "trust").exists()


def test_a_failed_build_and_a_differing_second_nix_are_written_and_fail(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found.build_report(failed_at="joined")
    found.verify_with(log_compare={"equal": False, "entries": 3})
    out = tmp_path / "trust"
    assert found.report("--out", str(out)) == 1
    err = capsys.readouterr().err
    assert "the trust report shows evidence that disagrees: chain-stage0-x86_64-linux: failed at step 'joined'" in err
    report = data(out)
    joined = steps(report)[f"{STEP}-joined"]
    assert joined["level"] == "differs" and joined["out"] == ""
    assert evidence(joined)["build"] == ("differs", "the build failed here: hash mismatch for step 'joined'")
    assert report["chains"][0]["second_nix"]["status"] == "differs"


def test_a_custody_log_that_does_not_verify_is_shown_and_fails(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, _ = found.key()
    _, other = found.key("builder-2")
    found.build_report()
    found.custody(secret)
    out = tmp_path / "trust"
    assert found.report("--out", str(out), "--key", str(other)) == 1
    assert "signed by unknown key 'builder-1' (trusted: builder-2)" in capsys.readouterr().err
    assert data(out)["custody"][0]["status"] == "differs"


def test_a_failing_audit_check_is_linked_by_its_number(found: Evidence, tmp_path: Path) -> None:
    found.build_report()
    found.audit(failures=1)
    out = tmp_path / "trust"
    assert found.report("--out", str(out)) == 1
    catm = steps(data(out))[f"{STEP}-catm"]
    assert evidence(catm)["audit"] == ("differs", "1 of 2 checks of catm fail")
    check = anchor("audit", SYSTEM, "1")
    assert [e["link"] for e in catm["evidence"] if e["kind"] == "audit"] == [check]
    page = (out / "trust.html").read_text()
    assert f'<tr id="{check}" class="l-differs">' in page and f'href="#{check}"' in page


def test_the_files_are_written_all_or_none(found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found.build_report()
    out = tmp_path / "trust"
    (out / "trust.svg").mkdir(parents=True)  # the last of the three cannot be written
    assert found.report("--out", str(out)) == 4
    assert f"cannot write {out / 'trust.svg'}" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["trust.svg"]


def test_anchors_keep_distinct_names_distinct() -> None:
    assert anchor("step", "M0.hex2") == "step-M0.2ehex2"
    assert anchor("step", "M0.hex2") != anchor("step", "M0_hex2")


def test_the_static_nix_with_its_packages_and_sbom(found: Evidence, tmp_path: Path) -> None:
    logs = static_build(found, checked=True)
    out = tmp_path / "trust"
    assert found.report("--out", str(out)) == 0  # the static build alone is something to report on
    report = data(out)
    assert report["chains"][0]["status"] == "not run"
    (static,) = report["static"]
    assert (static["toolchain"], static["status"], static["report"]) == ("host", "agreed", str(logs / "report.json"))
    assert [(p["name"], p["level"], p["steps"]) for p in static["steps"]] == [
        ("host", "one", []),
        ("lib", "one", ["pkg-host-host"]),
        ("app", "one", ["pkg-host-lib"]),
    ]
    assert dict(static["result"])["checked"] == "True"
    sbom = static["sbom"]
    assert (sbom["rows"], sbom["by_type"], sbom["by_usage"]) == (
        2,
        [["deb", 1], ["source", 1]],
        [["build", 1], ["link", 1]],
    )
    page = (out / "trust.html").read_text()
    assert 'href="data:text/csv;charset=utf-8;base64,' in page and "Binary: app." in page


def test_a_static_build_without_second_builds_says_not_run(found: Evidence, tmp_path: Path) -> None:
    static_build(found, checked=False)
    assert found.report("--out", str(tmp_path / "trust")) == 0
    (static,) = data(tmp_path / "trust")["static"]
    assert {p["level"] for p in static["steps"]} == {"pinned"}
    assert evidence(static["steps"][1])["check"] == ("not run", "built once (no --check)")


def test_a_custody_entry_about_other_data_differs(found: Evidence, tmp_path: Path) -> None:
    secret, _ = found.key()
    found.build_report()
    log = found.custody(secret, modes=("build",))
    lines = log.read_text().splitlines(keepends=True)
    entry = json.loads(lines[1])
    moved = json.dumps(entry | {"pinned": "sha256-" + "B" * 43 + "="}, sort_keys=True, separators=(",", ":"))
    log.write_text(lines[0] + moved + "\n" + lines[2])
    assert found.report("--out", str(tmp_path / "trust")) == 1
    catm = steps(data(tmp_path / "trust"))[f"{STEP}-catm"]
    status, detail = evidence(catm)["custody"]
    assert status == "differs" and detail.startswith("entry 2 disagrees with the data: pinned 'sha256-BBB")


def test_a_ddc_verdict_is_read_from_its_report() -> None:
    from rootstock.runner.report import BuildReport, Failure
    from rootstock.trust.assemble import ddc_verdict

    equal = BuildReport("ddc", "tinycc", (), result={"verdict": "equal"})
    assert ddc_verdict(equal) == ("agreed", "tcc-host2 and tcc-chain2 are identical")
    message = "ddc 'tinycc': tcc-host2 differs from tcc-chain2 first at byte offset 7"
    differ = BuildReport("ddc", "tinycc", (), status="failed", failure=Failure("the ddc comparison", message, ""))
    assert ddc_verdict(differ) == ("differs", message)


def test_a_damaged_custody_log_is_one_message_naming_its_line(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, _ = found.key()
    found.build_report()
    log = found.custody(secret)
    log.write_text(log.read_text()[:-10])
    out = tmp_path / "trust"
    assert found.report("--out", str(out)) == 3  # a file that is not a custody log, as `log verify` says of it
    err = capsys.readouterr().err
    assert err.count("rootstock: error:") == 1
    assert f"{log}: line 6: truncated: the last line has no newline" in err
    assert not out.exists()


def test_a_later_stages_second_nix_counts_for_the_earlier_stage(found: Evidence, tmp_path: Path) -> None:
    stages = found.root / "stages.toml"
    # joined becomes stage 1: verify-with stage1 rebuilds stage 0 first, so its report records hex0 and catm too.
    stages.write_text(stages.read_text().replace('name = "joined"\n', 'name = "joined"\nstage = "stage1"\n'))
    found.build_report()
    path = found.verify_with()
    later = path.parents[1].parent / "stage1" / SYSTEM
    later.mkdir(parents=True)
    path.rename(later / "report.json")
    assert found.report("--out", str(tmp_path / "trust")) == 0
    report = data(tmp_path / "trust")
    assert [(c["stage"], c["second_nix"]["status"]) for c in report["chains"]] == [
        ("stage0", "not run"),
        ("stage1", "agreed"),
    ]
    status, detail = evidence(steps(report)[f"{STEP}-catm"])["second-nix"]
    assert status == "agreed" and detail.startswith("nix (Nix) 2.28.7, rebuilding stage1: output equal to its pin")


def edit_step(path: Path, name: str, **changes: object) -> None:
    data = json.loads(path.read_text())
    (step,) = [s for s in data["steps"] if s["name"] == name]
    step.update(changes)
    path.write_text(json.dumps(data, indent=2) + "\n")


def test_a_build_report_whose_out_is_not_the_custody_logs_differs(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, public = found.key()
    report = found.build_report()
    log = found.custody(secret)
    forged = "/nix/store/" + "0" * 32 + "-hex0"
    edit_step(report, "hex0", out=forged)
    out = tmp_path / "trust"
    assert found.report("--out", str(out), "--key", str(public)) == 1
    said = f"the build report records out {forged}, but entry 1 of {log} records /nix/store/{'h' * 32}-hex0"
    err = capsys.readouterr().err
    assert err == f"rootstock: error: the trust report shows evidence that disagrees: {STEP}-hex0: {said}\n"
    hex0 = steps(data(out))[f"{STEP}-hex0"]
    assert hex0["level"] == "differs"
    assert evidence(hex0)["custody"] == ("differs", said)


def test_a_build_report_whose_pinned_is_not_the_plans_differs(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = found.build_report()
    catm = found.chain.outputs["catm"]
    forged = "sha256-" + "B" * 43 + "="
    edit_step(report, "catm", pinned=forged)
    out = tmp_path / "trust"
    assert found.report("--out", str(out)) == 1
    said = f"the build report records pinned '{forged}', but stages.toml pins '{catm}'"
    err = capsys.readouterr().err
    assert err == f"rootstock: error: the trust report shows evidence that disagrees: {STEP}-catm: {said}\n"
    assert evidence(steps(data(out))[f"{STEP}-catm"])["build"] == ("differs", said)
    # The second Nix's report is held to the same pins.
    report.write_text(report.read_text().replace(forged, catm))
    found.verify_with()
    path = found.logs / "verify-with" / "stage0" / SYSTEM / "report.json"
    edit_step(path, "catm", pinned=forged)
    assert found.report("--out", str(out)) == 1
    assert f"{STEP}-catm: nix (Nix) 2.28.7: {said}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d["steps"][1].update(seconds="fast"), "steps[1].seconds: expected a number, got a string 'fast'"),
        (lambda d: d.update(extra=1), "unknown key(s) extra"),
        (lambda d: d["steps"][0].update(log=None), "steps[0].log: expected a string, got null"),
        (lambda d: d.update(steps={}), "steps: expected an array, got an object {}"),
        (lambda d: d.update(steps=[1]), "steps[0]: expected an object, got an integer 1"),
    ],
)
def test_a_report_field_of_the_wrong_type_is_named_in_json_words(
    found: Evidence, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Callable[[dict], None], says: str
) -> None:
    path = found.build_report()
    data_ = json.loads(path.read_text())
    change(data_)
    path.write_text(json.dumps(data_))
    assert found.report("--out", str(tmp_path / "trust")) == 3
    assert capsys.readouterr().err == f"rootstock: error: {path}: {says}\n"
    assert not (tmp_path / "trust").exists()
