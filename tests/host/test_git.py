"""Git behind host/git.py: a pin's patch applied to a prepared tree that is not a repository; a repository that
lost objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from common_support import commit, make_repo
from common_support import git as git_in
from rootstock.errors import InputError, MissingObjectError
from rootstock.host import git

PATCH = """--- a/hello.c
+++ b/hello.c
@@ -1 +1 @@
-int main(void) { return 1; }
+int main(void) { return 0; }
"""


def test_a_patch_applies_to_a_plain_tree_and_a_stale_one_fails(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    tree.mkdir()
    (tree / "hello.c").write_text("int main(void) { return 1; }\n")
    patch = tmp_path / "fix.patch"
    patch.write_text(PATCH)
    git.apply_patch(tree, patch)
    assert (tree / "hello.c").read_text() == "int main(void) { return 0; }\n"
    with pytest.raises(InputError) as stale:
        git.apply_patch(tree, patch)
    assert str(stale.value) == "hello.c: the hunk at line 1 does not match"
    (tree / "hello.c").unlink()
    with pytest.raises(InputError) as missing:
        git.apply_patch(tree, patch)
    assert str(missing.value) == "hello.c: No such file or directory"


@pytest.fixture
def lost_blob(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose first commit's blob is gone (a snapshot that lost old objects); returns it and the blob."""
    repo = tmp_path / "repo"
    make_repo(repo, {"big.bin": "old test data\n"})
    gone = git_in(repo, "rev-parse", "HEAD:big.bin")
    git_in(repo, "rm", "-q", "big.bin")
    commit(repo, {"README": "now\n"}, "drop the test data")
    (repo / ".git" / "objects" / gone[:2] / gone[2:]).unlink()
    return repo, gone


def test_the_first_missing_object_of_a_history_or_of_a_tree(lost_blob: tuple[Path, str]) -> None:
    repo, gone = lost_blob
    assert git.missing_object(repo, ["HEAD"], history=True) == gone
    assert git.missing_object(repo, ["--all"], history=True) == gone
    assert git.missing_object(repo, ["HEAD"], history=False) is None
    assert git.missing_object(repo, ["HEAD~1"], history=False) == gone


def test_a_repository_that_cannot_serve_a_commit_says_which_object_it_lacks(
    lost_blob: tuple[Path, str], tmp_path: Path
) -> None:
    repo, gone = lost_blob
    rev = git_in(repo, "rev-parse", "HEAD")
    with pytest.raises(MissingObjectError) as info:
        git.checkout(repo.as_uri(), rev, tmp_path / "checkout", submodules=False)
    assert str(info.value) == (
        f"{repo.as_uri()} holds commit {rev} but cannot serve it: object {gone} of its history is missing there "
        "(the repository is damaged)"
    )
