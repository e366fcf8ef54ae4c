"""In-process profile cache (memory only: profile data is PII and never goes to disk)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache

from connector.core.models import EventPage, Identity, Profile
from connector.metrics import CACHE

MISS_TTL_CAP = 60  # a "no profile" answer is kept briefly: the profile may be created any moment


@dataclass(frozen=True)
class Bundle:
    """What one lookup fetched from AEP: enough to rebuild the card without a remote call."""

    profile: Profile
    events: EventPage
    segment_names: dict[str, str]


class ProfileCache:
    def __init__(self, *, ttl: int, maxsize: int = 10_000, timer: Callable[[], float] = time.monotonic) -> None:
        self.enabled = ttl > 0
        self._hits: TTLCache = TTLCache(maxsize=maxsize, ttl=max(ttl, 1), timer=timer)
        self._misses: TTLCache = TTLCache(maxsize=maxsize, ttl=max(1, min(ttl, MISS_TTL_CAP)), timer=timer)
        self._lock = threading.Lock()
        self.stats = {"hit": 0, "miss": 0}

    def get(self, identity: Identity) -> Bundle | bool | None:
        """A Bundle, False for a remembered "no profile", or None when nothing is known."""
        if not self.enabled:
            return None
        key = _key(identity)
        with self._lock:
            if key in self._hits:
                self.stats["hit"] += 1
                CACHE.labels(result="hit").inc()
                return self._hits[key]
            if key in self._misses:
                self.stats["hit"] += 1
                CACHE.labels(result="hit").inc()
                return False
            self.stats["miss"] += 1
        CACHE.labels(result="miss").inc()
        return None

    def put(self, identity: Identity, bundle: Bundle | None) -> None:
        if not self.enabled:
            return
        key = _key(identity)
        with self._lock:
            if bundle is None:
                self._misses[key] = True
                self._hits.pop(key, None)
            else:
                self._hits[key] = bundle
                self._misses.pop(key, None)

    def forget(self, identity: Identity) -> None:
        with self._lock:
            self._hits.pop(_key(identity), None)
            self._misses.pop(_key(identity), None)


def _key(identity: Identity) -> tuple[str, str]:
    return identity.namespace.lower(), identity.value
