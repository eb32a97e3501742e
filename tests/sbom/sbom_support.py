"""SBOM test helpers: fixture C/C++ libraries and a program built with gcc/g++ (not conftest: that name is taken)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import tarfile
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from rootstock.host import proc
from rootstock.sbom.hostdb import HostPackage

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sbom"
ALL_DEPS = ("greet", "hdronly", "unusedlib", "gentool", "extra")
DEFAULT_DEPS = ("greet", "hdronly", "unusedlib", "gentool")
ARCHIVES = {"greet": "greet", "unusedlib": "unused", "extra": "extra"}
HOST_PREFIXES = ("/usr/", "/lib/", "/lib64/", "/bin/", "/sbin/")


@frozen
class FixtureBuild:
    """A built fixture: the manifest, the static program and the evidence its build left."""

    root: Path
    manifest: Path
    binary: Path
    build_dir: Path
    trace: Path
    map: Path


class FakeHost:
    """A host package database with one package owning every system file: the tests must not depend on apt."""

    name = "host-toolchain"

    def __init__(self) -> None:
        self.seen: set[Path] = set()

    def owners(self, paths: Sequence[Path]) -> dict[Path, str]:
        owned = {p: self.name for p in paths if str(p).startswith(HOST_PREFIXES)}
        self.seen.update(owned)
        return owned

    def describe(self, package: str) -> HostPackage:
        assert package == self.name
        return HostPackage(
            package,
            "1.0-1",
            "amd64",
            tuple(sorted(self.seen)),
            f"https://example.org/debian/{package}_1.0-1_amd64.deb",
            "0" * 64,
        )


def sri(path: Path) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def make_source_archive(name: str, out: Path) -> Path:
    """A deterministic tar of a fixture library: the 'pinned source' of a dependency."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted((FIXTURES / name).rglob("*")):
            info = tar.gettarinfo(path, arcname=f"{name}-1.0/{path.relative_to(FIXTURES / name)}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if path.is_file():
                with path.open("rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return out


def install_dependency(name: str, root: Path) -> Path:
    """Build and install one fixture library into its own prefix, as a from-source build would."""
    src = FIXTURES / name
    prefix = root / "prefix" / name
    if name == "hdronly":
        shutil.copytree(src / "include", prefix / "include")
    elif name == "gentool":
        (prefix / "bin").mkdir(parents=True)
        tool = prefix / "bin" / "gentool"
        shutil.copy(src / "gentool", tool)
        tool.chmod(0o755)
    else:
        build = root / f"build-{name}"
        build.mkdir(parents=True)
        objects = []
        for c in sorted(src.glob("*.c")):
            obj = build / f"{c.stem}.o"
            proc.run(["gcc", "-O1", "-MD", "-c", str(c), "-o", obj.name], cwd=build)
            objects.append(obj.name)
        (prefix / "lib").mkdir(parents=True)
        (prefix / "include").mkdir()
        proc.run(["ar", "rcsD", str(prefix / "lib" / f"lib{ARCHIVES[name]}.a"), *objects], cwd=build)
        for h in sorted(src.glob("*.h")):
            shutil.copy(h, prefix / "include" / h.name)
    return prefix


def build_fixture(
    root: Path,
    installed: Sequence[str] = DEFAULT_DEPS,
    declared: Sequence[str] | None = None,
    *,
    use_extra: bool = False,
    cached: dict[str, bool] | None = None,
) -> FixtureBuild:
    """Install the libraries, compile the program with -MD, link it statically with a trace and a map.

    `declared` (default: all installed) is what the manifest lists, to test undeclared inputs. `cached` moves
    the named libraries' archives out of their prefix into cache/<name> (as zig keeps the libc++ it built),
    declaring that directory as an extra prefix where the value is true.
    """
    cached = cached or {}
    prefixes = {name: install_dependency(name, root) for name in installed}
    lib_dirs = {name: p / "lib" for name, p in prefixes.items()}
    for name in cached:
        lib_dirs[name] = shutil.move(lib_dirs[name], root / "cache" / name)
    app_src = root / "src" / "app"
    shutil.copytree(FIXTURES / "app", app_src)
    build = root / "build"
    build.mkdir()
    includes = [f"-I{p / 'include'}" for p in prefixes.values() if (p / "include").is_dir()]
    defines = ["-DUSE_EXTRA"] if use_extra else []
    proc.run(["g++", "-O1", "-MD", *defines, *includes, "-c", str(app_src / "main.cpp"), "-o", "main.o"], cwd=build)
    libs = []
    for name in prefixes:
        if name in ARCHIVES and (name != "extra" or use_extra):
            libs += [f"-L{lib_dirs[name]}", f"-l{ARCHIVES[name]}"]
    link = proc.run(
        ["g++", "-static", "-o", "app", "main.o", *libs, "-Wl,--trace,--trace", "-Wl,-Map,app.map"],
        cwd=build,
    )
    trace = build / "app.trace"
    trace.write_bytes(link.stdout_bytes)
    deps = []
    for name in installed if declared is None else declared:
        archive = make_source_archive(name, root / "sources" / f"{name}-1.0.tar")
        deps.append(
            {
                "name": name,
                "version": "1.0",
                "url": f"https://example.org/src/{name}-1.0.tar",
                "hash": sri(archive),
                "source": f"sources/{name}-1.0.tar",
                "prefix": f"prefix/{name}",
                **({"extra_prefixes": [f"cache/{name}"]} if cached.get(name) else {}),
            }
        )
    manifest = root / "deps.json"
    manifest.write_text(
        json.dumps(
            {
                "subject": {"name": "app", "version": "0.1"},
                "dependencies": deps,
                "tools": ["gcc", "g++", "ar"],
                "source_dirs": ["src"],
            },
            indent=2,
        )
    )
    return FixtureBuild(root, manifest, build / "app", build, trace, build / "app.map")
