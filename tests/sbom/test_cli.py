"""`rootstock sbom` through the real CLI parser and handlers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rootstock.cli import build_parser, main
from rootstock.commands.sbom import run_derive
from rootstock.host import proc
from rootstock.options import GlobalOptions
from sbom_support import FakeHost, FixtureBuild, build_fixture


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pins.toml").write_text("")
    return tmp_path


def test_derive_writes_all_three_documents(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    b = build_fixture(root / "w")
    out = root / "out"
    out.mkdir()
    args = build_parser().parse_args(
        [
            *derive_args(root, b),
            "--map",
            str(b.map),
            "--csv",
            str(out / "sbom.csv"),
            "--cyclonedx",
            str(out / "sbom.cdx.json"),
            "--spdx",
            str(out / "sbom.spdx.json"),
        ]
    )
    assert run_derive(GlobalOptions.from_args(args, {}), args, host=FakeHost()) == 0
    printed = capsys.readouterr().out
    assert "source link  hdronly 1.0" in printed
    assert "finding: source:hdronly: its headers were compiled into the binary" in printed
    assert (out / "sbom.csv").read_text().startswith("name,type,usage,url,checksum\n")
    assert json.loads((out / "sbom.cdx.json").read_text())["specVersion"] == "1.6"
    assert json.loads((out / "sbom.spdx.json").read_text())["creationInfo"]["created"] == "2023-11-14T22:13:20Z"


def test_derive_without_link_evidence_is_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = build_fixture(root / "w", ("greet", "hdronly"))
    code = main(derive_args(root, b))
    assert code == 3
    assert "no linker trace" in capsys.readouterr().err


def test_check_static(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = root / "a.c"
    src.write_text("int main(void) { return 0; }\n")
    proc.run(["gcc", "-static", "-o", str(root / "static"), str(src)])
    proc.run(["gcc", "-o", str(root / "dynamic"), str(src)])
    assert main(["--root", str(root), "sbom", "check-static", str(root / "static")]) == 0
    assert "no PT_INTERP, no DT_NEEDED" in capsys.readouterr().out
    assert main(["--root", str(root), "sbom", "check-static", str(root / "static"), str(root / "dynamic")]) == 1
    err = capsys.readouterr().err
    assert f"rootstock: error: {root / 'dynamic'} is not a fully static binary" in err
    assert "Traceback" not in err


def test_probe_toolchain(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(root), "sbom", "probe-toolchain", "--workdir", str(root / "p"), "gcc", "-static"]) == 0
    assert main(["--root", str(root), "sbom", "probe-toolchain", "--workdir", str(root / "q"), "gcc"]) == 1
    assert "(built by toolchain gcc) is not a fully static binary" in capsys.readouterr().err


def derive_args(root: Path, b: FixtureBuild) -> list[str]:
    """`sbom derive` of a fixture build, without link evidence or outputs."""
    return [
        *("--root", str(root), "sbom", "derive", "--manifest", str(b.manifest)),
        *("--binary", str(b.binary), "--build-dir", str(b.build_dir)),
    ]
