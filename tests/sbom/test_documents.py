"""The SBOM's creation time: given, else $SOURCE_DATE_EPOCH, else the build's own, never the clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rootstock.errors import InputError
from rootstock.sbom.documents import creation_time

RECIPE = 315532800  # the static recipe's source_date_epoch: 1980-01-01


def test_the_build_s_own_time_unless_overridden() -> None:
    assert creation_time(given=None, environ={}, recorded=RECIPE) == datetime(1980, 1, 1, tzinfo=UTC)
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    assert creation_time(given=None, environ=env, recorded=RECIPE) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert creation_time(given="0", environ=env, recorded=RECIPE) == datetime(1970, 1, 1, tzinfo=UTC)
    assert creation_time(given=None, environ={}, recorded=None) == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "environ", "message"),
    [
        ("yesterday", {}, "--source-date-epoch must be whole seconds since the epoch, not 'yesterday'"),
        (None, {"SOURCE_DATE_EPOCH": "-5"}, "SOURCE_DATE_EPOCH must be whole seconds since the epoch, not '-5'"),
    ],
)
def test_a_time_that_is_not_whole_seconds_is_refused(given: str | None, environ: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        creation_time(given=given, environ=environ, recorded=RECIPE)
