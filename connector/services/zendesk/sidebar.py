"""Zendesk sidebar use-case: which customer the agent is looking at (the server decides), then their card."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from cachetools import TTLCache

from connector import errors
from connector.core.jobkey import JobKey
from connector.core.lang import ENGLISH, Lang
from connector.core.models import Card, Contact
from connector.services.lookup import ProfileLookup
from connector.services.zendesk.access import may_see_ticket, may_see_user
from connector.services.zendesk.directory import ZendeskDirectory, ticket_facts
from connector.services.zendesk.tickets import contact_of

if TYPE_CHECKING:
    from connector.adapters.zendesk import Requester
    from connector.store.views import CardViews

log = logging.getLogger(__name__)

LOCATION_RECORDS = {"ticket_sidebar": "ticket", "user_sidebar": "user"}
BUDGET_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class SidebarSession:
    """What a verified sidebar session says: which session, which agent, which app location."""

    session_id: str
    agent_id: int
    location: str


@dataclass(frozen=True)
class SidebarRecord:
    """The record a sidebar shows: a ticket (ticket sidebar) or a user (user sidebar)."""

    kind: str
    id: int

    @property
    def job_key(self) -> JobKey:
        return JobKey("zendesk", self.kind, str(self.id))

    @property
    def key(self) -> str:
        return str(self.job_key)


class Sidebar:
    """The card for a Zendesk sidebar. The server decides whose card it is: the ticket's requester
    (or the user) as Zendesk says, for an agent Zendesk lets see that record; the page only names
    the record, and a session serves one record."""

    def __init__(self, *, lookup: ProfileLookup, directory: ZendeskDirectory | None, views: CardViews,
                 records_per_minute: int) -> None:
        self.lookup = lookup
        self.directory = directory
        self.views = views
        self.records_per_minute = records_per_minute
        self._pace = SessionPace()

    def card(self, session: SidebarSession, record: SidebarRecord, *, refresh: bool = False,
             lang: Lang = ENGLISH) -> Card:
        self._pace.take(session.session_id)
        person = self.authorize(session, record)
        refresh = refresh and self._pace.may_refresh(session.session_id)
        card = self.lookup.by_contact(_contact(person), refresh=refresh, lang=lang)
        self.views.record(provider="zendesk", agent_id=str(session.agent_id), record_key=record.key,
                          profile_id=card.profile_id)
        return card

    def review(self, session: SidebarSession, record: SidebarRecord) -> None:
        """A review (or a confirmation answered with a diff) shows profile values: paced like a card."""
        self._pace.take(session.session_id)
        self.writable_ticket(session, record)

    def reviewed(self, session: SidebarSession, record: SidebarRecord, card: Card | None) -> None:
        """Record a diff shown to the agent as a card view, as the card route does."""
        if card is not None:
            self.views.record(provider="zendesk", agent_id=str(session.agent_id), record_key=record.key,
                              profile_id=card.profile_id)

    def writable_ticket(self, session: SidebarSession, record: SidebarRecord) -> None:
        """"Write to ticket" is for the ticket sidebar of that very ticket, and a writable match."""
        if session.location != "ticket_sidebar" or record.kind != "ticket":
            raise errors.Forbidden("only the ticket sidebar writes to a ticket", code="wrong_location")
        person = self.authorize(session, record)
        if not self.lookup.by_contact(_contact(person)).writable:
            raise errors.Forbidden("this customer's match is not confident enough to write to the ticket",
                                   code="not_writable")

    def authorize(self, session: SidebarSession, record: SidebarRecord) -> Requester | None:
        """Bind the session to the record (or check it is bound to it), then ask Zendesk's access
        model; return the person whose card it is."""
        if LOCATION_RECORDS.get(session.location) != record.kind:
            raise errors.Forbidden(f"the {session.location} shows no {record.kind} card", code="wrong_location")
        if self.directory is None:
            raise errors.ConfigError("Zendesk is not configured (CONNECTOR_ZENDESK_URL…)")
        self._bind(session, record)
        agent = self.directory.agent(session.agent_id)
        if record.kind == "ticket":
            ticket = self.directory.ticket(record.id)
            allowed, person = may_see_ticket(agent, ticket_facts(ticket)), ticket.requester
        else:
            person = self.directory.user(record.id)
            allowed = may_see_user(agent, user_id=record.id, organization_id=person.organization_id)
        if not allowed:
            log.info("zendesk.sidebar.refused", extra={"agent": session.agent_id, "record": record.key})
            raise errors.Forbidden(f"Zendesk does not let this agent see {record.kind} {record.id}")
        return person

    def _bind(self, session: SidebarSession, record: SidebarRecord) -> None:
        outcome = self.views.bind(session_id=session.session_id, agent_id=str(session.agent_id),
                                  record_key=record.key, limit=self.records_per_minute, window=BUDGET_WINDOW)
        if outcome == "other":
            raise errors.Forbidden("this sidebar session belongs to another record: reload the app",
                                   code="session_bound_elsewhere")
        if outcome == "over_budget":
            log.warning("zendesk.sidebar.over_budget", extra={"agent": session.agent_id})
            raise errors.TooManyRequests(f"more than {self.records_per_minute} records a minute: wait a moment",
                                         retry_after=BUDGET_WINDOW.total_seconds())


class SessionPace:
    """Per session (in this process): at most CARDS_PER_MINUTE card requests a minute, and a refresh
    (which skips the profile cache and costs AEP calls) at most every REFRESH_EVERY_S; a refresh asked
    for sooner is served from the cache."""

    CARDS_PER_MINUTE = 30
    REFRESH_EVERY_S = 10.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._cards: TTLCache = TTLCache(maxsize=10_000, ttl=120, timer=clock)  # session → (minute start, count)
        self._refreshed: TTLCache = TTLCache(maxsize=10_000, ttl=self.REFRESH_EVERY_S, timer=clock)

    def take(self, session_id: str) -> None:
        now = self._clock()
        with self._lock:
            start, count = self._cards.get(session_id, (now, 0))
            if now - start >= 60:
                start, count = now, 0
            self._cards[session_id] = (start, count + 1)
        if count + 1 > self.CARDS_PER_MINUTE:
            raise errors.TooManyRequests(f"more than {self.CARDS_PER_MINUTE} cards a minute in this sidebar",
                                         retry_after=max(1.0, 60 - (now - start)))

    def may_refresh(self, session_id: str) -> bool:
        with self._lock:
            if session_id in self._refreshed:
                return False
            self._refreshed[session_id] = True
            return True


def _contact(person: Requester | None) -> Contact:
    return contact_of(person) if person is not None else Contact()
