"""Obtaining a pin's content, from upstream or from the mirror, in exactly the form its hash pins."""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from attrs import frozen

from rootstock.core.hashes import Hash
from rootstock.core.nar import flat_hash, nar_hash
from rootstock.errors import (
    CheckoutError,
    CommandError,
    HashMismatchError,
    InputError,
    MirrorMissingError,
    MissingObjectError,
)
from rootstock.host import git, nix
from rootstock.pins.mirror import Mirror, Rewrites
from rootstock.pins.model import FilePin, GitPin, NamedPin, Pins, TarballPin


def remedy(name: str) -> str:
    """What to do when a pin no longer matches upstream."""
    return f"if upstream changed on purpose, review the change, then run 'rootstock pins update {name}'"


def unpack_single_root(archive: Path, dest: Path) -> None:
    """Unpack a tarball and move its single top-level entry to dest, as Nix's unpacking fetchers do.

    Raises:
        InputError: the file is not a readable tar archive, or has more than one top-level entry.
    """
    scratch = dest.with_name(dest.name + ".unpack")
    scratch.mkdir()
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="tar")
    except (tarfile.TarError, OSError) as exc:
        msg = f"{archive}: cannot unpack ({exc})"
        raise InputError(msg) from None
    entries = list(scratch.iterdir())
    if len(entries) != 1:
        msg = f"{archive}: expected a single top-level directory in the archive, found {len(entries)} entries"
        raise InputError(msg)
    entries[0].rename(dest)
    scratch.rmdir()


@frozen
class Fetcher:
    """Fetches pins from upstream, or only from the mirror when one is given (the air-gapped case)."""

    pins: Pins
    mirror: Mirror | None = None

    @contextmanager
    def _remote(self, named: NamedPin, wanted: str) -> Iterator[Rewrites]:
        """git URL rewrites into the mirror, if any, for the git commands run on a git pin while the context lasts.

        Raises:
            MirrorMissingError: a mirror is in use and lacks the pin's repository (wanted says for what).
        """
        pin = named.pin
        assert isinstance(pin, GitPin)
        if self.mirror is None:
            yield ()
            return
        repo = self.mirror.git_path(pin.url)
        if not repo.is_dir():
            raise MirrorMissingError(named.name, wanted, str(repo))
        with self.mirror.git_rewrites() as rewrites:
            yield rewrites

    def tag_commit(self, named: NamedPin, tag: str) -> str | None:
        """The commit a tag of a git pin's repository names now (annotated tags peeled), None when it is gone.

        Raises:
            MirrorMissingError: a mirror is in use and lacks the repository.
            InputError: the repository cannot be reached.
        """
        with self._remote(named, f"tag '{tag}'") as rewrites:
            try:
                return git.tag_commit(named.pin.urls[0], tag, rewrites=rewrites)
            except InputError as exc:
                msg = f"pin '{named.name}': {exc}"
                raise InputError(msg) from None

    def raw_file(self, named: NamedPin, workdir: Path) -> Path:
        """The bytes of a file or tarball pin as published (the archive itself, not unpacked).

        Raises:
            MirrorMissingError: a mirror is in use and lacks the file.
            InputError: no URL could be downloaded.
        """
        pin = named.pin
        assert not isinstance(pin, GitPin)
        if self.mirror is not None:
            path = self.mirror.file_path(pin.hash)
            if not path.is_file():
                raise MirrorMissingError(named.name, pin.hash.sri, str(path))
            return path
        failures = []
        for url in pin.urls:
            try:
                return nix.physical(nix.prefetch_url(url, name=f"{named.store_name}-download").store_path)
            except CommandError as exc:
                failures.append(f"{url}: {exc.stderr_tail.splitlines()[-1] if exc.stderr_tail else exc}")
        msg = (
            f"pin '{named.name}': cannot download any of its URLs and no mirror is configured "
            "(--mirror DIR or ROOTSTOCK_MIRROR)\n  " + "\n  ".join(failures)
        )
        raise InputError(msg)

    def _git_tree(self, named: NamedPin, pin: GitPin, dest: Path) -> None:
        try:
            with self._remote(named, f"commit {pin.rev}") as rewrites:
                git.checkout(pin.url, pin.rev, dest, submodules=pin.submodules, rewrites=rewrites)
        except CheckoutError as exc:
            where = self.mirror.git_path(exc.url) if self.mirror is not None else None
            raise exc.of_pin(named.name, where, remedy(named.name)) from None
        except MissingObjectError as exc:
            if self.mirror is None:
                raise exc.of_pin(named.name, None, "") from None
            raise exc.of_pin(named.name, self.mirror.git_path(exc.url), str(self.mirror.root)) from None
        git.strip_git_metadata(dest)
        for pattern in pin.remove:
            matches = sorted(dest.glob(pattern))
            if not matches:
                msg = f"pin '{named.name}': remove pattern {pattern!r} matches nothing in the checkout"
                raise InputError(msg)
            for match in matches:
                if match.is_dir() and not match.is_symlink():
                    shutil.rmtree(match)
                else:
                    match.unlink()
        for patch_name in pin.patches:
            # Checked, so that a changed patch is reported as itself rather than as the tree it is applied to.
            patch = self.check(self.pins.get(patch_name), dest.parent)
            try:
                git.apply_patch(dest, patch)
            except InputError as exc:
                msg = (
                    f"pin '{named.name}': its patch, pin '{patch_name}', does not apply to commit {pin.rev}: {exc}; "
                    f"update the patch for this commit, or drop it from the pin's patches"
                )
                raise InputError(msg) from None

    def content(self, named: NamedPin, workdir: Path) -> Path:
        """The pin's content at workdir/<store name>: a prepared tree, an (executable) file or an unpacked tree."""
        dest = workdir / named.store_name
        if dest.exists():
            return dest
        pin = named.pin
        if isinstance(pin, GitPin):
            self._git_tree(named, pin, dest)
        elif isinstance(pin, TarballPin) and pin.unpack:
            unpack_single_root(self.raw_file(named, workdir), dest)
        else:
            shutil.copyfile(self.raw_file(named, workdir), dest)
            dest.chmod(0o555 if isinstance(pin, FilePin) and pin.executable else 0o444)
        return dest

    def actual_hash(self, named: NamedPin, workdir: Path) -> Hash:
        """The hash of what upstream (or the mirror) serves now, computed the way the pin is hashed."""
        path = self.content(named, workdir)
        return nar_hash(path) if named.pin.recursive else flat_hash(path)

    def check(self, named: NamedPin, workdir: Path) -> Path:
        """Fetch a pin and insist its content matches; return the content.

        Raises:
            HashMismatchError: naming the pin, the expected and the actual hash.
        """
        actual = self.actual_hash(named, workdir)
        if actual == named.pin.hash:
            return self.content(named, workdir)
        if self.mirror is None:
            what = f"pin '{named.name}' ({named.pin.urls[0]})"
            raise HashMismatchError(what, named.pin.hash.sri, actual.sri, remedy(named.name))
        # The bytes came from the mirror, not upstream: the copy is what to suspect.
        pin = named.pin
        copy = self.mirror.git_path(pin.url) if isinstance(pin, GitPin) else self.mirror.file_path(pin.hash)
        what = f"pin '{named.name}' as the mirror holds it ({copy})"
        refill = (
            "the mirror's copy is damaged or not the pinned one: re-fill it with "
            f"'rootstock mirror fill {self.mirror.root} {named.name}' (offline: with --from DIR)"
        )
        raise HashMismatchError(what, pin.hash.sri, actual.sri, refill)

    def place(self, named: NamedPin, workdir: Path) -> Path:
        """Make the pin a valid store path (the one Nix expects for its name and hash) and return it."""
        expected = nix.fixed_path(named.store_name, named.pin.hash, recursive=named.pin.recursive)
        if nix.is_valid(expected):
            return expected
        added = nix.add_fixed(self.check(named, workdir), recursive=named.pin.recursive)
        if added != expected:
            msg = f"pin '{named.name}': the store added {added}, expected {expected}"
            raise InputError(msg)
        return added
