"""Who may send Outbound Messages, and how many: the session check and the per-org budget.

Outbound Messages carry no signature (reference/salesforce.md §3.4). With "Send Session ID" on, each
message holds a session of the user the message is sent as; one call to the *configured* instance
tells whose session it is (org, and user when the operator names the sending user). A verified (or
refused) session is remembered by its SHA-256 for a short while, so a burst of messages costs one
call, and a replayed forgery costs none.

Checks of sessions never seen before are capped a minute (forged ids are free to invent); a session
verified once in the last hours is checked again outside that cap, so a flood of forgeries cannot lock
out the sender whose sessions the connector already knows. A new genuine session during such a flood
is refused with a fault Salesforce retries; the endpoint token closes that gap entirely.
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
KNOWN_TTL_S = 12 * 3600.0  # a session verified once is re-checked outside the cap for this long
MAX_SESSIONS = 1024
CHECKS_PER_MINUTE = 60  # userinfo calls for sessions not yet known: forgeries with new ids each are capped


class NotificationBudget(Protocol):
    def take(self, units: int = 1) -> None: ...


class OutboundGate:
    """Session verification with a bounded cache, and the budget of accepted notifications."""

    def __init__(self, *, owner_of: Callable[[str], tuple[str, str] | None] | None, budget: NotificationBudget,
                 checks: NotificationBudget | None = None, ttl_s: float = SESSION_TTL_S,
                 refused_ttl_s: float = REFUSED_TTL_S, max_sessions: int = MAX_SESSIONS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._owner_of = owner_of
        self._budget = budget
        self._checks = checks
        self._ttl_s, self._refused_ttl_s, self._max = ttl_s, refused_ttl_s, max_sessions
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, tuple[float, str, str]] = OrderedDict()  # digest → (expires, org, user)
        self._known: OrderedDict[str, float] = OrderedDict()  # digest → until when it skips the check cap
        self._pending: dict[str, threading.Lock] = {}

    def session_belongs_to(self, session_id: str, org_id: str, user_id: str | None = None) -> bool:
        """True when Salesforce says the session is one of ``org_id`` (15- or 18-character forms) and,
        when ``user_id`` is given, of that user (the Outbound Message's "user to send as").

        Raises UpstreamUnavailable when Salesforce cannot be asked (the sender retries), or when this
        minute's budget of checks is spent (UpstreamRateLimited); ConfigError when no Salesforce
        instance is configured to ask.
        """
        if self._owner_of is None:
            raise errors.ConfigError("set CONNECTOR_SALESFORCE_INSTANCE_URL to verify Outbound Message sessions")
        digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()
        owner = self._cached(digest)
        if owner is None:
            owner = self._ask(digest, session_id, self._owner_of)
        org, user = owner
        same_user = user_id is None or (bool(user) and user[:15] == user_id[:15])
        belongs = bool(org) and org[:15] == org_id[:15] and same_user
        if belongs:
            self._mark_known(digest)
        return belongs

    def admit(self, notifications: int) -> float | None:
        """Take ``notifications`` from this minute's budget: None when admitted, else the seconds until
        the next window (the message is refused and Salesforce sends it again later)."""
        try:
            self._budget.take(notifications)
        except errors.UpstreamRateLimited as exc:
            return exc.retry_after or 1.0
        return None

    def _ask(self, digest: str, session_id: str, owner_of: Callable[[str], tuple[str, str] | None]) -> tuple[str, str]:
        with self._lock:
            pending = self._pending.setdefault(digest, threading.Lock())
        try:
            with pending:  # concurrent messages with one session wait for the first one's answer
                owner = self._cached(digest)
                if owner is None:
                    if self._checks is not None and not self._is_known(digest):
                        self._checks.take()
                    found = owner_of(session_id)
                    owner = (found[0], found[1]) if found else ("", "")
                    self._remember(digest, owner)
                return owner
        finally:
            with self._lock:
                self._pending.pop(digest, None)

    def _cached(self, digest: str) -> tuple[str, str] | None:
        with self._lock:
            entry = self._sessions.get(digest)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._sessions[digest]
                return None
            return entry[1], entry[2]

    def _is_known(self, digest: str) -> bool:
        with self._lock:
            until = self._known.get(digest)
            return until is not None and until > self._clock()

    def _remember(self, digest: str, owner: tuple[str, str]) -> None:
        with self._lock:
            self._sessions[digest] = (self._clock() + (self._ttl_s if owner[0] else self._refused_ttl_s), *owner)
            self._sessions.move_to_end(digest)
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)

    def _mark_known(self, digest: str) -> None:
        with self._lock:
            self._known[digest] = self._clock() + KNOWN_TTL_S
            self._known.move_to_end(digest)
            while len(self._known) > self._max:
                self._known.popitem(last=False)
