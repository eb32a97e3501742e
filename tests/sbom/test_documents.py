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


EXPECTED = "expected whole seconds since the epoch, an integer from 0 to 253402300799 (the end of year 9999)"


def test_the_last_second_of_year_9999_is_the_latest() -> None:
    latest = creation_time(given="253402300799", environ={}, recorded=None)
    assert latest == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "environ", "message"),
    [
        ("yesterday", {}, f"--source-date-epoch: {EXPECTED}, got 'yesterday'"),
        ("-5", {}, f"--source-date-epoch: {EXPECTED}, got -5"),
        ("99999999999999", {}, f"--source-date-epoch: {EXPECTED}, got 99999999999999"),
        (None, {"SOURCE_DATE_EPOCH": "-5"}, f"SOURCE_DATE_EPOCH: {EXPECTED}, got -5"),
        (None, {"SOURCE_DATE_EPOCH": "253402300800"}, f"SOURCE_DATE_EPOCH: {EXPECTED}, got 253402300800"),
    ],
)
def test_a_time_that_is_not_a_source_date_epoch_is_refused(
    given: str | None, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(InputError) as err:
        creation_time(given=given, environ=environ, recorded=RECIPE)
    assert str(err.value) == message
