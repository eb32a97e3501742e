"""Pins' content in local directories (`mirror fill --from`): git repositories holding a commit and files hashing
to a pin, recognised by content, never by name (Debian calls upstream's `openssl-3.0.22.tar.gz`
`openssl_3.0.22.orig.tar.gz`; a snapshot of a repository may sit in a directory called `repo`)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from rootstock.core.files import temporary_directory
from rootstock.core.hashes import Hash
from rootstock.core.nar import flat_hash, lone_file_nar_hash, nar_hash
from rootstock.errors import InputError
from rootstock.host import git
from rootstock.pins.fetch import unpack_single_root
from rootstock.pins.model import FilePin, GitPin, NamedPin, TarballPin

log = logging.getLogger(__name__)

# How far below each directory repositories and files are looked for: a mirror's git/<host>/<owner>/<name>.git,
# a snapshot's <owner>+<name>/repo, an unpacked npm package's package/deps/<file>.
MAX_DEPTH = 4


def _is_bare(names: set[str], directory: Path) -> bool:
    return (directory / "HEAD").is_file() and (directory / "objects").is_dir() and bool({"refs", "packed-refs"} & names)


def _is_file(entry: os.DirEntry[str]) -> bool:
    # A symlink is followed to what it names; one that names nothing it can reach (a loop, no permission) is
    # not a download and must not end the search for the others.
    try:
        return entry.is_file()
    except OSError as exc:
        log.warning("skipping %s: %s", entry.path, exc.strerror)
        return False


class LocalSources:
    """The repositories and files below some directories, looked through once; each file is hashed at most once
    for each way a pin can hash it. A context manager: see shown()."""

    def __init__(self, directories: Sequence[Path]) -> None:
        """Look through the directories.

        A bare repository copied by a tool that drops empty directories (a mirror carried to an air-gapped site)
        lacks refs/, which git refuses; such a repository is read through a private shadow borrowing its objects
        (as Mirror.git_rewrites does), which lives until the context ends. Nothing is written to the sources.

        Raises:
            InputError: one of them is not a directory.
        """
        for directory in directories:
            if not directory.is_dir():
                what = "is not a directory" if directory.exists() else "does not exist"
                msg = f"--from {directory} {what}: expected a directory of git repositories and downloaded files"
                raise InputError(msg)
        self.directories = tuple(directories)
        self.repositories: list[Path] = []
        self.files: list[Path] = []
        for directory in directories:
            self._walk(directory)
        self._scratch = tempfile.TemporaryDirectory(prefix="rootstock-sources-")
        self._shown: dict[Path, Path] = {}
        for n, repo in enumerate(self.repositories):
            if git.lacks_refs(repo):
                shadow = Path(self._scratch.name) / f"{n}.git"
                git.shadow_repository(repo, shadow)
                self.repositories[n] = shadow
                self._shown[shadow] = repo
        self._hashes: dict[tuple[int, int, str], Hash | None] = {}
        self._commits: dict[tuple[Path, str], bool] = {}

    def _walk(self, top: Path) -> None:
        # Repositories are not looked into (their objects are no downloads), except a working tree's directories
        # for the submodules checked out there; files inside a working tree are its sources, not downloads.
        pending = [(top, 0, False)]
        while pending:
            directory, depth, in_tree = pending.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
            except OSError as exc:
                log.warning("skipping %s: %s", directory, exc.strerror)
                continue
            names = {entry.name for entry in entries}
            if _is_bare(names, directory):
                self.repositories.append(directory)
                continue
            if ".git" in names:
                self.repositories.append(directory)
                in_tree = True
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != ".git" and depth < MAX_DEPTH:
                        pending.append((Path(entry.path), depth + 1, in_tree))
                elif not in_tree and _is_file(entry):
                    self.files.append(Path(entry.path))
        self.files.sort()

    def __enter__(self) -> LocalSources:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._scratch.cleanup()

    def shown(self, repo: Path) -> Path:
        """Where a repository is in the directories looked through: itself, or the one without refs/ that its
        shadow stands for."""
        return self._shown.get(repo, repo)

    def holds(self, repo: Path, rev: str) -> bool:
        """Whether repo holds commit rev."""
        key = (repo, rev)
        if key not in self._commits:
            self._commits[key] = git.has_commit(repo, rev)
        return self._commits[key]

    def repository(self, revs: Iterable[str], tags: Mapping[str, str]) -> Path | None:
        """A repository holding every commit of revs, preferring one whose tags (name -> commit) name theirs."""
        wanted = sorted(set(revs))
        holding = [repo for repo in self.repositories if all(self.holds(repo, rev) for rev in wanted)]
        tagged = [repo for repo in holding if all(git.tag_target(repo, t) == rev for t, rev in tags.items())]
        return (tagged or holding or [None])[0]

    def file(self, named: NamedPin) -> Path | None:
        """A file with the bytes of a file or tarball pin: the first whose hash is the pin's, computed as the pin
        is (an unpacked tarball's tree, looked for only under the names of the pin's URLs: unpacking every file
        to find out would take long)."""
        pin = named.pin
        assert not isinstance(pin, GitPin)
        if isinstance(pin, TarballPin) and pin.unpack:
            names = {url.rsplit("/", 1)[-1] for url in pin.urls}
            candidates = [path for path in self.files if path.name in names]
            return next((path for path in candidates if self._hash(path, "unpacked") == pin.hash), None)
        kind = "executable" if isinstance(pin, FilePin) and pin.executable else "flat"
        return next((path for path in self.files if self._hash(path, kind) == pin.hash), None)

    def _hash(self, path: Path, kind: str) -> Hash | None:
        try:
            st = path.stat()
        except OSError as exc:
            log.warning("skipping %s: %s", path, exc.strerror)
            return None
        key = (st.st_dev, st.st_ino, kind)
        if key not in self._hashes:
            try:
                self._hashes[key] = _hash_as(path, kind)
            except InputError as exc:
                log.warning("skipping %s", exc)
                self._hashes[key] = None
        return self._hashes[key]


def _hash_as(path: Path, kind: str) -> Hash:
    if kind == "flat":
        return flat_hash(path)
    if kind == "executable":
        return lone_file_nar_hash(path, executable=True)
    with temporary_directory("rootstock-unpack-") as tmp:
        tree = tmp / "tree"
        unpack_single_root(path, tree)
        return nar_hash(tree)
