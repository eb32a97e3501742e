"""Where `mirror fill --from` looks: repositories bare or with a working tree (and the submodules checked out in
it), a few levels deep; downloads outside repositories, never the files of a repository or its objects."""

from __future__ import annotations

from pathlib import Path

from common_support import commit, git, make_repo
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
    sources = LocalSources([top])
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
    sources = LocalSources([top])
    assert sources.repositories == [deep / "found"]
    assert sources.files == [deep / "found.txt"]
