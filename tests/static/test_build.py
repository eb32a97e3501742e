"""`rootstock build nix-static` on a fixture recipe: three packages (a Makefile library, a header-only CMake
package and a CMake program) built from pinned tarballs with the host's GCC in the Nix sandbox, the result
checked and its SBOM derived from the build's own evidence; and every bad input stopped by name."""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import tarfile
from pathlib import Path

import pytest

from common_support import REPO
from rootstock import render
from rootstock.cli import main
from rootstock.core.nar import flat_hash
from rootstock.errors import BuildError, HashMismatchError, InputError, MirrorMissingError, NotReproducibleError
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.project import Project
from rootstock.sbom.errors import NotStaticError
from rootstock.static.build import StaticBuild, build_static

FIXTURES = REPO / "tests" / "fixtures" / "static"
pytestmark = pytest.mark.slow

RECIPE = """
system = "x86_64-linux"
host_paths = ["/bin", "/usr", "/lib", "/lib64", "/etc/alternatives"]
host_tools = ["/usr/bin/sh", "/usr/bin/make", "/usr/bin/cmake", "/usr/bin/ninja"]
default_toolchain = "host"
subject = "app"
binary = "bin/app"
version_output = "app 1.0"
source_date_epoch = 315532800

[toolchain.host]
kind = "host"
cc = ["/usr/bin/gcc"]
cxx = ["/usr/bin/g++"]

[[package]]
name = "greet"
source = "greet-src"
build = "make"

[[package]]
name = "hdronly"
source = "hdronly-src"
build = "cmake"

[[package]]
name = "app"
source = "app-src"
build = "cmake"
deps = ["greet", "hdronly"]
evidence = true
link_target = "app"
"""


class FakeHost:
    """Every host file belongs to one package: the test must not depend on apt's index."""

    def owners(self, paths: list[Path]) -> dict[Path, str]:
        return {p: "host" for p in paths if str(p).startswith(("/usr/", "/lib/", "/lib64/", "/bin/"))}

    def describe(self, package: str) -> object:
        from rootstock.sbom.hostdb import HostPackage

        return HostPackage(package, "1.0", "amd64", (), "https://example.org/host.deb", "0" * 64)


def tarball(name: str, out: Path) -> Path:
    """A deterministic tarball of a fixture package: its pinned upstream release."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted((FIXTURES / name).rglob("*")):
            info = tar.gettarinfo(path, arcname=f"{name}-1.0/{path.relative_to(FIXTURES / name)}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with path.open("rb") if path.is_file() else io.BytesIO() as data:
                tar.addfile(info, data if path.is_file() else None)
    return out


class Checkout:
    """A rootstock checkout holding the fixture recipe, its pins and the real Nix library and scripts."""

    def __init__(self, root: Path, upstream: Path) -> None:
        self.root = root
        # Upstream is unreachable, as at an air-gapped site: the releases are in the mirror only.
        self.mirror = upstream / "mirror"
        for part in ("templates", "nix/lib", "nix/static"):
            shutil.copytree(REPO / part, root / part)
        shutil.copy(REPO / "nix" / "default.nix", root / "nix" / "default.nix")
        (root / "stages.toml").write_text("# no bootstrap steps\n")
        self.tarballs = {name: tarball(name, upstream / f"{name}-1.0.tar.gz") for name in ("greet", "hdronly", "app")}
        (self.mirror / "files").mkdir(parents=True)
        for path in self.tarballs.values():
            shutil.copy(path, self.mirror / "files" / f"sha256-{flat_hash(path).hex}")
        self.write(RECIPE)

    def write(self, recipe: str) -> None:
        pins = ""
        for name, path in self.tarballs.items():
            pin_hash = flat_hash(path).sri
            pins += (
                f'[pins.{name}-src]\nkind = "tarball"\nurls = ["https://example.org/{path.name}"]\nversion = "1.0"\n'
                f'hash = "{pin_hash}"\n\n'
            )
        (self.root / "pins.toml").write_text(pins)
        (self.root / "static-nix.toml").write_text(recipe)

    def project(self, mirror: Path | None = None) -> Plan:
        plan = Plan.load(Project.load(GlobalOptions(self.root, self.root / "pins.toml", mirror, verbose=False)))
        render.write(self.root, render.render_all(plan))
        return plan

    def build(
        self,
        mirror: Path | None = None,
        toolchain: str | None = None,
        *,
        check: bool = False,
    ) -> StaticBuild:
        project = self.project(mirror or self.mirror)
        logs = self.root / "logs"
        return build_static(
            project,
            toolchain=toolchain,
            log_dir=logs,
            cores=2,
            host=FakeHost(),
            heartbeat_seconds=0,
            check=check,
        )


@pytest.fixture
def checkout(nix_store: Path, tmp_path: Path) -> Checkout:
    return Checkout(tmp_path / "checkout", tmp_path / "upstream")


def progress(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("rootstock") and r.levelno == logging.INFO]


def test_builds_checks_and_derives_the_sbom_from_evidence(checkout: Checkout, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="rootstock")
    result = checkout.build()
    said = progress(caplog)
    assert [line.split(" (")[0] for line in said if not line.startswith(" ")][:4] == [
        "[1/4] building toolchain host with host",
        "[2/4] building package greet with host",
        "[3/4] building package hdronly with host",
        "[4/4] building package app with host",
    ]
    # The build tool's own counter is relayed while a package builds (every 0 s here).
    assert any(line.startswith("    package 'app': [") and "Linking CXX executable" in line for line in said)
    assert [(p.target.kind, p.target.name) for p in result.packages] == [
        ("toolchain", "host"),
        ("package", "greet"),
        ("package", "hdronly"),
        ("package", "app"),
    ]
    assert result.version == "app 1.0"
    assert result.binary.name == "app" and result.size > 0
    logs = result.report_dir
    assert (logs / "004-app.log").read_text().count("rootstock: app: ") >= 3
    rows = {row["name"]: row for row in csv.DictReader((logs / "sbom.csv").open())}
    # The header-only package is linked: its code reached the binary, as the compiler's dependency files show.
    assert rows["hdronly"]["usage"] == "link"
    assert rows["greet"]["usage"] == "link"
    assert rows["greet"]["checksum"] == "sha256:" + flat_hash(checkout.tarballs["greet"]).hex
    assert rows["greet"]["url"] == "https://example.org/greet-1.0.tar.gz"
    assert rows["host"]["type"] == "deb"
    assert "app" not in rows
    report = (logs / "report.md").read_text()
    assert "| 3 | hdronly | `source pin hdronly-src` |" in report and result.sha256 in report
    assert json.loads((logs / "report.json").read_text())["status"] == "ok"


def test_a_changed_source_stops_before_building_naming_the_pin(checkout: Checkout) -> None:
    served = checkout.mirror / "files" / f"sha256-{flat_hash(checkout.tarballs['hdronly']).hex}"
    served.write_bytes(served.read_bytes() + b"\0")
    with pytest.raises(HashMismatchError, match="pin 'hdronly-src'"):
        checkout.build()
    assert not (checkout.root / "logs").exists()


def test_a_source_missing_from_the_mirror_is_named(checkout: Checkout, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "files").mkdir(parents=True)
    with pytest.raises(MirrorMissingError, match=r"pin .(app|greet|hdronly)-src"):
        checkout.build(mirror)


def test_a_toolchain_that_links_dynamically_fails_at_the_probe(
    checkout: Checkout, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Outside the test's own directory, which holds its Nix store: the sandbox mounts this one directory.
    tools = tmp_path_factory.mktemp("tools")
    dynamic = tools / "dyncc"
    dynamic.write_text('#!/bin/sh\nfor a do shift; [ "$a" = -static ] || set -- "$@" "$a"; done\nexec gcc "$@"\n')
    dynamic.chmod(0o755)
    recipe = RECIPE.replace('cc = ["/usr/bin/gcc"]', f'cc = ["{dynamic}"]')
    checkout.write(recipe.replace('"/etc/alternatives"]', f'"/etc/alternatives", "{tools}"]'))
    with pytest.raises(NotStaticError, match=r"built by toolchain 'host'\) is not a fully static binary"):
        checkout.build()


def test_a_package_that_fails_is_named_with_its_log(checkout: Checkout) -> None:
    checkout.write(RECIPE.replace('build = "make"', 'build = "make"\nmake_flags = ["no-such-target"]'))
    with pytest.raises(BuildError, match=r"package 'greet' failed to build; log: .*002-greet\.log") as caught:
        checkout.build()
    logs = checkout.root / "logs" / "nix-static" / "host"
    assert "no-such-target" in (logs / "002-greet.log").read_text()
    assert "Traceback" not in str(caught.value)
    report = json.loads((logs / "report.json").read_text())
    assert report["status"] == "failed"
    assert report["failure"]["name"] == "package 'greet'"
    assert [step["name"] for step in report["steps"]] == ["host"]


def test_a_result_that_prints_another_version_fails(checkout: Checkout) -> None:
    checkout.write(RECIPE.replace('version_output = "app 1.0"', 'version_output = "app 2.0"'))
    with pytest.raises(BuildError, match=r"printed 'app 1.0', expected 'app 2.0'"):
        checkout.build()


def test_an_unknown_toolchain_is_refused(checkout: Checkout) -> None:
    with pytest.raises(InputError, match=r"no toolchain 'zig' \(toolchains: host\)"):
        checkout.build(toolchain="zig")


def test_check_builds_every_package_twice_and_finds_each_out_identical(
    checkout: Checkout, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rootstock")
    result = checkout.build(check=True)
    assert "[4/4] building package app a second time" in [line.split(" (")[0] for line in progress(caplog)]
    assert result.checked
    assert "every `out` is bit-identical" in (result.report_dir / "report.md").read_text()
    recorded = json.loads((result.report_dir / "report.json").read_text())["result"]
    assert recorded == {
        "binary": str(result.binary),
        "checked": True,
        "sha256": result.sha256,
        "size": result.size,
        "version": result.version,
    }
    # A build stamp does not break it: the builds get SOURCE_DATE_EPOCH, not the clock.
    greet = next(p for p in result.packages if p.target.name == "greet")
    assert (greet.out / "share" / "built-on").read_text() == "Tue Jan  1 00:00:00 UTC 1980\n"
    # app's evidence output records timings, so it is not compared; the second builds leave the store.
    seconds = sorted(p.name for p in (result.report_dir / "second-builds").iterdir())
    assert seconds == ["app-1.0.log", "greet-1.0.log", "hdronly-1.0.log", "toolchain-host.log"]
    store = result.binary.parents[2]
    assert sorted(p.name[33:] for p in store.iterdir() if p.name.endswith(("-app-1.0", "-app-1.0-evidence"))) == [
        "app-1.0",
        "app-1.0-evidence",
    ]


def test_check_names_a_package_that_is_not_reproducible(checkout: Checkout) -> None:
    checkout.write(RECIPE.replace('build = "make"', 'build = "make"\nmake_flags = ["NOISE=1"]'))
    with pytest.raises(
        NotReproducibleError, match=r"package 'greet' is not reproducible: .*lib/noise: contents differ"
    ):
        checkout.build(check=True)


@pytest.mark.parametrize(
    ("flags", "message"), [(["--until", "app"], "--until"), (["--system", "i686-linux"], "--system")]
)
def test_stage0_options_are_refused_for_nix_static(
    checkout: Checkout, flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout.project()
    with pytest.raises(SystemExit) as exited:
        main(["--root", str(checkout.root), "build", "nix-static", *flags])
    assert exited.value.code == 2
    assert f"unrecognized arguments: {message}" in capsys.readouterr().err
