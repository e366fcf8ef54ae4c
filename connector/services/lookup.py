"""Profile lookup: identity candidates → AEP → the agent card, with match explanation and cache.

Events are fetched in parallel with the profile (speculatively, for the same identity) and
segment names come from a preloaded cache, so that neither adds a round trip to the critical path.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from cachetools import TTLCache

from connector import errors
from connector.core.card import build_card, memberships
from connector.core.identity import IdentityValueError, candidates, digest, direct_candidate
from connector.core.lang import ENGLISH, N_, Lang
from connector.core.manifest import Manifest
from connector.core.models import Attempt, Candidate, Card, Contact, EventPage, Identity, Profile
from connector.services.cache import Bundle, ProfileCache, RedisProfileCache

log = logging.getLogger(__name__)

NAMESPACE_UNKNOWN = "namespace unknown in this sandbox"
UNKNOWN_NAMESPACE_TTL = 600  # an admin may add the namespace: ask AEP again after ten minutes


class ProfileSource(Protocol):
    def get_profile(self, identity: Identity, *, fields: tuple[str, ...]) -> Profile | None: ...
    def get_events(self, identity: Identity, *, limit: int, max_pages: int, fields: tuple[str, ...]) -> EventPage: ...
    def segment_names(self, ids: list[str]) -> dict[str, str]: ...


class ProfileLookup:
    def __init__(self, *, aep: ProfileSource, manifest: Manifest, cache: ProfileCache | RedisProfileCache,
                 executor: ThreadPoolExecutor) -> None:
        self.aep = aep
        self.manifest = manifest
        self.cache = cache
        self._executor = executor
        self._fields = manifest.profile_fields()
        self._unknown_namespaces: TTLCache = TTLCache(maxsize=64, ttl=UNKNOWN_NAMESPACE_TTL)
        self._unknown_lock = threading.Lock()

    def by_identity(self, namespace: str, value: str, *, refresh: bool = False, lang: Lang = ENGLISH) -> Card:
        """Card for an explicit namespace + value (lookup API, CLI)."""
        return self._resolve([self.candidate(namespace, value)], [], refresh=refresh, lang=lang)

    def candidate(self, namespace: str, value: str) -> Candidate:
        """The normalised identity for an explicit namespace + value; UnknownNamespace/InvalidIdentity if none."""
        try:
            return direct_candidate(namespace, value, self.manifest.identity)
        except KeyError:
            known = ", ".join(self.manifest.identity.namespaces)
            raise errors.UnknownNamespace(f"unknown identity namespace {namespace!r}; known: {known}") from None
        except IdentityValueError as exc:
            raise errors.InvalidIdentity(f"invalid {namespace} identity: {exc}") from None

    def by_contact(self, contact: Contact, *, refresh: bool = False, lang: Lang = ENGLISH) -> Card:
        """Card for a CRM contact: tries the manifest's candidates in order."""
        found, skipped = candidates(contact, self.manifest.identity, lang=lang)
        return self._resolve(found, skipped, refresh=refresh, lang=lang)

    def forget_cached(self, namespace: str, value: str) -> None:
        """Drop what this process cached for an identity (privacy requests)."""
        try:
            candidate = direct_candidate(namespace, value, self.manifest.identity)
        except (KeyError, IdentityValueError):
            return
        self.cache.forget(candidate.identity)

    def _resolve(self, found: list[Candidate], skipped: list[Attempt], *, refresh: bool, lang: Lang) -> Card:
        card = self._card(found, skipped, refresh=refresh, lang=lang)
        card.identity_digests = tuple((c.identity.namespace, digest(c.identity)) for c in found)
        return card

    def _card(self, found: list[Candidate], skipped: list[Attempt], *, refresh: bool, lang: Lang) -> Card:
        attempts: list[Attempt] = []
        for position, candidate in enumerate(found):
            namespace = candidate.identity.namespace.lower()
            with self._unknown_lock:
                unknown = namespace in self._unknown_namespaces
            if unknown:
                attempts.append(_attempt(candidate, "namespace_unknown", NAMESPACE_UNKNOWN))
                continue
            try:
                bundle = self._bundle(candidate.identity, refresh=refresh)
            except errors.NamespaceUnknown:
                # One candidate's failure, not the lookup's: the next identity may still match.
                with self._unknown_lock:
                    self._unknown_namespaces[namespace] = True
                log.warning("lookup.namespace_unknown", extra={"namespace": candidate.identity.namespace})
                attempts.append(_attempt(candidate, "namespace_unknown", NAMESPACE_UNKNOWN))
                continue
            except errors.ProfileNotServable as exc:
                attempts.append(_attempt(candidate, "not_servable", lang._(exc.message)))
                rest = _rest(found[position + 1:], lang._(N_("the profile cannot be served, whatever the identity")))
                return Card(status="not_servable", match=attempts + rest + skipped, locale=lang.locale)
            if bundle is None:
                attempts.append(_attempt(candidate, "no_profile", lang._(N_("AEP has no profile for this identity"))))
                continue
            attempts.append(_attempt(candidate, "matched", lang._(N_("AEP returned a profile for this identity"))))
            rest = _rest(found[position + 1:], lang._(N_("an earlier identity matched first")))
            return build_card(manifest=self.manifest, profile=bundle.profile, confidence=candidate.confidence,
                              match=attempts + rest + skipped,
                              segment_names=bundle.segment_names, events=bundle.events, lang=lang)
        return Card(status="not_found", match=attempts + skipped, locale=lang.locale)

    def _bundle(self, identity: Identity, *, refresh: bool) -> Bundle | None:
        if not refresh:
            cached = self.cache.get(identity)
            if cached is False:
                return None
            if isinstance(cached, Bundle):
                return cached
        events_future = self._start_events(identity)
        try:
            profile = self.aep.get_profile(identity, fields=self._fields)
        except errors.ConnectorError:
            if events_future:
                events_future.cancel()
            raise
        if profile is None:
            if events_future:
                events_future.cancel()
            self.cache.put(identity, None)
            return None
        events = events_future.result() if events_future else EventPage()
        bundle = Bundle(profile, events, self._names(profile))
        self.cache.put(identity, bundle)
        return bundle

    def _start_events(self, identity: Identity) -> Future | None:
        spec = self.manifest.events
        if not spec.sections:
            return None
        return self._executor.submit(self.aep.get_events, identity, limit=spec.limit,
                                     max_pages=spec.max_pages, fields=spec.fields)

    def _names(self, profile: Profile) -> dict[str, str]:
        ids = [m.segment_id for m in memberships(profile.entity, self.manifest.audiences.namespaces)]
        if not ids:
            return {}
        try:
            return self.aep.segment_names(ids)
        except errors.UpstreamError as exc:
            log.warning("lookup.segment_names.failed", extra={"reason": exc.code})
            return {}


def _attempt(candidate: Candidate, outcome: str, reason: str) -> Attempt:
    return Attempt(candidate.identity.namespace, candidate.source, candidate.masked, outcome, reason,
                   candidate.confidence)


def _rest(candidates_left: list[Candidate], reason: str) -> list[Attempt]:
    return [_attempt(c, "not_tried", reason) for c in candidates_left]
