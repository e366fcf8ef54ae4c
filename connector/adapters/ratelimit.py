"""Request budgets shared by every worker: a fixed window counter in Redis (or in this process).

Zendesk limits requests per minute per account (reference/zendesk.md §4.2), so ten workers must
share one budget: each call takes a unit first, and a spent window raises UpstreamRateLimited with
the seconds until the next one, which reschedules the job instead of hitting a 429.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from connector import errors


class Budget:
    def __init__(self, *, name: str, limit: int, window_s: int, redis_url: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.name, self.limit, self.window_s = name, limit, window_s
        self._clock = clock
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._lock = threading.Lock()
        self._window, self._used = -1, 0

    def take(self, units: int = 1) -> None:
        """Take ``units`` requests from the current window, or raise with the wait until the next."""
        now = self._clock()
        window = int(now // self.window_s)
        used = self._take_redis(window, units) if self._redis is not None else self._take_local(window, units)
        if used > self.limit:
            wait = (window + 1) * self.window_s - now
            raise errors.UpstreamRateLimited(f"{self.name} request budget for this window is spent",
                                             service=self.name, retry_after=max(0.5, wait))

    def _take_local(self, window: int, units: int) -> int:
        with self._lock:
            if window != self._window:
                self._window, self._used = window, 0
            self._used += units
            return self._used

    def _take_redis(self, window: int, units: int) -> int:
        key = f"aep-connector:budget:{self.name}:{window}"
        try:
            pipe = self._redis.pipeline()  # type: ignore[union-attr]
            pipe.incrby(key, units)
            pipe.expire(key, self.window_s * 2)
            used, _ = pipe.execute()
        except Exception:
            raise errors.UpstreamUnavailable("the shared rate-limit budget (Redis) did not answer",
                                             service=self.name) from None
        return int(used)
