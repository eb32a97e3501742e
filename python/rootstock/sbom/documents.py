"""The SBOM's three documents, rendered together and written all or none."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from rootstock.errors import InputError
from rootstock.sbom import csv, cyclonedx, epoch, spdx
from rootstock.sbom.model import Sbom


def creation_time(*, given: str | None, environ: Mapping[str, str], recorded: int | None) -> datetime:
    """When the SBOM says it was made: the time given (--source-date-epoch), else $SOURCE_DATE_EPOCH, else the
    build's own (the manifest's `source_date_epoch`, the recipe's), else the epoch; never the wall clock, so
    that equal builds give equal documents.

    Raises:
        InputError: the time given or $SOURCE_DATE_EPOCH is not a SOURCE_DATE_EPOCH (names which).
    """
    for text, what in ((given, "--source-date-epoch"), (environ.get("SOURCE_DATE_EPOCH"), "SOURCE_DATE_EPOCH")):
        if text is not None:
            return epoch.timestamp(epoch.parsed(text, what))
    return epoch.timestamp(epoch.checked(recorded or 0, "source_date_epoch"))


def render(
    sbom: Sbom, created: datetime, *, csv_to: Path | None, cyclonedx_to: Path | None, spdx_to: Path | None
) -> list[tuple[Path, str]]:
    """Each requested document with its text, rendered (and validated) before anything is written."""
    wanted = [
        (csv_to, csv.render),
        (cyclonedx_to, lambda s: cyclonedx.render(s, created)),
        (spdx_to, lambda s: spdx.render(s, created)),
    ]
    return [(path, draw(sbom)) for path, draw in wanted if path is not None]


def write_all(documents: Sequence[tuple[Path, str]]) -> None:
    """Write every document or none: check the targets, stage each beside its target, then rename them all.

    Raises:
        InputError: a target's directory does not exist or a target is a directory (nothing is written).
    """
    missing = sorted({str(p.parent) for p, _ in documents if not p.parent.is_dir()})
    if missing:
        msg = f"output directory {', '.join(missing)} does not exist; create it first (no SBOM was written)"
        raise InputError(msg)
    if taken := sorted(str(p) for p, _ in documents if p.is_dir()):
        msg = f"output {', '.join(taken)} is a directory, not a file (no SBOM was written)"
        raise InputError(msg)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in documents:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((Path(tmp), path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        # Renames within one directory do not fail for want of space, so all of them land once staged.
        for tmp, path in staged:
            tmp.replace(path)
    except OSError as exc:
        msg = f"cannot write the SBOM: {exc.strerror}: {exc.filename}"
        raise InputError(msg) from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
