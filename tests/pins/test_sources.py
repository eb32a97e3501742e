"""Where `mirror fill --from` looks: repositories bare or with a working tree (and the submodules checked out in
it), a few levels deep; downloads outside repositories, never the files of a repository or its objects."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from common_support import commit, git, make_repo
from rootstock.host.git import tag_target
from rootstock.pins.sources import MAX_DEPTH, LocalSources


def test_repositories_and_downloads_are_told_apart(tmp_path: Path) -> None:
    top = tmp_path / "from"
    sub_rev = make_repo(tmp_path / "sub", {"lib.c": "int lib;\n"})
    clone = top / "clones" / "main"
    make_repo(clone, {"vendor/old.tar.gz": "a file of the sources, not a download\n"})
    git(clone, "-c", "protocol.file.allow=always", "submodule", "add", "-q", (tmp_path / "sub").as_uri(), "sub")
    commit(clone, {}, "add submodule")
    bare = top / "snapshots" / "me+main" / "repo"
    git(tmp_path, "clone", "-q", "--bare", str(clone), str(bare))
    (top / "srcdl").mkdir()
    (top / "srcdl" / "pkg_1.0.orig.tar.gz").write_text("a download\n")
    with LocalSources([top]) as sources:
        assert set(sources.repositories) == {clone, clone / "sub", bare}
        assert sources.files == [top / "srcdl" / "pkg_1.0.orig.tar.gz"]
        assert sources.repository([sub_rev], {}) == clone / "sub"


def test_the_search_goes_a_few_levels_deep(tmp_path: Path) -> None:
    """As deep as a mirror's git/<host>/<owner>/<name>.git, no deeper."""
    top = tmp_path / "from"
    deep = top.joinpath(*(f"d{n}" for n in range(MAX_DEPTH - 1)))
    make_repo(deep / "found", {"a": "a\n"})
    make_repo(deep / "d" / "lost", {"a": "a\n"})
    (deep / "found.txt").write_text("found\n")
    (deep / "d" / "e").mkdir()
    (deep / "d" / "e" / "lost.txt").write_text("too deep\n")
    with LocalSources([top]) as sources:
        assert sources.repositories == [deep / "found"]
        assert sources.files == [deep / "found.txt"]


def test_a_bare_repository_without_refs_is_read_through_a_shadow(tmp_path: Path) -> None:
    """A mirror carried over by a tool that drops empty directories has bare repositories without refs/, which git
    refuses: they still serve, and nothing is written into them."""
    rev = make_repo(tmp_path / "work", {"a": "a\n"})
    git(tmp_path / "work", "tag", "-a", "v1", "-m", "v1")
    carried = tmp_path / "carried" / "git" / "example.org" / "a.git"
    git(tmp_path, "clone", "-q", "--mirror", str(tmp_path / "work"), str(carried))
    git(carried, "pack-refs", "--all")
    shutil.rmtree(carried / "refs")
    before = sorted(str(path) for path in carried.rglob("*"))
    with LocalSources([tmp_path / "carried"]) as sources:
        shadow = sources.repository([rev], {"v1": rev})
        assert shadow is not None
        assert sources.shown(shadow) == carried
        assert tag_target(shadow, "v1") == rev
    assert not shadow.exists()
    assert sorted(str(path) for path in carried.rglob("*")) == before


def test_a_symlink_loop_is_skipped_with_a_warning_naming_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    top = tmp_path / "from"
    top.mkdir()
    (top / "loop").symlink_to("loop")
    (top / "seed").write_text("a download\n")
    (top / "link").symlink_to("seed")
    with caplog.at_level(logging.WARNING), LocalSources([top]) as sources:
        assert sources.files == [top / "link", top / "seed"]
    assert caplog.messages == [f"skipping {top / 'loop'}: Too many levels of symbolic links"]
