"""A sidebar session's pace: a refresh (which skips the profile cache and costs AEP calls) at most every
ten seconds, and at most thirty card requests a minute (each one is also an audit row)."""
from __future__ import annotations

import pytest

from connector import errors
from connector.services.zendesk.sidebar import SessionPace


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_a_refresh_is_honoured_once_every_ten_seconds_per_session():
    clock = Clock()
    pace = SessionPace(clock=clock)
    assert pace.may_refresh("s1") and not pace.may_refresh("s1") and pace.may_refresh("s2")
    clock.now += SessionPace.REFRESH_EVERY_S - 0.5
    assert not pace.may_refresh("s1")
    clock.now += 1
    assert pace.may_refresh("s1")


def test_card_requests_beyond_thirty_a_minute_are_refused_until_the_minute_is_over():
    clock = Clock()
    pace = SessionPace(clock=clock)
    for _ in range(SessionPace.CARDS_PER_MINUTE):
        pace.take("s1")
    with pytest.raises(errors.TooManyRequests) as refused:
        pace.take("s1")
    assert 0 < refused.value.retry_after <= 60
    pace.take("s2")  # another session has its own minute
    clock.now += 59
    with pytest.raises(errors.TooManyRequests):
        pace.take("s1")
    clock.now += 1.5
    pace.take("s1")  # a new minute
