"""Git behind host/git.py: a pin's patch applied to a prepared tree that is not a repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootstock.errors import InputError
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
