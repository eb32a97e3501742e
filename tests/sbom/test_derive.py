"""End-to-end derivation on a real gcc/g++ build of the fixture libraries and program."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rootstock.errors import HashMismatchError, InputError
from rootstock.sbom import csv, cyclonedx, spdx
from rootstock.sbom.derive import BuildEvidence, derive_from_file
from rootstock.sbom.errors import MissingSourceError, UnaccountedInputError
from rootstock.sbom.model import Licence, Party, Sbom, Usage
from sbom_support import FakeHost, FixtureBuild, build_fixture

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture
def fixture_build(tmp_path: Path) -> FixtureBuild:
    return build_fixture(tmp_path / "w")


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


def derive(b: FixtureBuild, host: FakeHost, *, traces: bool = True, maps: bool = True) -> Sbom:
    build = BuildEvidence(
        binary=b.binary,
        build_dirs=(b.build_dir,),
        link_dir=b.build_dir,
        traces=(b.trace,) if traces else (),
        maps=(b.map,) if maps else (),
    )
    return derive_from_file(b.manifest, build=build, host=host)


def usages(sbom: Sbom) -> dict[str, str]:
    return {c.ref: c.usage.value for c in sbom.components}


def test_usage_comes_from_build_evidence(fixture_build: FixtureBuild, host: FakeHost) -> None:
    sbom = derive(fixture_build, host)
    assert usages(sbom) == {
        "source:greet": "link",  # a member of its static archive was linked
        "source:hdronly": "link",  # header-only, but its header reached main.o
        "source:unusedlib": "build",  # on the link line, yet no member was taken
        "source:gentool": "build",  # ships only a tool
        "deb:host-toolchain": "both",  # libc.a members and crt objects linked; gcc ran
    }
    by_ref = {c.ref: c for c in sbom.components}
    assert "linked member: libgreet.a(greet.o)" in by_ref["source:greet"].evidence
    assert not any("unused.o" in e for e in by_ref["source:greet"].evidence)
    assert "compiled in: hdronly.hpp" in by_ref["source:hdronly"].evidence
    assert {f.component: f.message for f in sbom.findings} == {
        "source:hdronly": "its headers were compiled into the binary (header-only code); "
        "the contents rule alone says build",
        "source:unusedlib": "it ships a static archive, but nothing of it reached the binary",
    }


@pytest.mark.parametrize(("traces", "maps"), [(True, False), (False, True)])
def test_trace_and_map_each_suffice(fixture_build: FixtureBuild, host: FakeHost, traces: bool, maps: bool) -> None:
    assert usages(derive(fixture_build, host, traces=traces, maps=maps)) == usages(derive(fixture_build, host))


def test_csv_rows(fixture_build: FixtureBuild, host: FakeHost) -> None:
    sbom = derive(fixture_build, host)
    lines = csv.render(sbom).splitlines()
    assert lines[0] == "name,type,usage,url,checksum"
    greet = next(line for line in lines if line.startswith("greet,"))
    archive = fixture_build.root / "sources" / "greet-1.0.tar"
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert greet == f"greet,source,link,https://example.org/src/greet-1.0.tar,sha256:{digest}"
    [purl] = [c.purl for c in sbom.components if c.name == "greet"]
    assert purl == f"pkg:generic/greet@1.0?checksum=sha256:{digest}&download_url=https://example.org/src/greet-1.0.tar"
    assert [line.split(",")[0] for line in lines[1:]] == ["host-toolchain", "gentool", "greet", "hdronly", "unusedlib"]


def test_outputs_are_byte_identical_across_build_trees(tmp_path: Path) -> None:
    texts = []
    for where in ("one", "two"):
        sbom = derive(build_fixture(tmp_path / where), FakeHost())
        texts.append((csv.render(sbom), cyclonedx.render(sbom, EPOCH), spdx.render(sbom, EPOCH)))
    assert texts[0] == texts[1]


def test_adding_a_dependency_rederives(tmp_path: Path) -> None:
    before = derive(build_fixture(tmp_path / "before"), FakeHost())
    after = derive(
        build_fixture(tmp_path / "after", (*("greet", "hdronly", "unusedlib", "gentool"), "extra"), use_extra=True),
        FakeHost(),
    )
    assert "source:extra" not in usages(before)
    assert usages(after)["source:extra"] == "link"
    assert (
        json.loads(cyclonedx.render(before, EPOCH))["serialNumber"]
        != json.loads(cyclonedx.render(after, EPOCH))["serialNumber"]
    )


def test_removing_an_unused_dependency_drops_its_row(tmp_path: Path) -> None:
    sbom = derive(build_fixture(tmp_path / "w", ("greet", "hdronly", "gentool")), FakeHost())
    assert set(usages(sbom)) == {"source:greet", "source:hdronly", "source:gentool", "deb:host-toolchain"}


def test_undeclared_linked_dependency_is_refused(tmp_path: Path) -> None:
    b = build_fixture(tmp_path / "w", declared=("hdronly", "unusedlib", "gentool"))
    with pytest.raises(UnaccountedInputError) as err:
        derive(b, FakeHost())
    assert "prefix/greet/lib/libgreet.a" in str(err.value)
    assert "prefix/greet/include/greet.h" in str(err.value)


def test_files_outside_the_prefix_count_when_declared(tmp_path: Path) -> None:
    sbom = derive(build_fixture(tmp_path / "w", ("greet", "hdronly"), cached={"greet": True}), FakeHost())
    [greet] = [c for c in sbom.components if c.name == "greet"]
    # Its archive now lives in cache/greet, but it is still greet's code in the binary.
    assert (greet.usage, greet.usage_from_contents) == (Usage.LINK, Usage.BUILD)
    with pytest.raises(UnaccountedInputError, match=r"cache/greet/libgreet\.a"):
        derive(build_fixture(tmp_path / "v", ("greet", "hdronly"), cached={"greet": False}), FakeHost())


def test_changed_source_names_the_dependency(fixture_build: FixtureBuild, host: FakeHost) -> None:
    archive = fixture_build.root / "sources" / "greet-1.0.tar"
    archive.write_bytes(archive.read_bytes() + b"\0")
    with pytest.raises(HashMismatchError) as err:
        derive(fixture_build, host)
    assert "dependency 'greet'" in str(err.value)
    assert "expected: sha256-" in str(err.value)


def test_missing_source_names_the_dependency(fixture_build: FixtureBuild, host: FakeHost) -> None:
    (fixture_build.root / "sources" / "hdronly-1.0.tar").unlink()
    with pytest.raises(MissingSourceError) as err:
        derive(fixture_build, host)
    assert str(err.value).startswith("dependency 'hdronly': pinned source ")


def test_contents_rule_alone_would_miss_header_only(fixture_build: FixtureBuild, host: FakeHost) -> None:
    hdronly = next(c for c in derive(fixture_build, host).components if c.name == "hdronly")
    assert (hdronly.usage_from_contents, hdronly.usage) == (Usage.BUILD, Usage.LINK)


def rewrite_manifest(b: FixtureBuild, edit: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(b.manifest.read_text())
    edit(data)
    b.manifest.write_text(json.dumps(data))


def test_tr_fields_come_from_the_pins_and_the_sources(fixture_build: FixtureBuild, host: FakeHost) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["creator"] = "https://example.org/sbom"
        data["subject"] |= {"url": "https://github.com/example/app", "source": "sources/greet-1.0.tar"}
        for dep in data["dependencies"]:
            if dep["name"] == "unusedlib":
                dep |= {"license": "0BSD", "supplier": "mailto:unused@example.org", "depends_on": ["greet"]}

    rewrite_manifest(fixture_build, edit)
    sbom = derive(fixture_build, host)
    by_ref = {c.ref: c for c in sbom.components}
    greet, hdronly, unused = by_ref["source:greet"], by_ref["source:hdronly"], by_ref["source:unusedlib"]
    assert greet.licence == Licence("MIT", "licence files: LICENSE is MIT")
    assert hdronly.licence == Licence("Zlib", "licence files: COPYING is Zlib")
    assert unused.licence == Licence(
        "0BSD",
        "hand-kept in pins.toml (no licence file (LICENSE*, LICENCE*, COPYING*, COPYRIGHT*) at the top of the source)",
    )
    assert greet.supplier == Party("example.org", url="https://example.org", rule="the host the pin is downloaded from")
    assert unused.supplier == Party("example.org", email="unused@example.org", rule="hand-kept in pins.toml")
    assert unused.depends_on == ("source:greet",)
    archive = fixture_build.root / "sources" / "greet-1.0.tar"
    assert greet.deployable is not None
    assert (greet.deployable.filename, greet.deployable.sha512) == (
        "greet-1.0.tar",
        hashlib.sha512(archive.read_bytes()).hexdigest(),
    )
    assert (greet.deployable.archive, greet.deployable.executable, greet.deployable.structured) == (True, False, True)
    subject = sbom.subject
    assert subject.supplier is not None and subject.supplier.url == "https://github.com/example"
    assert subject.licence is not None and subject.licence.expression == "MIT"
    assert subject.deployable is not None and subject.deployable.executable
    assert sbom.creator == Party("example.org", url="https://example.org/sbom", rule="stated in the manifest")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["dependencies"][0].update(license="GPLv2"),
            "dependency 'greet': hand-kept licence 'GPLv2' names identifiers not on the SPDX licence list: GPLv2",
        ),
        (
            lambda d: d["dependencies"][0].update(supplier="the greet people"),
            "dependency 'greet': expected an email address (name@example.org, or mailto:…) or an http(s) URL",
        ),
        (
            lambda d: d["dependencies"][0].update(depends_on=["zlib"]),
            "dependency 'greet': depends_on names no declared dependency: zlib",
        ),
        (lambda d: d.update(creator="us"), "manifest creator: expected an email address"),
    ],
)
def test_malformed_tr_fields_are_one_clear_error(
    fixture_build: FixtureBuild, host: FakeHost, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    rewrite_manifest(fixture_build, edit)
    with pytest.raises(InputError) as info:
        derive(fixture_build, host)
    assert message in str(info.value)
