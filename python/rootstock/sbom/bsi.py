"""`sbom check --profile bsi-tr-03183-2`: every field BSI TR-03183-2 2.1.0 requires of an SBOM (§4 formats,
§5.2.1 SBOM fields, §5.2.2 component fields) that a CycloneDX or SPDX JSON document lacks or has malformed, and
the additional fields (§5.2.3, §5.2.4: required where they exist) that it has malformed. The field-to-format
mapping is in docs/sbom.md#bsi-tr-03183-2; the CycloneDX property names and values are the BSI's taxonomy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from attrs import frozen
from packageurl import PackageURL

from rootstock.core import files
from rootstock.core.cpe import Cpe
from rootstock.core.spdx_licence import problem as licence_problem
from rootstock.errors import InputError
from rootstock.sbom import shape
from rootstock.sbom.supplier import is_email, is_url
from rootstock.schema import read_document

TR = "BSI TR-03183-2 2.1.0"
CYCLONEDX_MIN = (1, 6)
FORMATS = "CycloneDX JSON (bomFormat) or SPDX 2 JSON (spdxVersion)"
FLAGS = {
    "executable": ("executable", "non-executable"),
    "archive": ("archive", "no archive"),
    "structured": ("structured", "unstructured"),
}
_SHA512 = re.compile(r"^[0-9a-fA-F]{128}$")
_SERIAL = re.compile(r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@frozen
class Problem:
    """One missing or malformed field: where (the SBOM, or a component by name), which field, what is wrong."""

    where: str
    field: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.what}"


@frozen
class Report:
    """The check of one document."""

    path: Path
    format: str  # "CycloneDX 1.6", "SPDX 2.3"
    components: int
    problems: tuple[Problem, ...]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _contact(values: list[str]) -> str | None:
    """What is wrong with a creator named by these emails and URLs, or None when one of them is well formed."""
    given = [v for v in values if v]
    if not given:
        return "missing (an email address or a URL)"
    if any(is_email(v.removeprefix("mailto:")) or is_url(v) for v in given):
        return None
    return f"malformed: {', '.join(repr(v) for v in given)} is no email address or http(s) URL"


def _timestamp(value: object) -> str | None:
    if not value:
        return "missing"
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return f"malformed: {value!r} is not an ISO 8601 date and time"
    return None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _entity_contacts(entity: dict[str, Any]) -> list[str]:
    return [str(u) for u in _list(entity.get("url"))] + [
        str(c.get("email", "")) for c in _list(entity.get("contact")) if isinstance(c, dict)
    ]


def _cdx_creator(item: dict[str, Any]) -> list[str]:
    """Emails and URLs naming whoever made an item: CycloneDX 1.6 manufacturer or supplier, or authors."""
    found = _entity_contacts(_dict(item.get("manufacturer"))) + _entity_contacts(_dict(item.get("supplier")))
    return found + [str(a.get("email", "")) for a in _list(item.get("authors")) if isinstance(a, dict)]


def _cdx_properties(c: dict[str, Any], where: str) -> Iterator[Problem]:
    """The BSI taxonomy's filename and its three flags, each exactly once with one of its values."""
    props: dict[str, list[str]] = {}
    for p in _list(c.get("properties")):
        if isinstance(p, dict) and isinstance(p.get("name"), str):
            props.setdefault(p["name"], []).append(str(p.get("value", "")))
    filenames = props.get("bsi:component:filename", [])
    if not filenames or not filenames[0]:
        yield Problem(where, "filename (bsi:component:filename)", "missing")
    elif len(filenames) > 1 or "/" in filenames[0]:
        yield Problem(where, "filename (bsi:component:filename)", f"malformed: {filenames!r} (one name, not a path)")
    for flag, allowed in FLAGS.items():
        values = props.get(f"bsi:component:{flag}", [])
        if not values:
            yield Problem(where, f"bsi:component:{flag}", "missing")
        elif len(values) > 1 or values[0] not in allowed:
            yield Problem(
                where, f"bsi:component:{flag}", f"malformed: {values!r} (exactly one of {' | '.join(allowed)})"
            )


def _cdx_component(c: dict[str, Any], where: str, graph: dict[str, Any]) -> Iterator[Problem]:
    for key in ("name", "version"):
        if not c.get(key):
            yield Problem(where, key, "missing")
    if (why := _contact(_cdx_creator(c))) is not None:
        yield Problem(where, "creator (manufacturer/supplier url or contact email)", why)
    yield from _cdx_properties(c, where)
    yield from _cdx_licences(c, where)
    references = [r for r in _list(c.get("externalReferences")) if isinstance(r, dict)]
    digests = [h for h in _list(c.get("hashes")) if isinstance(h, dict)]
    digests += [h for r in references if r.get("type") == "distribution" for h in _list(r.get("hashes"))]
    sha512 = [str(h.get("content", "")) for h in digests if isinstance(h, dict) and h.get("alg") == "SHA-512"]
    if not sha512:
        yield Problem(where, "hash (SHA-512 of the deployable component)", "missing")
    elif not all(_SHA512.match(d) for d in sha512):
        yield Problem(where, "hash (SHA-512 of the deployable component)", "malformed: not 128 hex digits")
    yield from _cdx_dependencies(c, where, graph)
    yield from _identifiers(c.get("cpe"), c.get("purl"), where)
    for r in references:
        if r.get("type") in ("vcs", "source-distribution", "distribution") and not r.get("url"):
            yield Problem(where, f"externalReferences ({r.get('type')})", "malformed: no url")


def _cdx_licences(c: dict[str, Any], where: str) -> Iterator[Problem]:
    distribution = []
    for listed in _list(c.get("licenses")):
        entry = _dict(listed)
        inner = _dict(entry.get("license"))
        if entry.get("acknowledgement", inner.get("acknowledgement")) == "declared":
            continue  # the original licence (additional field); the distribution licence is the concluded one
        if "expression" in entry:
            distribution.append(str(entry["expression"]))
        elif inner.get("id"):
            distribution.append(str(inner["id"]))
        elif inner:
            yield Problem(where, "distribution licence", f"malformed: {inner.get('name')!r} is no SPDX identifier")
    if not distribution:
        yield Problem(where, "distribution licence (licenses[].expression, concluded)", "missing")
    for expression in distribution:
        if (why := licence_problem(expression)) is not None:
            yield Problem(where, "distribution licence", f"malformed: {why}")


def _cdx_dependencies(c: dict[str, Any], where: str, graph: dict[str, Any]) -> Iterator[Problem]:
    ref = c.get("bom-ref")
    if not ref:
        yield Problem(where, "dependencies", "missing (the component has no bom-ref to list them under)")
        return
    if ref not in graph["entries"]:
        yield Problem(where, "dependencies", f"missing (no dependencies[] entry for {ref})")
    for target in graph["entries"].get(ref, []):
        if target not in graph["refs"]:
            yield Problem(where, "dependencies", f"malformed: dependsOn {target!r} is no component's bom-ref")
    if ref not in graph["assessed"]:
        yield Problem(where, "dependencies completeness (compositions[].aggregate)", f"missing for {ref}")


def _identifiers(cpe: object, purl: object, where: str) -> Iterator[Problem]:
    if cpe:
        try:
            Cpe.parse(str(cpe))
        except ValueError as exc:
            yield Problem(where, "cpe", f"malformed: {exc}")
    if purl:
        try:
            PackageURL.from_string(str(purl))
        except ValueError as exc:
            yield Problem(where, "purl", f"malformed: {exc}")


def _cyclonedx(data: dict[str, Any]) -> tuple[str, int, list[Problem]]:
    spec = str(data.get("specVersion", ""))
    problems = []
    if _version(spec) < CYCLONEDX_MIN:
        problems.append(Problem("SBOM", "specVersion", f"{spec!r}: {TR} accepts CycloneDX 1.6 or later"))
    metadata = shape.table(data, "metadata")
    if (why := _contact(_cdx_creator(metadata))) is not None:
        problems.append(Problem("SBOM", "creator (metadata.manufacturer url or contact email)", why))
    if (why := _timestamp(metadata.get("timestamp"))) is not None:
        problems.append(Problem("SBOM", "timestamp (metadata.timestamp)", why))
    if data.get("serialNumber") and not _SERIAL.match(str(data["serialNumber"])):
        problems.append(Problem("SBOM", "SBOM-URI (serialNumber)", f"malformed: {data['serialNumber']!r}"))
    if data.get("vulnerabilities"):
        problems.append(Problem("SBOM", "vulnerabilities", f"present: {TR} §3.1 keeps them out of the SBOM"))
    items = [(f"subject {_dict(metadata.get('component')).get('name', '?')}", _dict(metadata.get("component")))]
    items += [
        (f"component {_dict(c).get('name', f'#{i}')}", _dict(c)) for i, c in enumerate(shape.array(data, "components"))
    ]
    entries = {
        str(d.get("ref")): [str(x) for x in _list(d.get("dependsOn"))]
        for d in shape.array(data, "dependencies")
        if isinstance(d, dict)
    }
    assessed = {
        str(r)
        for comp in shape.array(data, "compositions")
        if isinstance(comp, dict) and comp.get("aggregate")
        for r in _list(comp.get("dependencies")) + _list(comp.get("assemblies"))
    }
    graph = {"entries": entries, "assessed": assessed, "refs": {c.get("bom-ref") for _, c in items}}
    if not metadata.get("component"):
        problems.append(Problem("SBOM", "metadata.component", "missing (the primary component the SBOM describes)"))
        items = items[1:]
    for where, c in items:
        problems.extend(_cdx_component(c, where, graph))
    return f"CycloneDX {spec}", len(items), problems


def _spdx_actor(text: str) -> list[str]:
    """The email or URL in an SPDX 2 actor string (`Organization: name (email)`)."""
    _, _, rest = text.partition(":")
    email = re.search(r"\(([^)]*)\)\s*$", rest)
    name = rest[: email.start()].strip() if email else rest.strip()
    return [email.group(1).strip() if email else "", name if is_url(name) else ""]


def _spdx_package(p: dict[str, Any]) -> Iterator[Problem]:
    where = f"package {p.get('name', p.get('SPDXID', '?'))}"
    for key in ("name", "versionInfo"):
        if not p.get(key):
            yield Problem(where, key, "missing")
    made = _spdx_actor(str(p.get("originator", ""))) + _spdx_actor(str(p.get("supplier", "")))
    if (why := _contact(made)) is not None:
        yield Problem(where, "creator (originator or supplier)", why)
    name = str(p.get("packageFileName", ""))
    if not name or "/" in name:
        yield Problem(where, "filename (packageFileName)", "missing" if not name else f"malformed: {name!r}")
    concluded = str(p.get("licenseConcluded", ""))
    if concluded in ("", "NOASSERTION", "NONE"):
        yield Problem(where, "distribution licence (licenseConcluded)", "missing")
    elif (why := licence_problem(concluded)) is not None:
        yield Problem(where, "distribution licence (licenseConcluded)", f"malformed: {why}")
    checksums = [_dict(c) for c in _list(p.get("checksums"))]
    sha512 = [str(c.get("checksumValue", "")) for c in checksums if c.get("algorithm") == "SHA512"]
    if not sha512:
        yield Problem(where, "hash (checksums SHA512)", "missing")
    elif not all(_SHA512.match(d) for d in sha512):
        yield Problem(where, "hash (checksums SHA512)", "malformed: not 128 hex digits")
    for ref in (_dict(r) for r in _list(p.get("externalRefs"))):
        kind, locator = str(ref.get("referenceType", "")), ref.get("referenceLocator")
        yield from _identifiers(
            locator if kind.startswith("cpe23") else None, locator if kind == "purl" else None, where
        )


def _spdx2(data: dict[str, Any]) -> tuple[str, int, list[Problem]]:
    version = str(data.get("spdxVersion"))
    problems = [
        Problem("SBOM", "spdxVersion", f"{version!r}: {TR} accepts SPDX 3.0.1 or later (SPDX 2 was accepted by 2.0.0)"),
        Problem("SBOM", "executable, archive, structured properties", "SPDX 2 has no field for them"),
        Problem("SBOM", "dependencies completeness", "SPDX 2 relationships have no completeness indicator"),
    ]
    info = shape.table(data, "creationInfo")
    creators = [
        v
        for actor in _list(info.get("creators"))
        if not str(actor).startswith("Tool:")
        for v in _spdx_actor(str(actor))
    ]
    if (why := _contact(creators)) is not None:
        problems.append(Problem("SBOM", "creator (creationInfo.creators Organization or Person)", why))
    if (why := _timestamp(str(info.get("created", "")).replace("Z", "+00:00"))) is not None:
        problems.append(Problem("SBOM", "timestamp (creationInfo.created)", why))
    packages = [_dict(p) for p in shape.array(data, "packages")]
    for p in packages:
        problems.extend(_spdx_package(p))
    return f"SPDX {version.removeprefix('SPDX-')}", len(packages), problems


def check(path: Path) -> Report:
    """Check one SBOM file against the profile.

    Raises:
        InputError: the file is missing or unreadable, not JSON, neither CycloneDX nor SPDX 2 JSON, or a list or
            object of it holds another type.
    """
    text = read_document(path, "SBOM", lambda t: t, ValueError, FORMATS)
    try:
        data = files.loads_json(text)
    except files.JsonError as exc:
        msg = f"{path}: not JSON ({exc}); expected {FORMATS}"
        raise InputError(msg) from None
    if isinstance(data, dict) and "spdx.org/rdf/3" in json.dumps(data.get("@context", "")):
        msg = f"{path}: an SPDX 3 JSON-LD document, which this check does not read yet; expected {FORMATS}"
        raise InputError(msg)
    try:
        fmt, count, problems = _cyclonedx(data) if shape.sbom_format(data) == "CycloneDX" else _spdx2(data)
    except shape.ShapeError as exc:
        msg = f"{path}: not {FORMATS}: {exc}"
        raise InputError(msg) from None
    return Report(path, fmt, count, tuple(problems))
