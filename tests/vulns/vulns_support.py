"""What the vulnerability tests share: a checkout whose pins the SBOM's components are tied to, SBOMs rootstock
writes, feeds, and a mirror holding a real git history."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rootstock.sbom import cyclonedx, spdx
from rootstock.sbom.model import Component, Kind, Sbom, Subject, Usage

ZLIB_REPO = "https://github.com/madler/zlib"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sri(seed: str) -> str:
    """A pinned hash made up from a word."""
    return "sha256-" + base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


def hex_of(seed: str) -> str:
    """The sha256 hex digest of sri(seed): what the SBOM records of that pin."""
    return hashlib.sha256(seed.encode()).hexdigest()


def source(name: str, version: str, seed: str, url: str, usage: Usage = Usage.LINK) -> Component:
    """A source component as `sbom derive` writes one for a pin (sha256 = the pin's hash)."""
    return Component(
        name=name,
        kind=Kind.SOURCE,
        version=version,
        usage=usage,
        url=url,
        sha256=hex_of(seed),
        purl=f"pkg:generic/{name}@{version}?download_url={url}",
        usage_from_contents=usage,
        evidence=[],
    )


def deb(name: str, version: str, usage: Usage = Usage.LINK) -> Component:
    """A host package component."""
    return Component(
        name=name,
        kind=Kind.DEB,
        version=version,
        usage=usage,
        url=f"http://deb.debian.org/debian/pool/main/{name}.deb",
        sha256=hex_of(name),
        purl=f"pkg:deb/debian/{name}@{version}?arch=amd64",
        usage_from_contents=usage,
        evidence=[],
    )


def write_sbom(path: Path, components: list[Component], fmt: str = "cyclonedx") -> Path:
    """The SBOM of a made-up `app`, in rootstock's own CycloneDX or SPDX."""
    sbom = Sbom(Subject("app", "1.0", "f" * 64), components, [])
    path.write_text(cyclonedx.render(sbom, EPOCH) if fmt == "cyclonedx" else spdx.render(sbom, EPOCH))
    return path


def write_json(path: Path, data: Any) -> Path:
    """A JSON file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path


def osv(vid: str, affected: list[dict[str, Any]], aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    """An OSV advisory."""
    return {
        "schema_version": "1.6.0",
        "id": vid,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": list(aliases),
        "summary": f"{vid} summary",
        "affected": affected,
    }


def nvd(*cves: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """An NVD 2.0 CVE feed page: (id, cpeMatch criteria) each."""
    return {
        "resultsPerPage": len(cves),
        "startIndex": 0,
        "totalResults": len(cves),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2024-01-01T00:00:00.000",
        "vulnerabilities": [
            {
                "cve": {
                    "id": cid,
                    "descriptions": [{"lang": "en", "value": f"{cid} description"}],
                    "metrics": {
                        "cvssMetricV31": [
                            {"cvssData": {"version": "3.1", "baseScore": 9.8, "baseSeverity": "CRITICAL"}}
                        ]
                    },
                    "configurations": [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": matches}]}],
                }
            }
            for cid, matches in cves
        ],
    }


def git(repo: Path, *args: str) -> str:
    """Run git in repo (the tests' isolated configuration applies)."""
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def history(work: Path, count: int) -> list[str]:
    """A repository in work with count commits in a line; their hashes, oldest first."""
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    revs = []
    for i in range(count):
        (work / "f").write_text(f"{i}\n")
        git(work, "add", "f")
        git(work, "commit", "-q", "-m", f"c{i}")
        revs.append(git(work, "rev-parse", "HEAD"))
    return revs


def mirror_of(work: Path, mirror: Path, url: str) -> None:
    """A bare copy of work where the mirror keeps url's repository."""
    dest = mirror / "git" / (url.split("://", 1)[1] + ".git")
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(dest)], check=True)
