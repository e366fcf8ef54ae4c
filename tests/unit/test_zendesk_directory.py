"""Agents and tickets are read from Zendesk once, kept briefly, and a 404 is a 404."""
from __future__ import annotations

import pytest

from connector import errors
from connector.adapters.zendesk import ZendeskAgent
from connector.services.zendesk.access import Agent
from connector.services.zendesk.directory import ZendeskDirectory


class FakeZendesk:
    def __init__(self, *, restriction: str | None) -> None:
        self.restriction = restriction
        self.calls: list[tuple[str, int]] = []

    def read_agent(self, user_id: int) -> ZendeskAgent:
        self.calls.append(("agent", user_id))
        if user_id == 404:
            raise errors.UpstreamError("no such user", service="Zendesk", upstream_status=404)
        return ZendeskAgent(id=user_id, role="agent", ticket_restriction=self.restriction, role_type=0,
                            custom_role_id=None, organization_id=None, active=True, suspended=False)

    def group_ids(self, user_id: int) -> frozenset[int]:
        self.calls.append(("groups", user_id))
        return frozenset({20})

    def read_ticket(self, ticket_id: int) -> str:
        self.calls.append(("ticket", ticket_id))
        if ticket_id == 500:
            raise errors.UpstreamUnavailable("down", service="Zendesk", upstream_status=503)
        return f"ticket {ticket_id}"


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_group_restricted_agent_is_read_with_their_groups_once_within_the_ttl():
    zendesk, clock = FakeZendesk(restriction="groups"), Clock()
    directory = ZendeskDirectory(zendesk, ttl=30, timer=clock)
    assert directory.agent(6) == Agent(6, "agent", "groups", group_ids=frozenset({20}))
    clock.now = 29
    directory.agent(6)
    assert zendesk.calls == [("agent", 6), ("groups", 6)]
    clock.now = 31
    directory.agent(6)
    assert zendesk.calls[2:] == [("agent", 6), ("groups", 6)]  # a change in Zendesk counts after the ttl


def test_an_unrestricted_agent_costs_no_group_read():
    zendesk = FakeZendesk(restriction=None)
    assert ZendeskDirectory(zendesk).agent(5).group_ids == frozenset()
    assert zendesk.calls == [("agent", 5)]


def test_tickets_are_cached_per_ticket_and_bounded():
    zendesk = FakeZendesk(restriction=None)
    directory = ZendeskDirectory(zendesk, maxsize=2)
    for ticket_id in (1, 1, 2, 3, 1):
        assert directory.ticket(ticket_id) == f"ticket {ticket_id}"
    assert zendesk.calls == [("ticket", 1), ("ticket", 2), ("ticket", 3), ("ticket", 1)]  # 1 was evicted


def test_unknown_records_are_not_found_and_outages_are_not_cached():
    zendesk = FakeZendesk(restriction=None)
    directory = ZendeskDirectory(zendesk)
    with pytest.raises(errors.NotFound):
        directory.agent(404)
    for _ in range(2):
        with pytest.raises(errors.UpstreamUnavailable):
            directory.ticket(500)
    assert zendesk.calls.count(("ticket", 500)) == 2
