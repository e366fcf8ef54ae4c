"""In-process profile cache (memory only: profile data is PII and never goes to disk)."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache

from connector.core.models import Event, EventPage, Identity, Profile, iso
from connector.core.timeparse import parse_timestamp
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
        self._redis.delete(_redis_key(identity))


def _redis_key(identity: Identity) -> str:
    digest = hashlib.sha256(f"{identity.namespace.lower()}\0{identity.value}".encode()).hexdigest()
    return f"aep-connector:profile:{digest}"


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
