"""`pins update`: prefetch a new revision, tag or file and rewrite its pin in place, keeping `rev`, `tag` and
`version` consistent (a pin never names a tag that does not name its commit, nor a version of another release).

The version rule: a version is *derived from* a tag when it equals the tag without what precedes its first
digit (`Release_1.9.1` -> `1.9.1`, `v2.6.0` -> `2.6.0`, `2.28.7` -> `2.28.7`). Moving to another tag moves such a
version with it; a version written by hand (not derived) must then be given with --version. Dropping the tag
(--untag) drops a version derived from it, unless --version gives one. `--version ''` removes the version.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import attrs
from attrs import frozen

from rootstock.core import storename
from rootstock.core.files import temporary_directory
from rootstock.core.hashes import Hash
from rootstock.core.nar import flat_hash, nar_hash
from rootstock.errors import InputError, ToolMissingError
from rootstock.host import nix
from rootstock.pins.convert import update_pin_fields
from rootstock.pins.fetch import Fetcher, unpack_single_root
from rootstock.pins.model import FilePin, GitPin, NamedPin, Rev, TarballPin

VERSION_RE = re.compile(r"\d.*")


def _check_version(_request: object, _attribute: object, version: str | None) -> None:
    # Checked before anything is fetched; the pins file would refuse it too, but not name --version.
    if version and (why := storename.problem(version)) is not None:
        msg = f"--version: {why}"
        raise InputError(msg)


@frozen
class Request:
    """What the user asked `pins update` for (every field optional: by default follow the pinned tag)."""

    rev: str | None = None
    tag: str | None = None
    untag: bool = False
    version: str | None = attrs.field(default=None, validator=_check_version)
    """The new version; '' removes it."""
    file: Path | None = None


@frozen
class Updated:
    """What changed in one pin (a field whose new value is None is removed), and what the user must do next."""

    name: str
    old: dict[str, str | None]
    new: dict[str, str | None]
    notes: tuple[str, ...] = ()


def version_of_tag(tag: str) -> str | None:
    """The version a tag names: the tag from its first digit on (None when it has no digit)."""
    m = VERSION_RE.search(tag)
    return m.group(0) if m else None


def _git_hash(fetcher: Fetcher, named: NamedPin, pin: GitPin) -> Hash:
    prepared = pin.remove or pin.patches
    if not prepared and fetcher.mirror is None:
        try:
            return nix.prefetch_git(pin.url, pin.rev, submodules=pin.submodules).hash
        except ToolMissingError:
            pass  # Debian's Nix ships no nix-prefetch-git; the built-in path gives the identical NAR hash.
    with temporary_directory("rootstock-update-") as tmp:
        return fetcher.actual_hash(attrs.evolve(named, pin=pin), tmp)


def _tag_commit(fetcher: Fetcher, named: NamedPin, tag: str) -> str:
    commit = fetcher.tag_commit(named, tag)
    if commit is None:
        msg = f"pin '{named.name}': tag '{tag}' does not exist at {named.pin.urls[0]}"
        raise InputError(msg)
    return commit


def _new_version(named: NamedPin, pin: GitPin, tag: str | None, request: Request) -> str | None:
    """The version after the tag changes from pin.tag to tag (see the module's rule)."""
    if request.version is not None:
        return request.version or None
    if pin.version is None or tag == pin.tag:
        return pin.version
    derived = pin.tag is not None and version_of_tag(pin.tag) == pin.version
    if not derived:
        source = f"was not derived from tag '{pin.tag}'" if pin.tag is not None else "was written for no tag"
        msg = (
            f"pin '{named.name}': version '{pin.version}' {source}, so it cannot follow the tag change to "
            f"{tag or 'no tag'}: give the new version with --version"
        )
        raise InputError(msg)
    return version_of_tag(tag) if tag is not None else None


def _git_target(fetcher: Fetcher, named: NamedPin, pin: GitPin, request: Request) -> tuple[str, str | None]:
    """The commit and tag the pin moves to.

    Raises:
        InputError: the tag is gone, or the commit is not what the pin's (or the given) tag names.
    """
    if request.tag is not None:
        commit = _tag_commit(fetcher, named, request.tag)
        if request.rev is not None and request.rev != commit:
            msg = f"pin '{named.name}': tag '{request.tag}' names {commit}, not --rev {request.rev}"
            raise InputError(msg)
        return commit, request.tag
    if request.untag or pin.tag is None:
        if request.rev is None:
            why = f"--untag drops its tag '{pin.tag}'" if request.untag and pin.tag else "it has no tag to follow"
            also = "" if request.untag else " (or a tag with --tag)"
            msg = f"pin '{named.name}': {why}, so give the commit to pin with --rev{also}"
            raise InputError(msg)
        return request.rev, None
    commit = _tag_commit(fetcher, named, pin.tag)
    if request.rev is not None and request.rev != commit:
        msg = (
            f"pin '{named.name}': its tag '{pin.tag}' names {commit}, not {request.rev}; a pin must not name a "
            f"tag that does not name its commit: give --tag TAG naming {request.rev}, or --untag to drop the tag"
        )
        raise InputError(msg)
    return commit, pin.tag


def _update_git(fetcher: Fetcher, named: NamedPin, pin: GitPin, request: Request) -> Updated:
    if request.file is not None:
        msg = f"pin '{named.name}' is a git pin; --file only applies to file and tarball pins"
        raise InputError(msg)
    rev, tag = _git_target(fetcher, named, pin, request)
    version = _new_version(named, pin, tag, request)
    fresh = attrs.evolve(pin, rev=Rev(rev), tag=tag, version=version)
    new_hash = _git_hash(fetcher, attrs.evolve(named, pin=fresh), fresh)
    old: dict[str, str | None] = {"rev": pin.rev, "tag": pin.tag, "version": pin.version, "hash": pin.hash.sri}
    new: dict[str, str | None] = {"rev": rev, "tag": tag, "version": version, "hash": new_hash.sri}
    return Updated(named.name, old, new)


def _local_hash(named: NamedPin, pin: FilePin | TarballPin, path: Path) -> Hash:
    """The hash of a local file computed the way the pin is hashed (flat, NAR, or NAR of the unpacked tree).

    Raises:
        InputError: the file cannot be read, or a tarball to unpack is not one.
    """
    if not path.is_file():
        msg = f"pin '{named.name}': --file {path} is not a file"
        raise InputError(msg)
    with temporary_directory("rootstock-update-") as tmp:
        dest = tmp / named.store_name
        if isinstance(pin, TarballPin) and pin.unpack:
            unpack_single_root(path, dest)
            return nar_hash(dest)
        shutil.copyfile(path, dest)
        dest.chmod(0o555 if isinstance(pin, FilePin) and pin.executable else 0o444)
        return nar_hash(dest) if pin.recursive else flat_hash(dest)


def _update_download(fetcher: Fetcher, named: NamedPin, pin: FilePin | TarballPin, request: Request) -> Updated:
    if request.rev is not None or request.tag is not None or request.untag:
        msg = f"pin '{named.name}' is a {pin.kind} pin; --rev, --tag and --untag only apply to git pins"
        raise InputError(msg)
    notes: tuple[str, ...] = ()
    if request.file is not None:
        new_hash = _local_hash(named, pin, request.file)
        if fetcher.mirror is not None:
            where = fetcher.mirror.file_path(new_hash)
            notes = (f"add the file to the mirror before building: cp {request.file} {where}",)
    elif fetcher.mirror is not None:
        # The mirror keeps files under their pinned hash, and the new hash is what is being looked for.
        msg = (
            f"pin '{named.name}': a mirror cannot say which file is new (it keeps files by their pinned hash); "
            f"obtain the new file, review it, then run 'rootstock pins update {named.name} --file PATH'"
        )
        raise InputError(msg)
    else:
        unpack = isinstance(pin, TarballPin) and pin.unpack
        executable = isinstance(pin, FilePin) and pin.executable
        new_hash = nix.prefetch_url(pin.urls[0], name=named.store_name, unpack=unpack, executable=executable).hash
    old: dict[str, str | None] = {"hash": pin.hash.sri}
    new: dict[str, str | None] = {"hash": new_hash.sri}
    if request.version is not None:
        old["version"], new["version"] = pin.version, request.version or None
    return Updated(named.name, old, new, notes)


def update(fetcher: Fetcher, pins_file: Path, named: NamedPin, request: Request) -> Updated:
    """Prefetch the pin's new content and write its new fields into the pins file.

    Raises:
        InputError: the request contradicts the pin (see the module's rules), or the download fails.
    """
    pin = named.pin
    if isinstance(pin, GitPin):
        result = _update_git(fetcher, named, pin, request)
    else:
        result = _update_download(fetcher, named, pin, request)
    if pin.published and result.new["hash"] != pin.hash.sri:
        # What others published was the old content's hash; kept, it would fail every `pins verify`.
        dropped = ", ".join(sorted(pin.published))
        result = attrs.evolve(
            result,
            old={**result.old, "published": dropped},
            new={**result.new, "published": None},
            notes=(*result.notes, f"published hashes of the old content dropped ({dropped}): add the new ones"),
        )
    update_pin_fields(pins_file, named.name, result.new)
    return result
