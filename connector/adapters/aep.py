"""Adobe Experience Platform: IMS token, Profile Access, merge policies, segment names.

Wire facts: ../shared/reference/aep.md (sections cited inline). Every method is one remote call
(events follow ``_links.next`` pages, a bounded few); library objects never leave this module and
its two helpers, ``aep_auth`` (the IMS token) and ``aep_bodies`` (reading the answers).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import requests
from cachetools import TTLCache

from connector import errors
from connector.adapters.aep_auth import ImsAuth
from connector.adapters.aep_bodies import (
    SERVICE,
    events_from,
    fields_param,
    json_body,
    names_namespace,
    namespace_unknown,
    profiles_from,
    unprocessable,
)
from connector.adapters.http import RetryPolicy, build_session, error_from_response, send
from connector.config import Settings
from connector.core.lang import N_
from connector.core.models import Event, EventPage, Identity, Profile

log = logging.getLogger(__name__)

ENTITIES_PATH = "/data/core/ups/access/entities"
ACCESS_PREFIX = "/data/core/ups/access"  # _links.next.href starts with /entities (§2.4)
MERGE_POLICIES_PATH = "/data/core/ups/config/mergePolicies"
SEGMENTS_PATH = "/data/core/ups/segment/definitions"
SEGMENTS_BULK_PATH = "/data/core/ups/segment/definitions/bulk-get"
NAMESPACES_PATH = "/data/core/idnamespace/identities"
PROFILE_SCHEMA = "_xdm.context.profile"
EVENT_SCHEMA = "_xdm.context.experienceevent"
EVENTS_UNAVAILABLE = N_("Recent activity is not available for this AEP credential or licence.")
EVENTS_FAILED = N_("Recent activity could not be loaded from AEP just now.")
SEGMENT_NAME_TTL = 3600


class AepClient:
    """Profile Access and friends, over one pooled session."""

    def __init__(self, settings: Settings, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        settings.require_aep()
        self.settings = settings
        self.policy = RetryPolicy(timeout=settings.aep_timeout, retries=settings.aep_retries,
                                  max_wait=settings.aep_max_retry_wait)
        self._session = session or build_session()
        self._verify: str | bool = settings.ca_bundle or True
        self._sleep = sleep
        self.auth = ImsAuth(settings=settings, session=self._session, policy=self.policy,
                            verify=self._verify, clock=clock)
        self._base = settings.aep_platform_url.rstrip("/")
        self._headers = {
            "x-api-key": settings.aep_client_id,
            "x-gw-ims-org-id": settings.aep_org_id,
            "x-sandbox-name": settings.aep_sandbox,
            "Accept": "application/json",
        }
        self._merge_policy_id: str | None = settings.aep_merge_policy_id
        self._merge_lock = threading.Lock()
        self._segment_names: TTLCache = TTLCache(maxsize=20_000, ttl=SEGMENT_NAME_TTL, timer=clock)
        self._segment_lock = threading.Lock()

    # -- profiles ---------------------------------------------------------------------------

    def get_profile(self, identity: Identity, *, fields: Iterable[str]) -> Profile | None:
        """One profile by identity (§2.2); None for 404, an empty 200 or an empty entity (§11.3)."""
        params = {"schema.name": PROFILE_SCHEMA, "entityId": identity.value,
                  "entityIdNS": identity.namespace, "fields": fields_param(fields)}
        params.update(self._merge_param())
        response = self._call("GET", self._base + ENTITIES_PATH, params=params, allow=(400, 404, 422))
        if response.status_code in (400, 404, 422) and names_namespace(response):
            raise namespace_unknown(identity.namespace, response)
        if response.status_code == 404:
            return None
        if response.status_code == 422:
            raise unprocessable(response)
        if response.status_code == 400:
            raise error_from_response(response, service=SERVICE)
        profiles = profiles_from(json_body(response))
        return profiles[0] if profiles else None

    def get_profiles(self, identities: Iterable[Identity], *, fields: Iterable[str]) -> list[Profile]:
        """Many profiles at once (§2.3); misses (empty entities) are left out."""
        body: dict[str, Any] = {
            "schema": {"name": PROFILE_SCHEMA},
            "fields": [f for f in fields],
            "identities": [{"entityId": i.value, "entityIdNS": {"code": i.namespace}} for i in identities],
        }
        body.update(self._merge_param())
        response = self._call("POST", self._base + ENTITIES_PATH, json=body, allow=(400, 422))
        if response.status_code in (400, 422) and names_namespace(response):
            raise namespace_unknown("a requested", response)
        if response.status_code == 400:
            raise error_from_response(response, service=SERVICE)
        if response.status_code == 422:
            raise unprocessable(response)
        return profiles_from(json_body(response))

    def get_events(self, identity: Identity, *, limit: int, max_pages: int,
                   fields: Iterable[str] = ()) -> EventPage:
        """Newest experience events first (§2.4); optional by licence, so failures degrade (§11.9)."""
        params: dict[str, str] | None = {"schema.name": EVENT_SCHEMA, "relatedSchema.name": PROFILE_SCHEMA,
                  "relatedEntityId": identity.value, "relatedEntityIdNS": identity.namespace,
                  "orderby": "-timestamp", "limit": str(limit)}
        if fields:
            params = {**(params or {}), "fields": fields_param(fields)}
        collected: list[Event] = []
        url: str | None = self._base + ENTITIES_PATH
        try:
            for _ in range(max_pages):
                response = self._call("GET", url, params=params, allow=(403, 404))
                if response.status_code in (403, 404):
                    log.info("aep.events.unavailable", extra={"status": response.status_code})
                    return EventPage(unavailable=EVENTS_UNAVAILABLE)
                body = json_body(response)
                collected.extend(events_from(body))
                url, params = self._next_page(body), None
                if not url or len(collected) >= limit:
                    break
        except errors.UpstreamError as exc:
            if isinstance(exc, errors.UpstreamAuthError):
                raise
            log.warning("aep.events.failed", extra={"reason": exc.code})
            return EventPage(unavailable=EVENTS_FAILED)
        return EventPage(events=tuple(collected[:limit]))

    def _next_page(self, body: dict) -> str | None:
        href = ((body.get("_links") or {}).get("next") or {}).get("href") or ""
        if not href:
            return None
        if href.startswith("http"):
            return href
        return self._base + ACCESS_PREFIX + (href if href.startswith("/") else "/" + href)

    # -- merge policy, segments, namespaces --------------------------------------------------

    def default_merge_policy_id(self) -> str | None:
        """The configured merge policy, else the sandbox default, looked up once (§5)."""
        with self._merge_lock:
            if self._merge_policy_id is None:
                response = self._call("GET", self._base + MERGE_POLICIES_PATH,
                                      params={"schema.name": PROFILE_SCHEMA, "default": "true"})
                children = json_body(response).get("children") or []
                default = next((c for c in children if str(c.get("default")).lower() == "true"), None)
                chosen = default or (children[0] if children else None)
                self._merge_policy_id = chosen.get("id") if chosen else ""
                log.info("aep.merge_policy.resolved", extra={"found": bool(chosen)})
            return self._merge_policy_id or None

    def merge_policy_exists(self, policy_id: str) -> bool:
        """Whether the sandbox has this merge policy (``check`` of a configured id, §5)."""
        response = self._call("GET", f"{self._base}{MERGE_POLICIES_PATH}/{quote(policy_id, safe='')}", allow=(404,))
        return response.status_code != 404

    def segment_names(self, ids: Iterable[str]) -> dict[str, str]:
        """Names for audience ids: from the cache, else one bulk-get for the unknown ones (§6)."""
        wanted = list(dict.fromkeys(ids))
        with self._segment_lock:
            names = {i: self._segment_names[i] for i in wanted if i in self._segment_names}
        missing = [i for i in wanted if i not in names]
        if missing:
            response = self._call("POST", self._base + SEGMENTS_BULK_PATH,
                                  json={"ids": [{"id": i} for i in missing]}, ok=(200, 207))
            results = json_body(response).get("results") or {}
            fetched = {i: str(d.get("name") or i) for i, d in results.items() if isinstance(d, dict)}
            self._remember_segments(fetched)
            names.update(fetched)
        return names

    def preload_segments(self, *, max_pages: int = 20) -> int:
        """Fill the name cache from the definitions list so lookups need no extra round trip."""
        url: str | None = self._base + SEGMENTS_PATH
        params: dict | None = {"limit": "100"}
        count = 0
        for _ in range(max_pages):
            body = json_body(self._call("GET", url, params=params))
            segments = body.get("segments") or body.get("children") or []
            self._remember_segments({s["id"]: str(s.get("name") or s["id"]) for s in segments if s.get("id")})
            count += len(segments)
            href = ((body.get("_links") or body.get("link") or {}).get("next") or {})
            href = href.get("href") if isinstance(href, dict) else href
            if not href:
                break
            url, params = (href if href.startswith("http") else self._base + "/data/core/ups" + href.lstrip("@")), None
        return count

    def _remember_segments(self, names: dict[str, str]) -> None:
        with self._segment_lock:
            self._segment_names.update(names)

    def list_namespaces(self) -> list[dict]:
        body = json_body(self._call("GET", self._base + NAMESPACES_PATH), expect=list)
        return [n for n in body if isinstance(n, dict)]

    # -- plumbing ------------------------------------------------------------------------------

    def _merge_param(self) -> dict[str, str]:
        policy = self.default_merge_policy_id()
        return {"mergePolicyId": policy} if policy else {}

    def _call(self, method: str, url: str | None, *, ok: tuple[int, ...] = (200,),
              allow: tuple[int, ...] = (), **kwargs: Any) -> requests.Response:
        """Send with the gateway headers; on a 401 fetch a new token once and try again."""
        assert url is not None
        for fresh_token in (False, True):
            token = self.auth.token()
            headers = dict(self._headers, Authorization=f"Bearer {token}")
            if "json" in kwargs:
                headers["Content-Type"] = "application/json"
            response = send(self._session, method, url, service=SERVICE, policy=self.policy,
                            verify=self._verify, sleep=self._sleep, headers=headers, **kwargs)
            if response.status_code == 401 and not fresh_token:
                log.info("aep.token.rejected")
                self.auth.invalidate(token)
                continue
            break
        if response.status_code in ok or response.status_code in allow:
            return response
        raise error_from_response(response, service=SERVICE)
