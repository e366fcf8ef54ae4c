"""In-process profile cache (memory only: profile data is PII and never goes to disk)."""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache

from connector.core.identity import digest
from connector.core.models import Event, EventPage, Identity, Profile, iso
from connector.core.timeparse import parse_timestamp
from connector.metrics import CACHE

MISS_TTL_CAP = 60  # a "no profile" answer is kept briefly: the profile may be created any moment
GENERATION_KEY = "profile_cache.generation"  # settings row a privacy request changes: every process's cache empties
GENERATION_CHECK_S = 1.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bundle:
    """What one lookup fetched from AEP: enough to rebuild the card without a remote call."""

    profile: Profile
    events: EventPage
    segment_names: dict[str, str]


class ProfileCache:
    """One process's cache. ``generation`` reads a token shared by every process (the database's
    ``settings`` table, see GENERATION_KEY): when a privacy request in another process changes it,
    this cache empties itself, checking at most once every ``check_every_s`` seconds."""

    def __init__(self, *, ttl: int, maxsize: int = 10_000, timer: Callable[[], float] = time.monotonic,
                 generation: Callable[[], object] | None = None, check_every_s: float = GENERATION_CHECK_S) -> None:
        self.enabled = ttl > 0
        self._hits: TTLCache = TTLCache(maxsize=maxsize, ttl=max(ttl, 1), timer=timer)
        self._misses: TTLCache = TTLCache(maxsize=maxsize, ttl=max(1, min(ttl, MISS_TTL_CAP)), timer=timer)
        self._lock = threading.Lock()
        self._timer = timer
        self._generation = generation
        self._check_every_s = check_every_s
        self._seen: object = None
        self._checked_at: float | None = None
        self.stats = {"hit": 0, "miss": 0}

    def get(self, identity: Identity) -> Bundle | bool | None:
        """A Bundle, False for a remembered "no profile", or None when nothing is known."""
        if not self.enabled:
            return None
        self._follow_generation()
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
        self.forget_digest(_key(identity))

    def forget_digest(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
            self._misses.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
            self._misses.clear()

    def _follow_generation(self) -> None:
        """Empty the cache when another process announced a privacy request (cheap: one read a second)."""
        if self._generation is None:
            return
        now = self._timer()
        if self._checked_at is not None and now - self._checked_at < self._check_every_s:
            return
        self._checked_at = now
        try:
            current = self._generation()
        except Exception:  # the database is away: keep serving; the entries still expire with the TTL
            log.warning("cache.generation.unavailable")
            return
        if current != self._seen:
            self.clear()
            self._seen = current


def _key(identity: Identity) -> str:
    return digest(identity)


class RedisProfileCache:
    """The profile cache shared by every web process (``CONNECTOR_CACHE_URL=redis://…``), with TTL.

    Keys hold a SHA-256 of the identity, not the identity; values are profile data (PII), so the
    Redis instance must be as private as the database, and entries expire with the TTL.
    """

    def __init__(self, url: str, *, ttl: int) -> None:
        import redis

        self.enabled = ttl > 0
        self._ttl, self._miss_ttl = max(ttl, 1), max(1, min(ttl, MISS_TTL_CAP))
        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.stats = {"hit": 0, "miss": 0}

    def get(self, identity: Identity) -> Bundle | bool | None:
        if not self.enabled:
            return None
        try:
            raw = self._redis.get(_redis_key(identity))
        except Exception:  # the cache is an optimisation: a slow or absent Redis means a lookup, not an error
            return None
        if raw is None:
            self.stats["miss"] += 1
            CACHE.labels(result="miss").inc()
            return None
        self.stats["hit"] += 1
        CACHE.labels(result="hit").inc()
        return False if raw in (b"-", "-") else bundle_from_json(raw)

    def put(self, identity: Identity, bundle: Bundle | None) -> None:
        if not self.enabled:
            return
        try:
            if bundle is None:
                self._redis.set(_redis_key(identity), b"-", ex=self._miss_ttl)
            else:
                self._redis.set(_redis_key(identity), bundle_to_json(bundle), ex=self._ttl)
        except Exception:
            return

    def forget(self, identity: Identity) -> None:
        self.forget_digest(digest(identity))

    def forget_digest(self, key: str) -> None:
        self._redis.delete(f"aep-connector:profile:{key}")


def _redis_key(identity: Identity) -> str:
    return f"aep-connector:profile:{digest(identity)}"


def bundle_to_json(bundle: Bundle) -> bytes:
    p, e = bundle.profile, bundle.events
    return json.dumps({
        "profile": {"entity_id": p.entity_id, "entity": p.entity, "last_modified_at": iso(p.last_modified_at),
                    "sources": list(p.sources)},
        "events": {"unavailable": e.unavailable, "items": [
            {"id": ev.event_id, "timestamp": iso(ev.timestamp), "type": ev.event_type, "entity": ev.entity}
            for ev in e.events]},
        "segment_names": bundle.segment_names,
    }).encode()


def bundle_from_json(raw: bytes | str) -> Bundle:
    data = json.loads(raw)
    p, e = data["profile"], data["events"]
    profile = Profile(p["entity_id"], p["entity"], parse_timestamp(p["last_modified_at"]), tuple(p["sources"]))
    events = EventPage(tuple(Event(i["id"], parse_timestamp(i["timestamp"]), i["type"], i["entity"])
                             for i in e["items"]), e["unavailable"])
    return Bundle(profile, events, dict(data["segment_names"]))
