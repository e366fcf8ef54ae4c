"""Who may send Outbound Messages, and how many: the session check and the per-org budget.

Outbound Messages carry no signature (reference/salesforce.md §3.4). With "Send Session ID" on, each
message holds a session of the org that sent it; one call to the *configured* instance tells which
org the session belongs to. A verified (or refused) session is remembered by its SHA-256 for a short
while, so a burst of messages costs one call, and a replayed forgery costs none.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from connector import errors

SESSION_TTL_S = 300.0  # shorter than any session lifetime Salesforce offers (15 min at least)
REFUSED_TTL_S = 60.0
MAX_SESSIONS = 1024
CHECKS_PER_MINUTE = 60  # userinfo calls for sessions not yet known: forgeries with new ids each are capped


class NotificationBudget(Protocol):
    def take(self, units: int = 1) -> None: ...


class OutboundGate:
    """Session verification with a bounded cache, and the budget of accepted notifications."""

    def __init__(self, *, org_of: Callable[[str], str | None] | None, budget: NotificationBudget,
                 checks: NotificationBudget | None = None, ttl_s: float = SESSION_TTL_S,
                 refused_ttl_s: float = REFUSED_TTL_S, max_sessions: int = MAX_SESSIONS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._org_of = org_of
        self._budget = budget
        self._checks = checks
        self._ttl_s, self._refused_ttl_s, self._max = ttl_s, refused_ttl_s, max_sessions
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, tuple[float, str]] = OrderedDict()  # digest → (expires, org or "")
        self._pending: dict[str, threading.Lock] = {}

    def session_belongs_to(self, session_id: str, org_id: str) -> bool:
        """True when Salesforce says the session is one of ``org_id`` (15- or 18-character forms).

        Raises UpstreamUnavailable when Salesforce cannot be asked (the sender retries), or when this
        minute's budget of checks is spent (UpstreamRateLimited); ConfigError when no Salesforce
        instance is configured to ask.
        """
        if self._org_of is None:
            raise errors.ConfigError("set CONNECTOR_SALESFORCE_INSTANCE_URL to verify Outbound Message sessions")
        digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()
        org = self._cached(digest)
        if org is None:
            org = self._ask(digest, session_id, self._org_of)
        return bool(org) and org[:15] == org_id[:15]

    def admit(self, notifications: int) -> float | None:
        """Take ``notifications`` from this minute's budget: None when admitted, else the seconds until
        the next window (the message is refused and Salesforce sends it again later)."""
        try:
            self._budget.take(notifications)
        except errors.UpstreamRateLimited as exc:
            return exc.retry_after or 1.0
        return None

    def _ask(self, digest: str, session_id: str, org_of: Callable[[str], str | None]) -> str:
        with self._lock:
            pending = self._pending.setdefault(digest, threading.Lock())
        try:
            with pending:  # concurrent messages with one session wait for the first one's answer
                org = self._cached(digest)
                if org is None:
                    if self._checks is not None:
                        self._checks.take()
                    org = org_of(session_id) or ""
                    self._remember(digest, org)
                return org
        finally:
            with self._lock:
                self._pending.pop(digest, None)

    def _cached(self, digest: str) -> str | None:
        with self._lock:
            entry = self._sessions.get(digest)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._sessions[digest]
                return None
            return entry[1]

    def _remember(self, digest: str, org: str) -> None:
        with self._lock:
            self._sessions[digest] = (self._clock() + (self._ttl_s if org else self._refused_ttl_s), org)
            self._sessions.move_to_end(digest)
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
