"""Every call of a Nix program: the flags policy lives here, results come back typed."""

from __future__ import annotations

import bz2
import contextlib
import contextvars
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from attrs import Factory, define, frozen

from rootstock.core.hashes import Hash
from rootstock.errors import (
    BuildError,
    CommandError,
    HashMismatchError,
    InputError,
    NotReproducibleError,
    RootstockError,
    listing,
)
from rootstock.host import proc

# Builds never ask a binary cache: an air-gapped site has none, and an online one must not be trusted blindly.
OFFLINE = ("--option", "substituters", "")
# The one spelling of the experimental-features flag: every `nix` command line rootstock runs, or tests run, uses it.
EXPERIMENTAL = ("--extra-experimental-features", "nix-command flakes")
# A store of its own for a nix binary that is not the host's: sandboxed, no build users (we may run as root
# without a daemon), no binary cache.
FRESH_STORE_CONF = "build-users-group =\nsandbox = true\nsubstituters =\n"
# What `nix --version` prints: `nix (Nix) 2.8.0`, `nix (Nix) 2.28.7`.
VERSION_RE = re.compile(r"^nix \(Nix\) (?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?\S*$")
# nix-build announces how many derivations it will build, then each one as it starts (or checks) it.
WILL_BUILD_RE = re.compile(r"^(?:these (?P<n>\d+) derivations|this derivation) will be built:")
BUILDING_RE = re.compile(r"^(?:building|checking outputs of) '(?P<drv>[^']+\.drv)'")
# A derivation's path in Nix's messages, quoted or not, and the lines of the list under WILL_BUILD_RE.
DRV_PATH_RE = re.compile(r"'?(/[^'\s]*/[0-9a-z]{32}-[^'\s/]+\.drv)'?")
LISTED_DRV_RE = re.compile(r"^\s+/\S+\.drv$")
# nix-build's last words when a build of many fails: every requested derivation not built, on one line.
BUILD_OF_RE = re.compile(r"^error: build of (?P<drvs>.+) failed$")
# mkStep (nix/lib/default.nix) appends a digest of a fixed-output step's builder, argv and environment to its name.
STEP_DIGEST_RE = re.compile(r"-[0-9a-f]{12}$")
# Of the builder's own output and Nix's errors, the last this many lines go into the message (the log has all).
SHOWN_BUILD_LINES = 15


class Failure(Enum):
    """How a failed nix-build names the derivation at fault (group `drv`), in the order failed_drv tries them."""

    HASH_MISMATCH = re.compile(
        r"hash mismatch in fixed-output derivation '(?P<drv>[^']+)':"
        r"\s*specified:\s*(?P<expected>\S+)\s*got:\s*(?P<actual>\S+)",
        re.S,
    )
    BUILDER_FAILED = re.compile(r"builder for '(?P<drv>[^']+\.drv)' failed")
    NOT_DETERMINISTIC = re.compile(
        r"derivation '(?P<drv>[^']+)' may not be deterministic: output '(?P<out>[^']+)' differs"
    )

    def search(self, message: str) -> re.Match[str] | None:
        """Where the message says this, with the derivation and the details as named groups."""
        return self.value.search(message)


@frozen
class Prefetched:
    """A file or tree placed in the store by a prefetcher."""

    hash: Hash
    store_path: Path


@define
class BuildProgress:
    """What a running nix-build has told us: how many derivations, which one is building."""

    total: int = 0
    started: list[str] = Factory(list)
    began: float = 0.0

    def feed(self, line: str) -> str | None:
        """Take one stderr line; return the drv path when a new build starts."""
        if m := WILL_BUILD_RE.match(line):
            self.total += int(m["n"] or 1)
        elif m := BUILDING_RE.match(line):
            self.started.append(m["drv"])
            return m["drv"]
        return None


def drv_name(drv: str) -> str:
    """What a derivation is called in stages.toml and static-nix.toml: /nix/store/<hash>-hex1-<digest>.drv -> hex1."""
    base = Path(drv).name.removesuffix(".drv")
    return STEP_DIGEST_RE.sub("", base.split("-", 1)[1] if "-" in base else base)


def _natural(name: str) -> list[str | int]:
    # copy-2 before copy-10.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _build_failure_lines(stderr: str) -> list[str]:
    """What of a failed nix-build's stderr says why, derivations named as the data files name them: the list of
    what it will build and its `building …` lines dropped, its one-line list of what it did not build cut short."""
    lines: list[str] = []
    not_built: list[str] = []
    for line in stderr.splitlines():
        if not line.strip() or WILL_BUILD_RE.match(line) or BUILDING_RE.match(line) or LISTED_DRV_RE.match(line):
            continue
        if m := BUILD_OF_RE.match(line):
            failed = failed_drv(stderr)
            not_built = [drv_name(drv) for drv in DRV_PATH_RE.findall(m["drvs"]) if drv != failed]
            continue
        lines.append(DRV_PATH_RE.sub(lambda m: f"'{drv_name(m[1])}'", line))
    lines = lines[-SHOWN_BUILD_LINES:]
    if not_built:
        lines.append(f"not built ({len(not_built)}): {listing(sorted(not_built, key=_natural))}")
    return lines


@frozen(order=True)
class NixVersion:
    """A Nix's release, from what its `--version` prints (`nix (Nix) 2.28.7`)."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str, source: str) -> NixVersion:
        """Read `nix (Nix) X.Y[.Z]` (a suffix such as `pre…` is ignored).

        Raises:
            InputError: the text is not that (source names the program that printed it).
        """
        m = VERSION_RE.match(text.strip())
        if m is None:
            shown = text.strip().splitlines()[0] if text.strip() else "nothing"
            msg = f"{source} is not a Nix: its --version printed {shown!r}, expected 'nix (Nix) X.Y.Z'"
            raise InputError(msg)
        return cls(int(m["major"]), int(m["minor"]), int(m["patch"] or 0))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


# The programs rootstock runs of a Nix. Every one is the `nix` binary under another name (it looks at argv[0]),
# in 2.8 as in 2.28.
PROGRAMS = ("nix", "nix-build", "nix-instantiate", "nix-store", "nix-prefetch-url", "nix-hash")
# `nix show-derivation` became `nix derivation show` in 2.15; the old name is deprecated since.
DERIVATION_SHOW = NixVersion(2, 15, 0)


@frozen
class Installation:
    """Which Nix runs rootstock's Nix command lines, and on which store.

    The host's (the programs on PATH, the store its configuration names) unless `using()` says otherwise: the
    runner, the pin fetcher and the custody log all reach Nix through this module, and `verify-with` runs them
    all with another Nix on a store of its own, so the installation is this module's context rather than a
    parameter every layer above would have to pass on.
    """

    bin_dir: Path | None = None
    """Where the programs are; None: on PATH."""
    version: NixVersion | None = None
    """Known for an installation given by path (detected once); None for the host's."""
    store: Path | None = None
    """The root of a chroot store (`--store DIR`): store paths are the usual ones, their bytes under
    DIR/nix/store, its database and logs under DIR/nix/var."""
    conf_dir: Path | None = None
    """NIX_CONF_DIR (and the only user configuration file) for every program run."""
    store_dir: str = Factory(lambda: os.environ.get("NIX_STORE_DIR", "/nix/store"))
    """The logical store directory (store paths begin with it)."""

    def argv(self, argv: Sequence[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
        """A command line of a Nix program (argv[0]) for this installation."""
        program, *rest = argv
        if self.bin_dir is not None:
            program = self.bin_dir / os.fspath(program)
        store = ["--store", str(self.store)] if self.store is not None and argv[0] != "nix-hash" else []
        return [program, *store, *rest]

    def env(self) -> dict[str, str]:
        """What every program of this installation gets added to its environment."""
        if self.conf_dir is None:
            return {}
        return {"NIX_CONF_DIR": str(self.conf_dir), "NIX_USER_CONF_FILES": str(self.conf_dir / "nix.conf")}

    def physical(self, path: str | Path) -> Path:
        """Where the bytes of a store path (or a file inside one) are on this machine."""
        if self.store is None:
            return Path(path)
        return self.store / "nix" / "store" / Path(path).relative_to(self.store_dir)

    def derivation_show(self) -> tuple[str, ...]:
        """The `nix` subcommand that prints derivations as JSON."""
        if self.version is not None and self.version >= DERIVATION_SHOW:
            return ("derivation", "show")
        return ("show-derivation",)

    def log_dir(self) -> Path:
        """Where this installation's store keeps build logs."""
        if self.store is not None:
            return self.store / "nix" / "var" / "log" / "nix"
        return Path(os.environ.get("NIX_LOG_DIR", "/nix/var/log/nix"))


HOST = Installation()
_active: contextvars.ContextVar[Installation] = contextvars.ContextVar("nix_installation", default=HOST)


@contextlib.contextmanager
def using(installation: Installation) -> Iterator[Installation]:
    """Run every Nix command line of this module with installation while the block lasts."""
    token = _active.set(installation)
    try:
        yield installation
    finally:
        _active.reset(token)


def physical(path: str | Path) -> Path:
    """Where the bytes of a store path of the Nix in use are (the path itself unless it uses a chroot store)."""
    return _active.get().physical(path)


def _run(argv: Sequence[str | os.PathLike[str]], **kwargs: Any) -> proc.Completed:
    """Run a Nix program of the installation in use (see proc.run for the keywords)."""
    installation = _active.get()
    env = {**installation.env(), **kwargs.pop("env", {})}
    return proc.run(installation.argv(argv), env=env, **kwargs)


def _programs_dir(nix: Path) -> Path | None:
    """The directory of nix's programs, or None when nix is a single binary (then its names are made)."""
    if nix.is_dir():
        missing = [p for p in PROGRAMS if not os.access(nix / p, os.X_OK) or not (nix / p).is_file()]
        if missing:
            msg = f"second Nix {nix}: not a Nix bin/ directory: lacks executable {listing(missing)}"
            raise InputError(msg)
        return nix
    return None


def installation_at(nix: Path, workdir: Path, *, store: Path, conf: str) -> Installation:
    """Another Nix, given as its `nix` binary or a bin/ directory holding its programs, on a chroot store of its
    own at store with the configuration conf; its version detected once (typed).

    A single binary gets its program names as symlinks in workdir/bin (every one of them is that binary).

    Raises:
        InputError: nix does not exist, is not executable, does not run, or is not a Nix (its --version).
    """
    if not nix.exists():
        msg = f"second Nix {nix}: no such file or directory (expected a nix binary or a bin/ directory holding one)"
        raise InputError(msg)
    bin_dir = _programs_dir(nix)
    if bin_dir is None:
        if not os.access(nix, os.X_OK):
            msg = f"second Nix {nix}: not executable"
            raise InputError(msg)
        bin_dir = workdir / "bin"
        bin_dir.mkdir(parents=True)
        for program in PROGRAMS:
            (bin_dir / program).symlink_to(nix.resolve())
    try:
        printed = proc.run([nix if nix.is_file() else bin_dir / "nix", "--version"]).stdout
    except CommandError as exc:
        msg = f"second Nix {nix}: `nix --version` fails (exit {exc.exit_code_of_command})"
        raise InputError(msg, exc.stderr_tail) from None
    version = NixVersion.parse(printed, f"second Nix {nix}")
    conf_dir = workdir / "etc"
    conf_dir.mkdir(parents=True)
    (conf_dir / "nix.conf").write_text(conf)
    return Installation(bin_dir, version, store, conf_dir)


def syntax_error(text: str) -> str | None:
    """Nix's error for Nix source text that does not parse (its positions say «stdin»), None when it parses.

    The text comes on stdin, so text that is not yet in any file (a rendering not yet written) can be checked.
    """
    done = _run(["nix-instantiate", "--parse", "-"], stdin=text, ok_codes=(0, 1))
    return done.stderr.strip() if done.exit_code else None


def _arg_flags(args: Mapping[str, str]) -> list[str]:
    flags: list[str] = []
    for key, value in sorted(args.items()):
        flags += ["--argstr", key, value]
    return flags


def eval_json(file: Path, attr: str | None = None, args: Mapping[str, str] | None = None) -> Any:
    """Evaluate an attribute of a Nix file strictly and return it as JSON data."""
    argv: list[str | Path] = ["nix-instantiate", "--eval", "--json", "--strict", *OFFLINE, file]
    if attr:
        argv += ["-A", attr]
    argv += _arg_flags(args or {})
    return json.loads(_run(argv).stdout)


def instantiate(file: Path, attrs: Sequence[str], args: Mapping[str, str] | None = None) -> list[str]:
    """The .drv paths of the given attributes."""
    argv: list[str | Path] = ["nix-instantiate", *OFFLINE, file]
    for attr in attrs:
        argv += ["-A", attr]
    argv += _arg_flags(args or {})
    return _run(argv).stdout.split()


def failed_drv(message: str) -> str | None:
    """The derivation a failed nix-build names as the one that failed (its builder, or its fixed-output hash)."""
    for failure in Failure:
        if m := failure.search(message):
            return m["drv"]
    return None


def _raise_build_failure(exc: CommandError) -> None:
    error: RootstockError
    if m := Failure.HASH_MISMATCH.search(exc.stderr_tail):
        what = f"derivation '{drv_name(m['drv'])}'"
        error = HashMismatchError(
            what,
            Hash.parse(m["expected"]).sri,
            Hash.parse(m["actual"]).sri,
            "the pinned output path stays unbuilt; fix the input or, after review, the pinned output hash",
        )
    elif m := Failure.NOT_DETERMINISTIC.search(exc.stderr_tail):
        what, detail = f"derivation '{drv_name(m['drv'])}'", f"rebuilding it gave other bytes than {m['out']}"
        error = NotReproducibleError(what, detail)
    else:
        error = BuildError("nix-build failed", *_build_failure_lines(exc.stderr_tail))
    error.drv = failed_drv(exc.stderr_tail)
    raise error from None


def build(
    targets: Sequence[str | Path],
    *,
    file: Path | None = None,
    args: Mapping[str, str] | None = None,
    check: bool = False,
    max_jobs: int = 2,
    sandbox: bool = True,
    cores: int = 1,
    sandbox_paths: Sequence[str] = (),
    keep_going: bool = False,
    on_start: Callable[[BuildProgress, str], None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> list[Path]:
    """Build attributes of a file (or .drv paths when file is None) offline and return the output paths; with
    keep_going, derivations that do not depend on a failed one are still built (`--keep-going`).

    Raises:
        HashMismatchError: a fixed-output derivation produced other bytes than pinned.
        BuildError: any other build failure, with the tail of the log.
    """
    argv: list[str | Path] = ["nix-build", "--no-out-link", *OFFLINE, "--option", "sandbox", str(sandbox).lower()]
    argv += ["--max-jobs", str(max_jobs), "--cores", str(cores)]
    if sandbox_paths:
        argv += ["--option", "extra-sandbox-paths", " ".join(sandbox_paths)]
    if keep_going:
        argv.append("--keep-going")
    if check:
        argv.append("--check")
    if file is not None:
        argv.append(file)
        for attr in targets:
            argv += ["-A", str(attr)]
        argv += _arg_flags(args or {})
    else:
        argv += list(targets)
    progress = BuildProgress(began=time.monotonic())

    def watch(line: str) -> None:
        if on_line is not None:
            on_line(line)
        drv = progress.feed(line)
        if drv is not None and on_start is not None:
            on_start(progress, drv)

    try:
        done = _run(argv, on_stderr_line=watch)
    except CommandError as exc:
        _raise_build_failure(exc)
        raise
    return [Path(line) for line in done.stdout.split()]


def build_in_fresh_store(nix_binary: Path, file: Path, *, args: Mapping[str, str], workdir: Path) -> Path:
    """Build a Nix file (called with args as strings) with another nix binary, such as one rootstock just built,
    in a store and state of its own under workdir; return the output path.

    Raises:
        CommandError: that nix failed (or does not run).
    """
    conf = workdir / "etc"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "nix.conf").write_text(FRESH_STORE_CONF)
    env = {
        "NIX_STORE_DIR": str(workdir / "store"),
        "NIX_STATE_DIR": str(workdir / "state"),
        "NIX_LOG_DIR": str(workdir / "log"),
        "NIX_CONF_DIR": str(conf),
        "HOME": str(workdir),
    }
    argv = [nix_binary, *EXPERIMENTAL, "build", "--no-link", "--print-out-paths", "-f", file, *_arg_flags(args)]
    return Path(proc.run(argv, env=env).stdout.strip())


def _show_derivations(drvs: Sequence[str]) -> dict[str, Any]:
    show = _active.get().derivation_show()
    shown: dict[str, Any] = json.loads(_run(["nix", *EXPERIMENTAL, *show, *drvs]).stdout)
    return shown


def show_derivation(drv: str) -> dict[str, Any]:
    """What a .drv declares (`nix show-derivation`): its system, builder, args, env and outputs."""
    return _show_derivations([drv])[drv]


def derivation_outputs(drvs: Sequence[str]) -> dict[str, dict[str, Path]]:
    """drv path -> output name -> output path, as the derivations declare them."""
    if not drvs:
        return {}
    shown = _show_derivations(drvs)
    return {drv: {name: Path(out["path"]) for name, out in info["outputs"].items()} for drv, info in shown.items()}


def read_log(drv: str) -> str:
    """The build log Nix kept for a derivation ('' when it keeps none).

    Nix keeps logs as <log dir>/drvs/<2 chars>/<rest of the drv name>.bz2 (unchanged from 2.3 to today);
    reading that file directly saves a nix-store process per step, which the chain's speed budget notices.
    """
    base = Path(drv).name
    kept = _active.get().log_dir() / "drvs" / base[:2] / f"{base[2:]}.bz2"
    try:
        return bz2.decompress(kept.read_bytes()).decode(errors="replace")
    except (OSError, ValueError):
        pass
    try:
        return _run(["nix-store", "--read-log", drv]).stdout
    except CommandError:
        return ""


def is_valid(path: str | Path) -> bool:
    """Whether a store path is registered as valid."""
    done = _run(["nix-store", "--check-validity", path], ok_codes=(0, 1))
    return done.exit_code == 0


@frozen
class PathInfo:
    """What the store records of a valid path: what a narinfo carries and Nix signs (`nix path-info --json`)."""

    path: str
    nar_hash: Hash
    nar_size: int
    references: tuple[str, ...]
    """Full store paths, sorted (a set in Nix)."""

    def fingerprint(self) -> str:
        """The text Nix signs for a path (ValidPathInfo::fingerprint): `1;<path>;<sha256:base32>;<size>;<refs>`."""
        return f"1;{self.path};{self.nar_hash.algo}:{self.nar_hash.nix32};{self.nar_size};{','.join(self.references)}"


def path_infos(paths: Sequence[str | Path]) -> dict[str, PathInfo]:
    """The store's own record of each valid path (NAR hash and size as Nix computed them when it registered the
    path, its references), in one `nix path-info --json` call.

    Raises:
        BuildError: a path is not valid in the store (nothing to record).
    """
    if not paths:
        return {}
    done = _run(["nix", *EXPERIMENTAL, *OFFLINE, "path-info", "--json", *paths], ok_codes=(0, 1))
    printed = json.loads(done.stdout or "[]")
    # Nix 2.8 prints a list of objects that name their path; 2.19 and later an object by path (null: invalid).
    items = printed if isinstance(printed, list) else [{**(v or {}), "path": k} for k, v in printed.items()]
    infos: dict[str, PathInfo] = {}
    for item in items:
        if not item.get("valid", True) or "narHash" not in item:
            continue
        path = item["path"]
        refs = tuple(sorted(item.get("references", ())))
        # Nix 2.8 prints SRI; older ones `sha256:<base32>`.
        nar_hash = Hash.parse(item["narHash"].removeprefix("sha256:"))
        infos[path] = PathInfo(path, nar_hash, int(item["narSize"]), refs)
    missing = [str(p) for p in paths if str(p) not in infos]
    if missing:
        msg = f"not valid in the Nix store: {listing(missing)}"
        raise BuildError(msg)
    return infos


def delete(path: Path) -> None:
    """Remove a path from the store (an output that failed its check must not stay marked as built)."""
    _run(["nix-store", "--delete", path], ok_codes=(0, 1))


def fixed_path(name: str, hash_: Hash, *, recursive: bool) -> Path:
    """The store path a fixed-output derivation or an added path with this name and hash gets."""
    argv = ["nix-store", "--print-fixed-path", *(["--recursive"] if recursive else []), hash_.algo, hash_.nix32, name]
    return Path(_run(argv).stdout.strip())


def add_fixed(path: Path, *, recursive: bool) -> Path:
    """Add a file or tree to the store as a content-addressed path named after its basename."""
    argv: list[str | Path] = ["nix-store", "--add-fixed", *(["--recursive"] if recursive else []), "sha256", path]
    return Path(_run(argv).stdout.strip())


def hash_path(path: Path, algo: str = "sha256") -> Hash:
    """nix-hash's NAR sha256 (or sha512) of a path (used as the oracle for rootstock's own NAR code)."""
    return Hash.parse(_run(["nix-hash", "--type", algo, "--base32", path]).stdout.strip(), algo)


def prefetch_url(url: str, *, name: str, unpack: bool = False, executable: bool = False) -> Prefetched:
    """Download a URL into the store with nix-prefetch-url and return its hash and path."""
    argv = ["nix-prefetch-url", "--type", "sha256", "--print-path", "--name", name]
    argv += [flag for flag, on in (("--unpack", unpack), ("--executable", executable)) if on]
    argv.append(url)
    lines = _run(argv).stdout.split()
    if len(lines) != 2:
        msg = f"nix-prefetch-url printed {lines!r}, expected a hash and a store path"
        raise InputError(msg)
    return Prefetched(Hash.parse(lines[0]), Path(lines[1]))


def parse_prefetch_git_json(text: str) -> Prefetched:
    """Read nix-prefetch-git's JSON; old versions give only 'sha256' (nix-base32), newer 'hash' (SRI) and 'path'.

    Raises:
        InputError: the JSON has neither hash field.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"nix-prefetch-git printed no JSON ({exc})"
        raise InputError(msg) from None
    hash_text = data.get("hash") or data.get("sha256")
    if not isinstance(hash_text, str):
        msg = f"nix-prefetch-git JSON has no 'hash' or 'sha256' field: {sorted(data)}"
        raise InputError(msg)
    return Prefetched(Hash.parse(hash_text), Path(data.get("path", "")))


def prefetch_git(url: str, rev: str, *, submodules: bool) -> Prefetched:
    """Run nix-prefetch-git (nixpkgs' script) for an exact revision."""
    argv = ["nix-prefetch-git", "--url", url, "--rev", rev, "--quiet", *(["--fetch-submodules"] if submodules else [])]
    return parse_prefetch_git_json(proc.run(argv).stdout)


def fetch_git_nar_hash(url: str, rev: str, *, submodules: bool) -> Hash:
    """The NAR hash of builtins.fetchGit's checkout: Nix's own git fetcher as an independent oracle."""
    expr = (
        f"(builtins.fetchGit {{ url = {json.dumps(url)}; rev = {json.dumps(rev)}; "
        f"submodules = {'true' if submodules else 'false'}; allRefs = true; }}).narHash"
    )
    out = _run(["nix-instantiate", "--eval", "--json", *OFFLINE, "-E", expr]).stdout
    return Hash.parse(json.loads(out))
