"""Matching an SBOM's components against advisories, by identity first and version second.

Identity is never a bare name (docs/sbom.md, "Vulnerabilities"): a pinned component is matched by its pin's
CPE vendor and product (NVD), or by its repository URL (OSV GIT ranges, or an OSV package purl of that
repository); a Debian package by OSV's Debian ecosystem and its package name, or its purl. The SBOM's
components are tied to their pins by the pinned sha256 the SBOM records, not by name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from attrs import frozen
from packageurl import PackageURL

from rootstock.core.cpe import ANY, NA
from rootstock.pins.model import FilePin, GitPin, NamedPin, Pins
from rootstock.sbom.read import Listed, sha256_of
from rootstock.vulns import versions
from rootstock.vulns.feeds import Advisory, Affected, CpeMatch, Event, Range


class History(Protocol):
    """Local git history of the pins' repositories (the mirror's bare repositories)."""

    def repository(self, url: str, rev: str) -> Path | None:
        """A local repository of url that holds rev, or None."""

    def has(self, repo: Path, rev: str) -> bool:
        """Whether repo holds commit rev."""

    def is_ancestor(self, repo: Path, ancestor: str, descendant: str) -> bool:
        """Whether ancestor is descendant or one of its ancestors."""


class NoHistory:
    """No local history: GIT ranges are decided by exact commits only."""

    def repository(self, url: str, rev: str) -> Path | None:
        """None: nothing is available."""
        del url, rev

    def has(self, repo: Path, rev: str) -> bool:
        """Never called without a repository."""
        raise NotImplementedError

    def is_ancestor(self, repo: Path, ancestor: str, descendant: str) -> bool:
        """Never called without a repository."""
        raise NotImplementedError


@frozen
class Target:
    """A component as matching sees it: what the SBOM lists and, when the SBOM's hash is a pin's, that pin."""

    listed: Listed
    pin: NamedPin | None = None
    fixes: tuple[tuple[str, str], ...] = ()  # (advisory id, patch pin) of the pin's patches

    @property
    def version(self) -> str:
        """The version matched: the pin's, else the SBOM's."""
        if self.pin is not None and self.pin.pin.version:
            return self.pin.pin.version
        return self.listed.version

    @property
    def repos(self) -> tuple[str, ...]:
        """The repository URLs (normalised) that are this component's source."""
        if self.pin is None:
            return ()
        pin = self.pin.pin
        urls = pin.urls
        if isinstance(pin, GitPin):
            return (normal_repo(pin.url),)
        found = {m.group(1) for u in urls if (m := _GITHUB_RE.match(u))}
        return tuple(sorted(normal_repo(f"https://github.com/{r}") for r in found))


@frozen
class Hit:
    """An advisory matched to a component, with how: the identity that tied them and the version rule."""

    advisory: Advisory
    identity: str
    rule: str


@frozen
class Undecided:
    """An advisory whose identity matched but whose range could not be decided (reported, never failing)."""

    component: str
    advisory: str
    source: str
    reason: str
    aliases: tuple[str, ...] = ()


@frozen
class Vulnerability:
    """One vulnerability of one component: every advisory (of every feed) naming it, merged by id and alias."""

    component: str  # the SBOM's ref, `source:zlib`
    name: str
    version: str
    hits: tuple[Hit, ...]
    fixed_by: tuple[str, ...] = ()  # patch pins that fix it

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id and alias, sorted."""
        return tuple(sorted(set().union(*(h.advisory.ids for h in self.hits))))

    @property
    def id(self) -> str:
        """The id a report leads with: the CVE when there is one, else the first id."""
        cves = [i for i in self.ids if i.startswith("CVE-")]
        return (cves or list(self.ids))[0]


_GITHUB_RE = re.compile(r"^https://github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/(?:archive|releases)/")


def normal_repo(url: str) -> str:
    """A repository URL compared by host and path: scheme, `.git`, a trailing slash and the host's case dropped.

    Examples:
        >>> normal_repo("https://GitHub.com/madler/zlib.git/")
        'github.com/madler/zlib'
    """
    rest = re.sub(r"^[a-z+]+://", "", url.strip()).rstrip("/").removesuffix(".git")
    host, _, path = rest.partition("/")
    return f"{host.lower()}/{path}"


def _repo_purl(repo: str) -> str:
    host, _, path = repo.partition("/")
    return f"pkg:github/{path.lower()}" if host == "github.com" else ""


def _purl_base(purl: str) -> str:
    # type, namespace and name: the identity of a package, without version and qualifiers.
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return ""
    return PackageURL(type=p.type, namespace=p.namespace, name=p.name).to_string().lower()


def targets(components: Sequence[Listed], pins: Pins | None) -> list[Target]:
    """The components with the pins their recorded sha256 (and URL) belong to."""
    by_hash: dict[str, list[NamedPin]] = {}
    for entry in pins.entries if pins is not None else ():
        if entry.pin.hash.algo == "sha256":
            by_hash.setdefault(entry.pin.hash.hex, []).append(entry)
    files = {e.name: e.pin for e in pins.entries} if pins is not None else {}
    out = []
    for c in components:
        candidates = by_hash.get(sha256_of(c), []) if c.kind != "deb" else []
        if len(candidates) > 1:
            candidates = [e for e in candidates if c.url in e.pin.urls] or candidates[:1]
        pin = candidates[0] if candidates else None
        fixes: list[tuple[str, str]] = []
        if pin is not None and isinstance(pin.pin, GitPin):
            for patch in pin.pin.patches:
                patch_pin = files.get(patch)
                if isinstance(patch_pin, FilePin):
                    fixes += [(fix, patch) for fix in patch_pin.fixes]
        out.append(Target(c, pin, tuple(sorted(fixes))))
    return out


def _identity(aff: Affected, target: Target) -> str:
    """How an OSV affected entry names this component ("" when it does not)."""
    c = target.listed
    if c.kind == "deb" and aff.ecosystem.split(":")[0] == "Debian" and aff.name == c.name:
        return f"OSV package {aff.ecosystem}/{aff.name}"
    repos = target.repos
    for r in aff.ranges:
        if r.type == "GIT" and normal_repo(r.repo) in repos:
            return f"repository {r.repo}"
    if aff.purl:
        base = _purl_base(aff.purl)
        mine = {_repo_purl(r) for r in repos} | ({_purl_base(c.purl)} if c.kind == "deb" and c.purl else set())
        if base and base in mine - {""}:
            return f"purl {base}"
    return ""


def _events_text(events: Iterable[Event]) -> str:
    return ", ".join(f"{e.kind} {e.value}" for e in events)


def in_range(version: str, events: Sequence[Event], compare: versions.Compare) -> bool:
    """Whether version is inside an OSV range of versions (events sorted by version, "0" first).

    Raises:
        ValueError: a version is not of the range's type (SEMVER).
    """

    def order(a: Event, b: Event) -> int:
        if a.value == "0" or b.value == "0":
            return (b.value == "0") - (a.value == "0")
        return compare(a.value, b.value)

    affected = False
    for e in sorted(events, key=functools.cmp_to_key(order)):
        if e.kind == "introduced" and (e.value == "0" or compare(version, e.value) >= 0):
            affected = True
        elif (e.kind in ("fixed", "limit") and compare(version, e.value) >= 0) or (
            e.kind == "last_affected" and compare(version, e.value) > 0
        ):
            affected = False
    return affected


def _git_by_ancestry(rev: str, r: Range, repo: Path, history: History) -> tuple[bool, str]:
    known = {e.value for e in r.events if e.value == "0" or history.has(repo, e.value)}
    ignored = sorted({e.value[:12] for e in r.events} - {v[:12] for v in known})
    note = f"; commits not in the local history ignored: {', '.join(ignored)}" if ignored else ""

    def anc(a: str, b: str) -> bool:
        return a == "0" or history.is_ancestor(repo, a, b)

    introduced = [e.value for e in r.events if e.kind == "introduced" and e.value in known]
    ends = [e for e in r.events if e.kind != "introduced" and e.value in known]
    for i in introduced:
        if not anc(i, rev):
            continue
        fixed = [e.value for e in ends if e.kind in ("fixed", "limit") and anc(e.value, rev) and anc(i, e.value)]
        past = [e.value for e in ends if e.kind == "last_affected" and anc(i, e.value) and not anc(rev, e.value)]
        if not fixed and not past:
            return True, f"commit ancestry in {repo}: introduced {i[:12]} is an ancestor of the pin, no fix is{note}"
    return False, f"commit ancestry in {repo}{note}"


# A range's verdict: ("hit", rule), ("clear", "") when it decides the pin is not affected, or ("undecided", why).
Verdict = tuple[str, str]


def _listed(aff: Affected, rev: str, tag: str | None, version: str) -> str:
    """The exact-listing rule that puts the pin in affected[].versions, or ""."""
    listed = set(aff.versions)
    if rev and rev in listed:
        return f"exact commit: {rev[:12]} is in affected[].versions"
    if tag and tag in listed:
        return f"exact tag: the pin's tag {tag} is in affected[].versions"
    if version and not rev and (version in listed or f"v{version}" in listed):
        return f"exact version: {version} is in affected[].versions"
    return ""


def _git_verdict(r: Range, rev: str, history: History) -> Verdict:
    repo = history.repository(r.repo, rev)
    if repo is not None:
        affected, rule = _git_by_ancestry(rev, r, repo, history)
        return ("hit", rule) if affected else ("clear", "")
    exact = {e.value: e.kind for e in r.events}
    if exact.get(rev) in ("introduced", "last_affected"):
        return "hit", f"exact commit: the pin {rev[:12]} is the range's {exact[rev]} commit"
    if exact.get(rev) in ("fixed", "limit"):
        return "clear", ""
    return "undecided", (
        f"no local history of {r.repo} holding {rev[:12]} (--mirror), and the pinned commit is not among the "
        f"advisory's commits (GIT range {_events_text(r.events)})"
    )


def _version_verdict(r: Range, ecosystem: str, version: str) -> Verdict:
    compare = versions.for_range(r.type, ecosystem)
    try:
        inside = in_range(version, r.events, compare)
    except ValueError as exc:
        return "undecided", f"{r.type} range {_events_text(r.events)}: {exc}"
    if inside:
        return "hit", f"{r.type} range ({_events_text(r.events)}) holds {version} ({compare.__name__} order)"
    return "clear", ""


def _affected_verdict(aff: Affected, target: Target, history: History) -> Verdict:
    pin = target.pin.pin if target.pin is not None else None
    rev = pin.rev if isinstance(pin, GitPin) else ""
    tag = pin.tag if isinstance(pin, GitPin) else None
    if rule := _listed(aff, rev, tag, target.version):
        return "hit", rule
    verdicts: list[Verdict] = []
    for r in aff.ranges:
        if r.type == "GIT" and rev and normal_repo(r.repo) in target.repos:
            verdicts.append(_git_verdict(r, rev, history))
        elif r.type != "GIT" and target.version:
            verdicts.append(_version_verdict(r, aff.ecosystem, target.version))
    if hit := [v for v in verdicts if v[0] == "hit"]:
        return hit[0]
    if any(v[0] == "clear" for v in verdicts) or not verdicts:
        return "clear", ""
    return "undecided", "; ".join(why for _, why in verdicts)


def _osv_hits(adv: Advisory, target: Target, history: History) -> tuple[list[Hit], list[Undecided]]:
    hits, undecided = [], []
    for aff in adv.affected:
        identity = _identity(aff, target)
        if not identity:
            continue
        state, text = _affected_verdict(aff, target, history)
        if state == "hit":
            hits.append(Hit(adv, identity, text))
        elif state == "undecided":
            undecided.append(Undecided(target.listed.ref, adv.id, adv.source, text, adv.aliases))
    return hits, undecided


def _cpe_hit(adv: Advisory, crit: CpeMatch, target: Target) -> Hit | None:
    pin = target.pin.pin if target.pin is not None else None
    if pin is None or pin.cpe is None or not pin.version or not crit.cpe.names_product_of(pin.cpe):
        return None
    if crit.cpe.update not in (ANY, NA):
        return None  # a pre-release or update of another version than a release pin's
    version, cv = pin.version, crit.cpe.version
    identity = f"CPE {pin.cpe.vendor}:{pin.cpe.product} (pin {target.pin.name if target.pin else ''})"
    if cv == NA:
        return None
    if cv != ANY:
        same = versions.generic(version, cv) == 0
        return Hit(adv, identity, f"NVD criterion {crit.describe()}: names {version} exactly") if same else None
    checks = [
        (crit.start_including, lambda c: c >= 0),
        (crit.start_excluding, lambda c: c > 0),
        (crit.end_including, lambda c: c <= 0),
        (crit.end_excluding, lambda c: c < 0),
    ]
    if all(test(versions.generic(version, bound)) for bound, test in checks if bound):
        return Hit(adv, identity, f"NVD criterion {crit.describe()} holds {version}")
    return None


def match(
    targets_: Sequence[Target], advisories: Sequence[Advisory], history: History
) -> tuple[list[Vulnerability], list[Undecided]]:
    """Every vulnerability of every target (advisories of one id or alias merged), and the undecided ones."""
    found: list[Vulnerability] = []
    undecided: list[Undecided] = []
    for target in targets_:
        hits: list[Hit] = []
        for adv in advisories:
            if adv.feed == "OSV":
                h, u = _osv_hits(adv, target, history)
                hits += h[:1]
                undecided += u if not h else []
            else:
                hits += [hit for crit in adv.cpes if (hit := _cpe_hit(adv, crit, target))][:1]
        groups: list[list[Hit]] = []
        for hit in hits:
            joined = [g for g in groups if any(hit.advisory.ids & other.advisory.ids for other in g)]
            merged = [hit, *(h for g in joined for h in g)]
            groups = [g for g in groups if g not in joined] + [merged]
        fixes = dict(target.fixes)
        for group in groups:
            ids = set().union(*(h.advisory.ids for h in group))
            fixed_by = tuple(sorted({fixes[i] for i in ids if i in fixes}))
            ordered = tuple(sorted(group, key=lambda h: (h.advisory.feed, h.advisory.id, h.advisory.source)))
            found.append(Vulnerability(target.listed.ref, target.listed.name, target.version, ordered, fixed_by))
    found.sort(key=lambda v: (v.component, v.id))
    undecided = sorted(set(undecided), key=lambda u: (u.component, u.advisory, u.source))
    # An advisory undecided on one range but matched through another of its ids is not undecided.
    matched = {(v.component, i) for v in found for i in v.ids}
    return found, [u for u in undecided if not {(u.component, i) for i in (u.advisory, *u.aliases)} & matched]
