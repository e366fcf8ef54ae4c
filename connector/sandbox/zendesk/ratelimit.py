"""Rate-limit headers of the Zendesk emulator, in each family Zendesk has sent.

reference/zendesk.md §4.2 and pitfall 13: every response carries ``X-Rate-Limit`` /
``X-Rate-Limit-Remaining``; ticketing APIs add ``ratelimit-limit|remaining|reset`` (documented
today), while 2023 responses carried ``rate-limit|rate-limit-remaining|rate-limit-reset`` and, on
ticket updates, ``zendesk-rate-limit-tickets-update: total=…; remaining=…; resets=…``. The world
chooses which families to send (``ZendeskWorld.rate_limit_headers``), so a client can be tested
against each one alone.
"""
from __future__ import annotations

import re
import threading
import time
from collections import deque

from flask import Response, jsonify

FAMILIES = ("x-rate-limit", "ratelimit", "rate-limit")
DEFAULT_FAMILIES = ("x-rate-limit", "ratelimit")
TICKET_UPDATES_PER_WINDOW = 30  # per ticket and user, in 10 minutes (§4.2, secondary)
TICKET_UPDATE_WINDOW_S = 600
_TICKET_PUT = re.compile(r"^/api/v2/tickets/(\d+)\.json$")


class TicketUpdateLog:
    """When each ticket was updated: the per-ticket limit (30 updates per ticket per user in 10 minutes,
    §4.2 / pitfall 13; the emulator has one API user) and its ``tickets-update`` header.

    ``limit`` None advertises the documented limit without enforcing it."""

    def __init__(self, limit: int | None = TICKET_UPDATES_PER_WINDOW) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._at: dict[int, deque] = {}

    def take(self, ticket_id: int, *, now: float | None = None) -> int | None:
        """Record one update of the ticket, or refuse it: None, or the seconds until the window lets it."""
        now = time.time() if now is None else now
        with self._lock:
            stamps = self._window(ticket_id, now)
            if self.limit is not None and len(stamps) >= self.limit:
                return max(1, int(stamps[0] + TICKET_UPDATE_WINDOW_S - now) + 1)
            stamps.append(now)
            return None

    def state(self, ticket_id: int, *, now: float | None = None) -> tuple[int, int]:
        """(updates in the window, seconds until the oldest leaves it)."""
        now = time.time() if now is None else now
        with self._lock:
            stamps = self._window(ticket_id, now)
            return len(stamps), int(stamps[0] + TICKET_UPDATE_WINDOW_S - now) if stamps else TICKET_UPDATE_WINDOW_S

    def _window(self, ticket_id: int, now: float) -> deque:
        stamps = self._at.setdefault(ticket_id, deque())
        while stamps and stamps[0] <= now - TICKET_UPDATE_WINDOW_S:
            stamps.popleft()
        return stamps


def headers(*, families: tuple[str, ...], limit: int, remaining: int, reset_s: int, method: str, path: str,
            updates: TicketUpdateLog) -> dict[str, str]:
    """The rate-limit headers for one response, in the chosen families."""
    out: dict[str, str] = {}
    if "x-rate-limit" in families:
        out.update({"X-Rate-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining)})
    if "ratelimit" in families:
        out.update({"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining),
                    "ratelimit-reset": str(reset_s)})
    if "rate-limit" in families:
        out.update({"rate-limit": str(limit), "rate-limit-remaining": str(remaining),
                    "rate-limit-reset": str(reset_s)})
    match = _TICKET_PUT.match(path)
    if method == "PUT" and match and ("ratelimit" in families or "rate-limit" in families):
        used, resets = updates.state(int(match.group(1)))
        total = updates.limit or TICKET_UPDATES_PER_WINDOW
        value = f"total={total}; remaining={max(0, total - used)}; resets={resets}"
        name = "zendesk-rate-limit-tickets-update" if "rate-limit" in families else "zendesk-ratelimit-tickets-update"
        out[name] = value
    return out


def too_many(wait_s: int) -> Response:
    """The 429 Zendesk answers when a limit is spent (§4.2): ``Retry-After`` in seconds."""
    response = jsonify(error="TooManyRequests", description="Rate limit exceeded")
    response.status_code = 429
    response.headers["Retry-After"] = str(wait_s)
    return response
