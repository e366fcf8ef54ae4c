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

FAMILIES = ("x-rate-limit", "ratelimit", "rate-limit")
DEFAULT_FAMILIES = ("x-rate-limit", "ratelimit")
TICKET_UPDATES_PER_WINDOW = 30  # per ticket and user, in 10 minutes (§4.2, secondary)
TICKET_UPDATE_WINDOW_S = 600
_TICKET_PUT = re.compile(r"^/api/v2/tickets/(\d+)\.json$")


class TicketUpdateLog:
    """When each ticket was updated, for the per-ticket ``tickets-update`` header."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at: dict[int, deque] = {}

    def count(self, ticket_id: int, *, now: float | None = None) -> tuple[int, int]:
        """Record one update of the ticket; (updates in the window, seconds until the oldest leaves)."""
        now = time.time() if now is None else now
        with self._lock:
            stamps = self._at.setdefault(ticket_id, deque())
            while stamps and stamps[0] <= now - TICKET_UPDATE_WINDOW_S:
                stamps.popleft()
            stamps.append(now)
            return len(stamps), int(stamps[0] + TICKET_UPDATE_WINDOW_S - now)


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
        used, resets = updates.count(int(match.group(1)))
        value = (f"total={TICKET_UPDATES_PER_WINDOW}; remaining={max(0, TICKET_UPDATES_PER_WINDOW - used)}; "
                 f"resets={resets}")
        name = "zendesk-rate-limit-tickets-update" if "rate-limit" in families else "zendesk-ratelimit-tickets-update"
        out[name] = value
    return out
