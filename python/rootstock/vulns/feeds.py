"""Local vulnerability feeds: OSV advisories (one JSON file each, a directory or a zip of them, an OSV API
answer) and NVD 2.0 CVE JSON (the API's pages or a saved feed), read into one typed form.

A file that is neither is refused with one message naming it and the two shapes that are read; a field of
the wrong shape inside a recognised feed names the record and the field.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attrs import frozen

from rootstock.core.cpe import Cpe
from rootstock.core.files import JsonError, loads_json, open_input, read_input_bytes
from rootstock.errors import InputError

EXPECTED = (
    "expected OSV JSON (an advisory with 'id' and 'affected', a list of them, or {'vulns': [...]}) "
    "or NVD 2.0 CVE JSON ({'format': 'NVD_CVE', 'version': '2.0', 'vulnerabilities': [...]})"
)
EVENTS = ("introduced", "fixed", "last_affected", "limit")


@frozen
class Event:
    """One event of an OSV range: introduced, fixed, last_affected or limit, at a version or commit."""

    kind: str
    value: str


@frozen
class Range:
    """An OSV range: GIT (commits of repo), SEMVER or ECOSYSTEM (versions), with its events in order."""

    type: str
    repo: str
    events: tuple[Event, ...]


@frozen
class Affected:
    """An OSV `affected` entry: the package (ecosystem, name, purl), its ranges and its listed versions."""

    ecosystem: str
    name: str
    purl: str
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]


@frozen
class CpeMatch:
    """An NVD match criterion that is vulnerable: a CPE and the version bounds it applies within."""

    cpe: Cpe
    start_including: str = ""
    start_excluding: str = ""
    end_including: str = ""
    end_excluding: str = ""

    def describe(self) -> str:
        """The criterion as a report states it: `cpe:2.3:a:zlib:zlib:* <1.3.1`."""
        bounds = [
            *([f">={self.start_including}"] if self.start_including else []),
            *([f">{self.start_excluding}"] if self.start_excluding else []),
            *([f"<={self.end_including}"] if self.end_including else []),
            *([f"<{self.end_excluding}"] if self.end_excluding else []),
        ]
        return " ".join([str(self.cpe), *bounds])


@frozen
class Advisory:
    """One advisory from one feed file: OSV's `affected` or NVD's vulnerable CPE criteria."""

    id: str
    aliases: tuple[str, ...]
    feed: str  # "OSV" or "NVD"
    source: str  # the file (and zip member) it was read from
    summary: str = ""
    severity: str = ""
    affected: tuple[Affected, ...] = ()
    cpes: tuple[CpeMatch, ...] = ()

    @property
    def ids(self) -> frozenset[str]:
        """The advisory's id and its aliases."""
        return frozenset((self.id, *self.aliases))


@frozen
class Feed:
    """What one feed path held: its advisories, and the kind of each file it read."""

    path: Path
    kinds: tuple[str, ...]
    advisories: tuple[Advisory, ...]


class _ShapeError(Exception):
    """A field of a recognised feed has the wrong shape (turned into InputError with the file's name)."""


def _field(obj: dict[str, Any], key: str, kind: type, where: str, default: Any = None) -> Any:
    value = obj.get(key, default)
    if value is None and default is None:
        msg = f"{where}: required key '{key}' is missing"
        raise _ShapeError(msg)
    if not isinstance(value, kind):
        msg = f"{where}.{key}: expected {'an array' if kind is list else 'a ' + kind.__name__}, got {value!r}"
        raise _ShapeError(msg)
    return value


def _records(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        msg = f"{where}: expected an array of objects"
        raise _ShapeError(msg)
    return value


def _osv(data: dict[str, Any], source: str) -> Advisory:
    vid = _field(data, "id", str, "advisory")
    where = f"advisory {vid}"
    affected = []
    for i, a in enumerate(_records(data.get("affected", []), f"{where}.affected")):
        at = f"{where}.affected[{i}]"
        package = _field(a, "package", dict, at, {})
        ranges = []
        for j, r in enumerate(_records(a.get("ranges", []), f"{at}.ranges")):
            rt = f"{at}.ranges[{j}]"
            kind = _field(r, "type", str, rt)
            if kind not in ("GIT", "SEMVER", "ECOSYSTEM"):
                msg = f"{rt}.type: expected GIT, SEMVER or ECOSYSTEM, got {kind!r}"
                raise _ShapeError(msg)
            events = []
            for k, e in enumerate(_records(_field(r, "events", list, rt), f"{rt}.events")):
                found = [(key, e[key]) for key in EVENTS if key in e]
                if len(found) != 1 or not isinstance(found[0][1], str):
                    msg = f"{rt}.events[{k}]: expected one of {', '.join(EVENTS)} with a string value, got {e!r}"
                    raise _ShapeError(msg)
                events.append(Event(*found[0]))
            repo = _field(r, "repo", str, rt, "")
            if kind == "GIT" and not repo:
                msg = f"{rt}: a GIT range needs 'repo'"
                raise _ShapeError(msg)
            ranges.append(Range(kind, repo, tuple(events)))
        versions = _field(a, "versions", list, at, [])
        affected.append(
            Affected(
                ecosystem=str(package.get("ecosystem", "")),
                name=str(package.get("name", "")),
                purl=str(package.get("purl", "")),
                ranges=tuple(ranges),
                versions=tuple(str(v) for v in versions),
            )
        )
    severity = ", ".join(
        f"{s.get('type', '')} {s.get('score', '')}".strip() for s in data.get("severity", []) if isinstance(s, dict)
    )
    return Advisory(
        id=vid,
        aliases=tuple(sorted(str(a) for a in _field(data, "aliases", list, where, []))),
        feed="OSV",
        source=source,
        summary=_first_line(data.get("summary") or data.get("details")),
        severity=severity,
        affected=tuple(affected),
    )


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else ""


def _nvd_severity(metrics: dict[str, Any]) -> str:
    for key in ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"):
        for m in metrics.get(key, []) if isinstance(metrics, dict) else []:
            data = m.get("cvssData", {}) if isinstance(m, dict) else {}
            if "baseScore" in data:
                return f"CVSS {data.get('version', '')} {data['baseScore']} {data.get('baseSeverity', '')}".strip()
    return ""


def _nvd(data: dict[str, Any], source: str) -> list[Advisory]:
    if data.get("version") != "2.0":
        msg = f"NVD feed version {data.get('version')!r}; only NVD 2.0 CVE JSON is read"
        raise _ShapeError(msg)
    out = []
    for i, item in enumerate(_records(_field(data, "vulnerabilities", list, "feed"), "vulnerabilities")):
        cve = _field(item, "cve", dict, f"vulnerabilities[{i}]")
        cid = _field(cve, "id", str, f"vulnerabilities[{i}].cve")
        where = f"{cid}"
        matches = []
        for j, conf in enumerate(_records(cve.get("configurations", []), f"{where}.configurations")):
            for k, node in enumerate(_records(conf.get("nodes", []), f"{where}.configurations[{j}].nodes")):
                at = f"{where}.configurations[{j}].nodes[{k}]"
                for m, crit in enumerate(_records(node.get("cpeMatch", []), f"{at}.cpeMatch")):
                    if not crit.get("vulnerable", False):
                        continue  # a platform it runs on, not the vulnerable product
                    text = _field(crit, "criteria", str, f"{at}.cpeMatch[{m}]")
                    try:
                        cpe = Cpe.parse(text)
                    except ValueError as exc:
                        msg = f"{at}.cpeMatch[{m}].criteria: {exc}"
                        raise _ShapeError(msg) from None
                    matches.append(
                        CpeMatch(
                            cpe,
                            str(crit.get("versionStartIncluding", "")),
                            str(crit.get("versionStartExcluding", "")),
                            str(crit.get("versionEndIncluding", "")),
                            str(crit.get("versionEndExcluding", "")),
                        )
                    )
        descriptions = [
            d.get("value", "") for d in cve.get("descriptions", []) if isinstance(d, dict) and d.get("lang") == "en"
        ]
        out.append(
            Advisory(
                id=cid,
                aliases=(),
                feed="NVD",
                source=source,
                summary=_first_line(descriptions[0] if descriptions else ""),
                severity=_nvd_severity(cve.get("metrics", {})),
                cpes=tuple(matches),
            )
        )
    return out


def parse(data: Any, source: str) -> tuple[str, list[Advisory]]:
    """The kind of a parsed feed document ("OSV" or "NVD") and its advisories.

    Raises:
        InputError: it is neither kind, or a field of it has the wrong shape (naming source and the field).
    """
    try:
        if isinstance(data, dict) and (data.get("format") == "NVD_CVE" or "vulnerabilities" in data):
            return "NVD", _nvd(data, source)
        if isinstance(data, dict) and isinstance(data.get("id"), str) and ("affected" in data or "modified" in data):
            return "OSV", [_osv(data, source)]
        if isinstance(data, dict) and isinstance(data.get("vulns"), list):
            return "OSV", [_osv(v, source) for v in _records(data["vulns"], "vulns")]
        if isinstance(data, list) and data and all(isinstance(v, dict) and "id" in v for v in data):
            return "OSV", [_osv(v, source) for v in data]
    except _ShapeError as exc:
        msg = f"{source}: {exc}"
        raise InputError(msg) from None
    what = f"a JSON {type(data).__name__}" if not isinstance(data, dict) else "a JSON object with keys "
    if isinstance(data, dict):
        what += ", ".join(sorted(data)[:6]) or "(none)"
    msg = f"{source}: not a vulnerability feed ({what}); {EXPECTED}"
    raise InputError(msg)


def _documents(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".json", ".zip"))
        if not files:
            msg = f"{path}: feed directory holds no .json or .zip file; {EXPECTED}"
            raise InputError(msg)
        for f in files:
            yield from _documents(f)
        return
    if path.suffix == ".zip":
        try:
            with open_input(path, "vulnerability feed") as handle, zipfile.ZipFile(handle) as archive:
                for member in sorted(n for n in archive.namelist() if n.endswith(".json")):
                    yield f"{path}:{member}", archive.read(member)
        except zipfile.BadZipFile:
            msg = f"{path}: not a zip archive; {EXPECTED} (or a zip of OSV files)"
            raise InputError(msg) from None
        return
    yield str(path), read_input_bytes(path, "vulnerability feed")


def load(path: Path) -> Feed:
    """Every advisory of a feed path: a JSON file, a zip of JSON files (OSV's all.zip) or a directory of both.

    Raises:
        InputError: the path is missing or unreadable, or a file in it is not OSV or NVD 2.0 JSON.
    """
    if not path.exists():
        msg = f"{path}: feed not found; {EXPECTED}"
        raise InputError(msg)
    kinds, advisories = [], []
    try:
        for source, raw in _documents(path):
            try:
                data = loads_json(raw)
            except JsonError as exc:
                msg = f"{source}: not JSON ({exc}); {EXPECTED}"
                raise InputError(msg) from None
            kind, found = parse(data, source)
            kinds.append(kind)
            advisories += found
    except PermissionError as exc:
        msg = f"{exc.filename}: cannot read the feed ({exc.strerror})"
        raise InputError(msg) from None
    return Feed(path, tuple(sorted(set(kinds))), tuple(advisories))
