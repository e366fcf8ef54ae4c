from datetime import datetime, timezone

import pytest

from connector.core.timeparse import parse_timestamp

UTC = timezone.utc


@pytest.mark.parametrize("raw, expected", [
    ("2022-01-13T11:33:28.211895Z", datetime(2022, 1, 13, 11, 33, 28, 211895, UTC)),
    ("2020-05-25T21:24:39Z", datetime(2020, 5, 25, 21, 24, 39, tzinfo=UTC)),
    ("2019-04-15T02:41:50.000+0000", datetime(2019, 4, 15, 2, 41, 50, tzinfo=UTC)),
    ("2021-03-10 10:03:08", datetime(2021, 3, 10, 10, 3, 8, tzinfo=UTC)),
    ("2021-03-10T12:03:08+02:00", datetime(2021, 3, 10, 10, 3, 8, tzinfo=UTC)),
    ("2021-03-10T10:03:08.1234567Z", datetime(2021, 3, 10, 10, 3, 8, 123456, UTC)),
    (1531260476000, datetime(2018, 7, 10, 22, 7, 56, tzinfo=UTC)),
    (1539838505, datetime(2018, 10, 18, 4, 55, 5, tzinfo=UTC)),
    ("1531260476000", datetime(2018, 7, 10, 22, 7, 56, tzinfo=UTC)),
])
def test_parse_timestamp_reads_every_format_aep_sends(raw, expected):
    assert parse_timestamp(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "yesterday", True, {}, 0])
def test_parse_timestamp_gives_none_for_unreadable_values(raw):
    assert parse_timestamp(raw) is None
