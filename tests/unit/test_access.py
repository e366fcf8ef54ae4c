"""Zendesk's ticket-access model as pure rules: who may see a ticket, who may see a user."""
from __future__ import annotations

import pytest

from connector.services.zendesk.access import Agent, TicketFacts, may_see_ticket, may_see_user

TICKET = TicketFacts(id=7, requester_id=1001, assignee_id=None, group_id=10, organization_id=500)


@pytest.mark.parametrize("agent, ticket, allowed", [
    (Agent(1, "admin", "groups"), TICKET, True),  # admins see every ticket whatever the field says
    (Agent(2, "agent", None), TICKET, True),
    (Agent(2, "agent", "groups", group_ids=frozenset({10, 20})), TICKET, True),
    (Agent(2, "agent", "groups", group_ids=frozenset({20})), TICKET, False),
    (Agent(2, "agent", "groups", group_ids=frozenset({10})), TicketFacts(id=7, group_id=None), False),
    (Agent(2, "agent", "organization", organization_id=500), TICKET, True),
    (Agent(2, "agent", "organization", organization_id=501), TICKET, False),
    (Agent(2, "agent", "organization", organization_id=None), TicketFacts(id=7), False),
    (Agent(2, "agent", "assigned"), TICKET, False),
    (Agent(2, "agent", "assigned"), TicketFacts(id=7, assignee_id=2), True),
    (Agent(2, "agent", "groups", group_ids=frozenset({20})), TicketFacts(id=7, group_id=10, assignee_id=2), True),
    (Agent(1001, "agent", "requested"), TICKET, True),
    (Agent(2, "agent", "requested"), TICKET, False),
    (Agent(2, "agent", "something-new"), TICKET, False),  # an unknown restriction never widens access
    (Agent(1001, "end-user", None), TICKET, False),  # end users are no agents, not even on their own ticket
    (Agent(2, "agent", None, suspended=True), TICKET, False),
    (Agent(2, "agent", None, active=False), TICKET, False),
], ids=["admin", "unrestricted", "groups-in", "groups-out", "groups-no-group", "org-in", "org-out", "org-none",
        "assigned-other", "assigned-own", "groups-out-but-assigned", "requested-own", "requested-other", "unknown",
        "end-user", "suspended", "inactive"])
def test_may_see_ticket(agent, ticket, allowed):
    assert may_see_ticket(agent, ticket) is allowed


@pytest.mark.parametrize("agent, user_id, organization_id, allowed", [
    (Agent(1, "admin", None), 1002, None, True),
    (Agent(2, "agent", None), 1002, None, True),
    (Agent(2, "agent", "organization", organization_id=500), 1004, 500, True),
    (Agent(2, "agent", "organization", organization_id=500), 1002, None, False),
    (Agent(2, "agent", "groups", group_ids=frozenset({10})), 1002, None, False),
    (Agent(2, "agent", "assigned"), 2, None, True),  # their own user
    (Agent(2, "agent", "assigned"), 1002, None, False),
    (Agent(1002, "end-user", None), 1002, None, False),
    (Agent(2, "agent", None, suspended=True), 1002, None, False),
], ids=["admin", "unrestricted", "org-member", "org-other", "groups", "self", "assigned", "end-user", "suspended"])
def test_may_see_user(agent, user_id, organization_id, allowed):
    assert may_see_user(agent, user_id=user_id, organization_id=organization_id) is allowed
