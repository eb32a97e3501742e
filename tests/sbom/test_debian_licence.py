"""A Debian package's licence from its machine-readable copyright file; prose states none."""

from __future__ import annotations

from pathlib import Path

from rootstock.sbom.debian_licence import from_copyright

DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: make
License: GPL-3+

Files: *
Copyright: 1988-2020 Free Software Foundation, Inc.
License: GPL-3+

Files: lib/*
Copyright: 2001 somebody
License: LGPL-2.1+ or BSD-3-clause

Files: debian/*
License: GPL-3+ with Autoconf exception

License: GPL-3+
 On Debian systems the full text is in /usr/share/common-licenses/GPL-3.
"""


def test_the_license_fields_of_files_paragraphs_become_one_expression(tmp_path: Path) -> None:
    path = tmp_path / "copyright"
    path.write_text(DEP5)
    found = from_copyright(path)
    assert found.expression.split(" AND ") == [
        "GPL-3.0-or-later",
        "(LGPL-2.1-or-later OR BSD-3-Clause)",
        "LicenseRef-debian-GPL-3-plus-with-Autoconf-exception",
    ]
    assert found.rule == f"the License: fields of {path} (Debian's short names as SPDX identifiers)"


def test_prose_or_no_file_states_no_expression(tmp_path: Path) -> None:
    prose = tmp_path / "copyright"
    prose.write_text("This is the Debian GNU/Linux prepackaged version of the GNU compiler collection.\n")
    assert from_copyright(prose).expression == ""
    assert "not in Debian's machine-readable copyright format" in from_copyright(prose).rule
    assert "cannot be read" in from_copyright(tmp_path / "absent").rule
