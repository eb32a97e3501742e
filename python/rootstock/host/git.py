"""Git operations rootstock needs (exact-revision checkout, tag lookup, mirroring), behind proc.run."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urljoin

from attrs import frozen

from rootstock.errors import OFFLINE_REMEDY, CheckoutError, CommandError, InputError, MissingObjectError
from rootstock.host import proc

# The path CheckoutError gives the pin's own repository, where a submodule's gives its path.
OWN = ""
# Reproducible git behaviour: no user or system configuration leaks into what is fetched.
ISOLATED_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
# How git names an object a repository lacks: upload-pack's pack-objects ("unable to read <sha>"), rev-list
# ("missing blob object '<sha>'").
MISSING_OBJECT_RE = re.compile(r"(?:unable to read|missing \w+ object '?)\s*([0-9a-f]{40})")


@frozen
class Submodule:
    """A submodule recorded at a commit: where it lives, where it comes from, which commit it pins."""

    path: str
    url: str
    rev: str


def _git(args: list[str | Path], *, cwd: Path | None = None, rewrites: Sequence[tuple[str, str]] = ()) -> str:
    config: list[str] = ["-c", "protocol.file.allow=always", "-c", "advice.detachedHead=false"]
    for new, old in rewrites:
        config += ["-c", f"url.{new}.insteadOf={old}"]
    return proc.run(["git", *config, *args], cwd=cwd, env=ISOLATED_ENV).stdout


def tag_commit(url: str, tag: str, *, rewrites: Sequence[tuple[str, str]] = ()) -> str | None:
    """The commit a tag names on the remote (annotated tags peeled), or None when the tag does not exist."""
    try:
        out = _git(["ls-remote", "--tags", url, f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}"], rewrites=rewrites)
    except CommandError as exc:
        hint = "" if rewrites else f"; offline? {OFFLINE_REMEDY}"
        msg = f"cannot reach {url} to look up tag '{tag}' ({git_reason(exc)}{hint})"
        raise InputError(msg) from None
    refs = dict(reversed(line.split("\t", 1)) for line in out.splitlines() if "\t" in line)
    return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")


def checkout(
    url: str,
    rev: str,
    dest: Path,
    *,
    submodules: bool,
    rewrites: Sequence[tuple[str, str]] = (),
) -> None:
    """Check out exactly rev of url into dest (and its submodules, recursively, at their recorded commits).

    Raises:
        CheckoutError: the repository, or a submodule's, cannot be reached or does not hold the commit.
        MissingObjectError: it holds the commit but lacks an object of its history (a damaged copy).
    """
    dest.mkdir(parents=True)
    _git(["init", "--quiet", dest])
    # A named remote lets relative submodule URLs (../M2libc) resolve against the superproject's URL.
    _git(["remote", "add", "origin", url], cwd=dest)
    try:
        _git(["fetch", "--quiet", "origin", rev], cwd=dest, rewrites=rewrites)
    except CommandError as exc:
        if found := MISSING_OBJECT_RE.search(exc.stderr_tail):
            raise MissingObjectError(url, rev, found.group(1)) from None
        reachable = _answers(url, rewrites)
        raise CheckoutError(OWN, url, rev, reachable=reachable, reason=git_reason(exc)) from None
    _git(["checkout", "--quiet", "--detach", rev], cwd=dest)
    if submodules:
        _update_submodules(dest, url, rewrites=rewrites, prefix="")


def _update_submodules(tree: Path, url: str, *, rewrites: Sequence[tuple[str, str]], prefix: str) -> None:
    # One submodule at a time (recursing by hand, not --recursive): a failure then names its submodule.
    for sub in submodules_at(tree, "HEAD"):
        sub_url = submodule_url(url, sub.url)
        try:
            _git(["submodule", "update", "--quiet", "--init", "--", sub.path], cwd=tree, rewrites=rewrites)
        except CommandError as exc:
            if found := MISSING_OBJECT_RE.search(exc.stderr_tail):
                raise MissingObjectError(sub_url, sub.rev, found.group(1)) from None
            # git's other reasons here name only the temporary checkout ("clone of URL into submodule path … failed").
            reachable = _answers(sub_url, rewrites)
            raise CheckoutError(prefix + sub.path, sub_url, sub.rev, reachable=reachable) from None
        _update_submodules(tree / sub.path, sub_url, rewrites=rewrites, prefix=f"{prefix}{sub.path}/")


def git_reason(exc: CommandError) -> str:
    """git's own reason for a failure, in one line: its last `fatal:` line (else its last line), as it wrote it."""
    lines = [line.strip() for line in exc.stderr_tail.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("fatal:")]
    return (fatal or lines or [f"exit {exc.exit_code_of_command}"])[-1]


def _answers(url: str, rewrites: Sequence[tuple[str, str]]) -> bool:
    # Whether a repository is there at all: a fetch of a commit from one that is means it lacks the commit.
    try:
        _git(["ls-remote", url, "HEAD"], rewrites=rewrites)
    except CommandError:
        return False
    return True


def submodule_url(superproject: str, url: str) -> str:
    """A submodule's URL as git resolves it: `./x` and `../x` relative to the superproject's URL."""
    return urljoin(superproject.rstrip("/") + "/", url) if url.startswith(("./", "../")) else url


def apply_patch(tree: Path, patch: Path) -> None:
    """Apply a patch (paths with one leading component, as `diff -ru a b` and git write them) to a tree that
    need not be a repository.

    Raises:
        InputError: it does not apply; the message is the first failure git reports (a file, a hunk's line).
    """
    try:
        _git(["apply", "-p1", patch], cwd=tree)
    except CommandError as exc:
        raise InputError(_first_patch_failure(exc.stderr_tail)) from None


def _first_patch_failure(stderr: str) -> str:
    # git says `error: patch failed: FILE:LINE` for a hunk that does not match, then `error: FILE: patch does not
    # apply`; a file that is not there, or a patch it cannot read, is one `error: ...` line.
    for line in stderr.splitlines():
        if m := re.match(r"error: patch failed: (.+):(\d+)$", line):
            return f"{m.group(1)}: the hunk at line {m.group(2)} does not match"
    errors = [line.removeprefix("error: ") for line in stderr.splitlines() if line.startswith("error: ")]
    return (errors or [line for line in stderr.splitlines() if line.strip()] or ["git apply failed"])[0]


def strip_git_metadata(tree: Path) -> None:
    """Remove every .git entry (the top-level directory and the submodules' gitfiles), as Nix's fetchers do."""
    for found in sorted(tree.rglob(".git"), key=lambda p: len(p.parts), reverse=True):
        if found.is_dir() and not found.is_symlink():
            shutil.rmtree(found)
        else:
            found.unlink()


def submodules_at(repo: Path, rev: str) -> list[Submodule]:
    """The submodules a commit records (from its .gitmodules and gitlinks)."""
    try:
        gitmodules = proc.run(["git", "show", f"{rev}:.gitmodules"], cwd=repo, env=ISOLATED_ENV).stdout
    except CommandError:
        return []
    paths: dict[str, str] = {}
    urls: dict[str, str] = {}
    section = ""
    for raw in gitmodules.splitlines():
        line = raw.strip()
        if m := re.match(r'\[submodule "(.+)"\]', line):
            section = m.group(1)
        elif m := re.match(r"(path|url)\s*=\s*(.+)", line):
            (paths if m.group(1) == "path" else urls)[section] = m.group(2).strip()
    result = []
    for name, path in sorted(paths.items()):
        tree = proc.run(["git", "ls-tree", rev, "--", path], cwd=repo, env=ISOLATED_ENV).stdout.split()
        if len(tree) >= 3 and tree[1] == "commit" and name in urls:
            result.append(Submodule(path=path, url=urls[name], rev=tree[2]))
    return result


def mirror_clone(url: str, dest: Path) -> None:
    """Make or refresh a bare mirror of url at dest (all branches and tags)."""
    if dest.exists():
        _git(["remote", "update", "--prune"], cwd=dest)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        _git(["clone", "--quiet", "--mirror", url, dest])


def copy_repository(source: Path, dest: Path) -> None:
    """Make dest a bare copy of the local repository source, every ref and object (copied, never hard-linked or
    borrowed, so dest depends on nothing of source)."""
    _git(["clone", "--quiet", "--mirror", "--no-hardlinks", "--dissociate", source, dest])


def fetch_into(source: Path, dest: Path, refspecs: Sequence[str], *, depth: int | None) -> None:
    """Make dest a bare repository holding what the refspecs fetch from source (`<rev>:<ref>` for a commit no ref
    of source need name); with depth, only that many commits of each history (a shallow repository)."""
    _git(["init", "--quiet", "--bare", dest])
    shallow = [f"--depth={depth}"] if depth is not None else []
    _git(["fetch", "--quiet", "--no-tags", *shallow, source, *refspecs], cwd=dest)


def set_upstream(repo: Path, url: str) -> None:
    """Make url the origin a bare mirror refreshes from (`remote update`), as `clone --mirror url` would."""
    if "origin" in _git(["remote"], cwd=repo).split():
        _git(["remote", "set-url", "origin", url], cwd=repo)
    else:
        _git(["remote", "add", "--mirror=fetch", "origin", url], cwd=repo)


def missing_object(repo: Path, revs: Sequence[str], *, history: bool) -> str | None:
    """The first object a local repository lacks of what revs reach (their whole history, or with history false
    only the commits and their trees), None when it has them all. Read-only: this is what upload-pack would die
    on when asked for them."""
    walk = [] if history else ["--no-walk"]
    done = proc.run(
        ["git", "rev-list", "--objects", "--quiet", "--missing=error", *walk, *revs, "--"],
        cwd=repo,
        env=ISOLATED_ENV,
        ok_codes=(0, 128),
    )
    if done.exit_code == 0:
        return None
    if found := MISSING_OBJECT_RE.search(done.stderr):
        return found.group(1)
    raise CommandError(done.argv, done.exit_code, done.stderr)


def tag_target(repo: Path, tag: str) -> str | None:
    """The commit a tag of a local repository names (annotated tags peeled), None when there is no such tag."""
    done = proc.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}"],
        cwd=repo,
        env=ISOLATED_ENV,
        ok_codes=(0, 1, 128),
    )
    return done.stdout.strip() if done.exit_code == 0 else None


def lacks_refs(repo: Path) -> bool:
    """Whether a bare repository lost its (often empty) refs/ directory, as copies by tools that drop empty
    directories leave it: git then refuses it as "not a git repository" although its objects and packed-refs are
    all there."""
    return (repo / "HEAD").is_file() and (repo / "objects").is_dir() and not (repo / "refs").is_dir()


def shadow_repository(source: Path, dest: Path) -> None:
    """Make dest a private bare repository that serves the commits, tags and HEAD of source without writing to it:
    source's objects are borrowed through objects/info/alternates, its packed-refs and HEAD copied."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    # No template: hooks and info/exclude have no use in a repository only read from.
    _git(["init", "--quiet", "--bare", "--template=", dest])
    (dest / "objects" / "info" / "alternates").write_text(f"{(source / 'objects').resolve()}\n")
    for name in ("HEAD", "packed-refs"):
        if (source / name).is_file():
            shutil.copyfile(source / name, dest / name)


def has_commit(repo: Path, rev: str) -> bool:
    """Whether a (bare) repository holds a commit."""
    done = proc.run(["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=repo, env=ISOLATED_ENV, ok_codes=(0, 1, 128))
    return done.exit_code == 0


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    """Whether commit ancestor is descendant or one of its ancestors, in a (bare) repository holding both."""
    done = proc.run(
        ["git", "merge-base", "--is-ancestor", ancestor, descendant], cwd=repo, env=ISOLATED_ENV, ok_codes=(0, 1)
    )
    return done.exit_code == 0
