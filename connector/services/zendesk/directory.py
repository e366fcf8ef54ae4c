"""Agents, tickets and users as Zendesk says, read with the connector's credentials, kept briefly.

The sidebar asks for them on every card; a short in-process cache makes a burst of cards cost one
read each, while a change in Zendesk (a ticket moved to another group, an agent's role) counts
within ``ttl`` seconds.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache

from connector import errors
from connector.services.zendesk.access import Agent, TicketFacts

TTL_S = 30
MAX_ENTRIES = 2048


class ZendeskDirectory:
    def __init__(self, zendesk: Any, *, ttl: float = TTL_S, maxsize: int = MAX_ENTRIES,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self.zendesk = zendesk
        self._agents: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._tickets: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._users: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._lock = threading.Lock()

    def agent(self, agent_id: int) -> Agent:
        """The agent's role and restriction, with their groups when the restriction needs them."""
        def read() -> Agent:
            found = self.zendesk.read_agent(agent_id)
            groups: frozenset[int] = frozenset()
            if found.role == "agent" and found.ticket_restriction == "groups":
                groups = self.zendesk.group_ids(agent_id)
            return Agent(id=found.id, role=found.role, ticket_restriction=found.ticket_restriction,
                         organization_id=found.organization_id, group_ids=groups, active=found.active,
                         suspended=found.suspended)
        return self._cached(self._agents, agent_id, read, missing="the agent of this session is unknown to Zendesk")

    def ticket(self, ticket_id: int) -> Any:
        """The ticket with its requester (one read, ``include=users``)."""
        return self._cached(self._tickets, ticket_id, lambda: self.zendesk.read_ticket(ticket_id),
                            missing=f"Zendesk has no ticket {ticket_id}")

    def remember_ticket(self, ticket_id: int, ticket: Any) -> None:
        """A ticket the enrichment job has just read (with its requester): the agent who opens it next
        is served from here, without a read of their own."""
        with self._lock:
            self._tickets[ticket_id] = ticket

    def user(self, user_id: int) -> Any:
        return self._cached(self._users, user_id, lambda: self.zendesk.read_user(user_id),
                            missing=f"Zendesk has no user {user_id}")

    def _cached(self, cache: TTLCache, key: int, read: Callable[[], Any], *, missing: str) -> Any:
        with self._lock:
            if key in cache:
                return cache[key]
        try:
            value = read()
        except errors.UpstreamError as exc:
            if exc.upstream_status == 404:
                raise errors.NotFound(missing) from None
            raise
        with self._lock:
            cache[key] = value
        return value


def ticket_facts(ticket: Any) -> TicketFacts:
    return TicketFacts(id=ticket.id, requester_id=ticket.requester_id, assignee_id=ticket.assignee_id,
                       group_id=ticket.group_id, organization_id=ticket.organization_id)
