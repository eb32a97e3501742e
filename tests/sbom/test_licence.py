"""Licences from licence files by signature (python/rootstock/sbom/licences.toml): a test for every signature,
the order that keeps texts naming each other apart, trees and archives, and what decides nothing."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from rootstock.errors import InputError
from rootstock.sbom import licence

SIGNATURES = licence.load()


def text_of(spdx: str) -> str:
    """A licence text built from a signature's phrases, reflowed and boxed in a C comment as projects do."""
    sig = next(s for s in SIGNATURES.licence if s.spdx == spdx)
    words = " ".join(sig.all).upper().split()
    lines = [" ".join(words[i : i + 7]) for i in range(0, len(words), 7)]
    return "/*\n" + "".join(f" *   {line}\n" for line in lines) + " */\n"


@pytest.mark.parametrize("spdx", [s.spdx for s in SIGNATURES.licence])
def test_every_signature_identifies_its_text(spdx: str) -> None:
    assert licence.identify(text_of(spdx).encode(), SIGNATURES) == spdx


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # GPL 2's preamble names the Library GPL, GPL 3's the Lesser GPL: neither is that licence.
        (
            "GNU GENERAL PUBLIC LICENSE Version 2, June 1991 ... GNU Library General Public License instead",
            "GPL-2.0-only",
        ),
        (
            "GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007 ... use the GNU Lesser General Public License",
            "GPL-3.0-only",
        ),
        # The LGPL names the GPL throughout.
        (
            "GNU LESSER GENERAL PUBLIC LICENSE Version 2.1, February 1999 ... GNU General Public License",
            "LGPL-2.1-only",
        ),
        (
            "Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is "
            "hereby granted, provided that the above copyright notice and this permission notice appear in all copies.",
            "ISC",
        ),
        (
            "Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is "
            "hereby granted.",
            "0BSD",
        ),
        (
            "Redistribution and use in source and binary forms ... 1. Redistributions of source code must retain the "
            "above copyright ... 2. Redistributions in binary form must reproduce the above copyright ... "
            "3. Neither the name of",
            "BSD-3-Clause",
        ),
        ("compressed with zlib; see the LICENSE of the project", None),
    ],
)
def test_texts_that_name_each_other_are_told_apart(text: str, expected: str | None) -> None:
    assert licence.identify(text.encode(), SIGNATURES) == expected


def test_a_tree_names_its_licence_files(tmp_path: Path) -> None:
    (tmp_path / "LICENSE.md").write_text(text_of("MIT"))
    (tmp_path / "COPYING.LGPLv2.1").write_text(text_of("LGPL-2.1-only"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "LICENSE").write_text(text_of("Zlib"))  # not at the top: a bundled library's
    (tmp_path / "LICENSES").mkdir()  # a REUSE directory is no licence file
    found = licence.derive(tmp_path, SIGNATURES)
    assert found.expression == "LGPL-2.1-only AND MIT"
    assert found.rule == "licence files: COPYING.LGPLv2.1 is LGPL-2.1-only, LICENSE.md is MIT"


def test_archives_are_read_at_their_top_and_in_their_top_directory(tmp_path: Path) -> None:
    tarball = tmp_path / "zlib-1.3.1.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, body in [("zlib-1.3.1/LICENSE", text_of("Zlib")), ("zlib-1.3.1/contrib/x/LICENSE", "other")]:
            info = tarfile.TarInfo(name)
            info.size = len(body.encode())
            tar.addfile(info, io.BytesIO(body.encode()))
    assert licence.derive(tarball, SIGNATURES).expression == "Zlib"
    wheel = tmp_path / "ziglang-0.17.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as whl:
        whl.writestr("ziglang/LICENSE", text_of("MIT"))
        whl.writestr("ziglang-0.17.1.dist-info/METADATA", "Name: ziglang")
        whl.writestr("ziglang/lib/libcxx/LICENSE.TXT", text_of("Apache-2.0 WITH LLVM-exception"))
    assert licence.derive(wheel, SIGNATURES).expression == "MIT"


def test_no_file_or_an_unknown_text_decides_nothing(tmp_path: Path) -> None:
    assert licence.derive(tmp_path, SIGNATURES) == licence.DerivedLicence(
        "", "no licence file (LICENSE*, LICENCE*, COPYING*, COPYRIGHT*) at the top of the source"
    )
    (tmp_path / "COPYING").write_text("XZ Utils Licensing: different licenses apply to different files")
    (tmp_path / "COPYING.0BSD").write_text(text_of("0BSD"))
    # An unread file must not be dropped from the expression: nothing is derived, pins.toml must say it.
    assert licence.derive(tmp_path, SIGNATURES) == licence.DerivedLicence(
        "", "licence file COPYING matches no licence signature"
    )


def test_a_damaged_archive_is_one_message(tmp_path: Path) -> None:
    broken = tmp_path / "x.tar.gz"
    with tarfile.open(broken, "w:gz") as tar:
        info = tarfile.TarInfo("x/LICENSE")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    broken.write_bytes(broken.read_bytes()[:-30])
    with pytest.raises(InputError, match=r"x\.tar\.gz: cannot read its licence files"):
        licence.derive(broken, SIGNATURES)


def test_a_signature_must_name_an_spdx_licence(tmp_path: Path) -> None:
    bad = tmp_path / "licences.toml"
    bad.write_text('[[licence]]\nspdx = "Boost Software License"\nall = ["boost software license"]\n')
    with pytest.raises(InputError, match=r"licences.toml: licence 1: spdx: .*not on the SPDX licence list"):
        licence.load(bad)
