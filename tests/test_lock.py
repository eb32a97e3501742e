"""python/requirements.lock, the one lock dev/setup and `nix run .#bootstrap` install, matches pyproject.toml.

Every requirement of the package, of its test tools and of its build backend must be locked at a version its
specifier allows, every locked package must carry hashes, and what the lock says comes straight from the
package must be exactly its requirements: a pyproject change without `dev/lock` fails here.
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from common_support import REPO

PYPROJECT = REPO / "python" / "pyproject.toml"
LOCK = REPO / "python" / "requirements.lock"
# `name==version ; markers \` opens an entry; its hashes and `# via` comments follow on indented lines.
ENTRY_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^ ;\\]+)")
# uv's annotation of a package the project requires itself.
DIRECT = "rootstock (python/pyproject.toml)"


def locked(text: str) -> dict[str, tuple[Version, int, set[str]]]:
    """Each locked package: its version, how many hashes pin it, and what the lock says requires it."""
    entries: dict[str, tuple[Version, int, set[str]]] = {}
    name = ""
    for line in text.splitlines():
        if match := ENTRY_RE.match(line):
            name = canonicalize_name(match["name"])
            entries[name] = (Version(match["version"]), 0, set())
        elif name and "--hash=sha256:" in line:
            version, hashes, via = entries[name]
            entries[name] = (version, hashes + 1, via)
        elif name and line.strip().startswith("#"):
            entries[name][2].add(line.strip().lstrip("#").strip().removeprefix("via").strip())
    return entries


def requirements(pyproject: dict) -> tuple[list[Requirement], list[Requirement]]:
    """The package's own requirements (runtime and test extra), then its build backend's."""
    project = pyproject["project"]
    own = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return [Requirement(r) for r in own], [Requirement(r) for r in pyproject["build-system"]["requires"]]


def drift(pyproject: dict, lock_text: str) -> list[str]:
    """Every way the lock disagrees with pyproject.toml, one line each (empty: they agree)."""
    entries = locked(lock_text)
    own, build = requirements(pyproject)
    problems = []
    for requirement in [*own, *build]:
        name = canonicalize_name(requirement.name)
        if name not in entries:
            problems.append(f"{requirement}: not in the lock")
        elif not requirement.specifier.contains(entries[name][0], prereleases=True):
            problems.append(f"{requirement}: the lock has {entries[name][0]}")
    direct = {name for name, (_, _, via) in entries.items() if DIRECT in via}
    for name in sorted(direct - {canonicalize_name(r.name) for r in own}):
        problems.append(f"{name}: locked as a requirement of rootstock, which no longer requires it")
    problems += [f"{name}: no hash" for name, (_, hashes, _) in entries.items() if hashes == 0]
    return problems


def project(dependencies: list[str]) -> dict:
    return {
        "build-system": {"requires": ["setuptools>=77"]},
        "project": {"dependencies": dependencies, "optional-dependencies": {"test": ["pytest>=8"]}},
    }


FIXTURE_LOCK = f"""\
attrs==26.1.0 \\
    --hash=sha256:{"a" * 64} \\
    --hash=sha256:{"b" * 64}
    # via
    #   {DIRECT}
    #   cattrs
pytest==9.2.0 \\
    --hash=sha256:{"c" * 64}
    # via {DIRECT}
setuptools==84.2.1 \\
    --hash=sha256:{"d" * 64}
"""


def test_the_lock_covers_pyproject() -> None:
    assert drift(tomllib.loads(PYPROJECT.read_text()), LOCK.read_text()) == []


def test_the_lock_pins_the_build_backend_and_every_package_by_hash() -> None:
    entries = locked(LOCK.read_text())
    assert "setuptools" in entries
    assert all(hashes for _, hashes, _ in entries.values())
    assert len(entries) >= len(tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"])


def test_fixture_lock_agrees() -> None:
    assert drift(project(["attrs>=23.2"]), FIXTURE_LOCK) == []


def test_a_new_requirement_without_a_new_lock_is_drift() -> None:
    assert drift(project(["attrs>=23.2", "requests>=2"]), FIXTURE_LOCK) == ["requests>=2: not in the lock"]


def test_a_raised_minimum_without_a_new_lock_is_drift() -> None:
    assert drift(project(["attrs>=27"]), FIXTURE_LOCK) == ["attrs>=27: the lock has 26.1.0"]


def test_a_dropped_requirement_left_in_the_lock_is_drift() -> None:
    assert drift(project([]), FIXTURE_LOCK) == [
        "attrs: locked as a requirement of rootstock, which no longer requires it"
    ]


def test_a_package_without_hashes_is_drift() -> None:
    unhashed = FIXTURE_LOCK.replace(f"    --hash=sha256:{'d' * 64}\n", "").replace("84.2.1 \\", "84.2.1")
    assert drift(project(["attrs>=23.2"]), unhashed) == ["setuptools: no hash"]
