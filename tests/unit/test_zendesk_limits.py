"""Every rate-limit header family Zendesk has sent closes the connector's gate (reference §4.2)."""
from __future__ import annotations

import pytest

from connector import errors
from connector.adapters.zendesk import ZendeskClient
from connector.adapters.zendesk_limits import SPENT_WITHOUT_RESET_S, per_record_refusal, spent_wait
from tests.unit.test_zendesk_adapter import BASE, SETTINGS


@pytest.mark.parametrize(("headers", "wait"), [
    ({"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "0"}, SPENT_WITHOUT_RESET_S),
    ({"X-Rate-Limit-Remaining": "0", "ratelimit-reset": "41"}, 41.0),
    ({"ratelimit-limit": "700", "ratelimit-remaining": "0", "ratelimit-reset": "41"}, 41.0),
    ({"Rate-Limit": "700", "Rate-Limit-Remaining": "0", "Rate-Limit-Reset": "59"}, 59.0),
    ({"zendesk-ratelimit-tickets-index": "total=100; remaining=0; resets=41"}, 41.0),
    ({"Zendesk-Rate-Limit-Search": "total=100; remaining=0; resets=12"}, 12.0),
    ({"X-Rate-Limit-Remaining": "5", "ratelimit-remaining": "5", "ratelimit-reset": "41"}, None),
    ({"zendesk-rate-limit-tickets-update": "total=30; remaining=0; resets=500"}, None),  # one ticket's budget
    ({}, None),
])
def test_spent_wait_reads_each_family(headers, wait):
    assert spent_wait(headers) == wait


@pytest.mark.parametrize("headers", [
    {"X-Rate-Limit-Remaining": "0", "ratelimit-reset": "30"},
    {"ratelimit-remaining": "0", "ratelimit-reset": "30"},
    {"rate-limit-remaining": "0", "rate-limit-reset": "30"},
])
def test_a_spent_budget_in_any_family_stops_the_next_call_before_it_is_sent(requests_mock, headers):
    client = ZendeskClient(SETTINGS)
    requests_mock.get(f"{BASE}/api/v2/tickets/5.json", headers=headers, json={"ticket": {"id": 5}})
    client.read_ticket(5)
    with pytest.raises(errors.UpstreamRateLimited) as info:
        client.read_ticket(5)
    assert len(requests_mock.request_history) == 1
    assert 25 < info.value.retry_after <= 30


@pytest.mark.parametrize(("headers", "per_record"), [
    ({"ratelimit-remaining": "650", "zendesk-ratelimit-tickets-update": "total=30; remaining=0; resets=500"}, True),
    ({"Zendesk-Rate-Limit-Tickets-Update": "total=20; remaining=0; resets=59"}, True),
    ({"ratelimit-remaining": "0", "ratelimit-reset": "9",
      "zendesk-ratelimit-tickets-update": "total=30; remaining=0; resets=500"}, False),  # the account is spent too
    ({"ratelimit-remaining": "650", "zendesk-ratelimit-tickets-update": "total=30; remaining=3; resets=500"}, False),
    ({"X-Rate-Limit-Remaining": "0"}, False),
    ({}, False),
])
def test_a_429_about_one_ticket_is_told_from_a_spent_account(headers, per_record):
    assert per_record_refusal(headers) is per_record
