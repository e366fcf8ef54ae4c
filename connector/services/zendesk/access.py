"""Which Zendesk records an agent may see: Zendesk's own ticket-access model, as pure rules.

Zendesk keeps the answer on the agent's user record: ``role`` (``end-user``, ``agent``, ``admin``)
and ``ticket_restriction`` (null = all tickets; ``groups``, ``organization``, ``assigned``,
``requested``), which custom roles set from their "ticket access" option. Unknown values are
refused: a restriction the connector does not understand must not widen what an agent sees.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Agent:
    """The agent behind a sidebar session, as Zendesk describes them."""

    id: int
    role: str
    ticket_restriction: str | None = None
    organization_id: int | None = None
    group_ids: frozenset[int] = field(default_factory=frozenset)
    active: bool = True
    suspended: bool = False


@dataclass(frozen=True)
class TicketFacts:
    """The parts of a ticket that decide who may see it."""

    id: int
    requester_id: int | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    organization_id: int | None = None


def _in_groups(agent: Agent, ticket: TicketFacts) -> bool:
    return ticket.group_id is not None and ticket.group_id in agent.group_ids


def _in_organization(agent: Agent, ticket: TicketFacts) -> bool:
    return ticket.organization_id is not None and ticket.organization_id == agent.organization_id


def _assigned(agent: Agent, ticket: TicketFacts) -> bool:
    return ticket.assignee_id == agent.id


def _requested(agent: Agent, ticket: TicketFacts) -> bool:
    return ticket.requester_id == agent.id


TICKET_RULES: dict[str | None, Callable[[Agent, TicketFacts], bool]] = {
    None: lambda agent, ticket: True,
    "groups": _in_groups,
    "organization": _in_organization,
    "assigned": _assigned,
    "requested": _requested,
}


def _is_working_agent(agent: Agent) -> bool:
    return agent.active and not agent.suspended and agent.role in ("agent", "admin")


def may_see_ticket(agent: Agent, ticket: TicketFacts) -> bool:
    """Admins see every ticket; agents as their restriction says, plus the tickets assigned to or
    requested by them."""
    if not _is_working_agent(agent):
        return False
    if agent.role == "admin":
        return True
    rule = TICKET_RULES.get(agent.ticket_restriction)
    if rule is None:
        return False
    return rule(agent, ticket) or _assigned(agent, ticket) or _requested(agent, ticket)


def may_see_user(agent: Agent, *, user_id: int, organization_id: int | None) -> bool:
    """The user sidebar: admins and unrestricted agents see any user; agents restricted to their
    organization see its members; other restricted agents only themselves (their customers' cards
    are on the tickets they may see)."""
    if not _is_working_agent(agent):
        return False
    if agent.role == "admin" or agent.ticket_restriction is None or user_id == agent.id:
        return True
    if agent.ticket_restriction == "organization":
        return organization_id is not None and organization_id == agent.organization_id
    return False
