"""Composition root: settings + manifest → adapters → services. Web and CLI both start here."""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from itsdangerous import URLSafeTimedSerializer

from connector.adapters.aep import AepClient
from connector.adapters.ratelimit import Budget
from connector.adapters.salesforce import SalesforceClient
from connector.adapters.zendesk import ZendeskClient
from connector.config import Settings
from connector.core.manifest import Manifest
from connector.errors import ConfigError, TooManyRequests, UpstreamError, UpstreamRateLimited
from connector.i18n import lang_for
from connector.jobs.queue import JobQueue, build_huey
from connector.schemas.manifest import load_manifest
from connector.services.cache import GENERATION_KEY, ProfileCache, RedisProfileCache
from connector.services.enrichment import Enrichment
from connector.services.lookup import ProfileLookup
from connector.services.outbound import CHECKS_PER_MINUTE, OutboundGate
from connector.services.sidebar import SalesforceCards, Sidebar
from connector.services.zendesk_directory import ZendeskDirectory
from connector.store.db import Store

log = logging.getLogger(__name__)

WEBHOOK_SECRET_KEY = "zendesk.webhook_secret"
ZAF_KEY_RETRY_S = 30.0


@dataclass
class Runtime:
    settings: Settings
    manifest: Manifest
    aep: AepClient
    lookup: ProfileLookup
    executor: ThreadPoolExecutor
    store: Store
    queue: JobQueue
    enrichment: Enrichment
    zendesk: ZendeskClient | None = None
    salesforce: SalesforceClient | None = None
    sandboxes: list = field(default_factory=list)
    _zaf_key: str | None = None
    _zaf_key_failure: tuple[float, UpstreamError] | None = None
    outbound: OutboundGate | None = None
    _sidebar: Sidebar | None = None
    _key_writes: dict[str, Budget] = field(default_factory=dict)

    def warm(self) -> None:
        """Fetch the token, merge policy, audience names and our Zendesk user ahead of the first agent."""
        try:
            self.aep.auth.token()
            self.aep.default_merge_policy_id()
            self.aep.preload_segments()
            if self.zendesk is not None:
                self.zendesk.me()
        except UpstreamError as exc:
            log.warning("runtime.warm.failed", extra={"reason": exc.code})

    def warm_in_background(self) -> None:
        threading.Thread(target=self.warm, name="connector-warm", daemon=True).start()

    def start_workers(self) -> None:
        if self.settings.worker_threads > 0:
            _ = self.sidebar  # in-process workers prime the sidebar's ticket cache with what they read
            self.queue.start(threads=self.settings.worker_threads)
            self.queue.sweep()

    def accept(self, *, delivery_key: str, record_key: str, provider: str, rerun: bool = False,
               also_keys: tuple[str, ...] = ()) -> str:
        """Record a delivery and queue its job: durable first (the store), then the queue; a lost
        enqueue is made good by the sweeper. Returns queued, duplicate or done."""
        status = self.store.accept(delivery_key=delivery_key, record_key=record_key, provider=provider, rerun=rerun,
                                   also_keys=also_keys)
        if status == "queued":
            self.queue.enqueue(record_key)
        return status

    def take_key_write(self, api_key: str) -> None:
        """One queued write-back for this API key: CONNECTOR_API_KEY_WRITES_PER_MINUTE a minute, shared by
        every instance through Redis when the queue is there; beyond it 429 with Retry-After."""
        name = "api-key-writes-" + hashlib.sha256(api_key.encode()).hexdigest()[:16]  # never the key itself
        budget = self._key_writes.get(name)
        if budget is None:
            url = self.settings.queue_url
            budget = self._key_writes.setdefault(name, Budget(
                name=name, limit=self.settings.api_key_writes_per_minute, window_s=60,
                redis_url=url if url.startswith(("redis://", "rediss://")) else None))
        try:
            budget.take()
        except UpstreamRateLimited as exc:
            raise TooManyRequests(f"more than {budget.limit} write-backs a minute for this API key",
                                  retry_after=exc.retry_after) from None

    # -- Zendesk secrets and sessions ---------------------------------------------------------

    def zendesk_webhook_secret(self) -> str | None:
        return self.settings.zendesk_webhook_secret or self.store.get_setting(WEBHOOK_SECRET_KEY)

    def zaf_public_key(self) -> str:
        if self._zaf_key is None:
            if self.settings.zendesk_app_public_key:
                self._zaf_key = self.settings.zendesk_app_public_key
            elif self.zendesk is not None and self.settings.zendesk_app_id:
                self._zaf_key = self._fetch_zaf_key(self.zendesk, self.settings.zendesk_app_id)
            else:
                raise ConfigError("set CONNECTOR_ZENDESK_APP_PUBLIC_KEY or CONNECTOR_ZENDESK_APP_ID for the sidebar")
        return self._zaf_key

    def _fetch_zaf_key(self, zendesk: ZendeskClient, app_id: str) -> str:
        """The app's key from Zendesk; a failure is remembered for a while, so that unauthenticated
        sidebar loads cannot make one Zendesk call each while Zendesk is failing."""
        failed = self._zaf_key_failure
        if failed is not None and failed[0] > time.monotonic():
            raise failed[1]
        try:
            return zendesk.public_key(app_id)
        except UpstreamError as exc:
            self._zaf_key_failure = (time.monotonic() + ZAF_KEY_RETRY_S, exc)
            raise

    def sessions(self) -> URLSafeTimedSerializer:
        if not self.settings.session_secret:
            raise ConfigError("set CONNECTOR_SESSION_SECRET for the sidebar")
        return URLSafeTimedSerializer(self.settings.session_secret, salt="aep-connector-sidebar")

    @property
    def sidebar(self) -> Sidebar:
        """One per runtime: it keeps the briefly cached agents and tickets."""
        if self._sidebar is None:
            directory = ZendeskDirectory(self.zendesk) if self.zendesk is not None else None
            if directory is not None:
                self.enrichment.on_ticket_read = directory.remember_ticket
            self._sidebar = Sidebar(lookup=self.lookup, directory=directory, views=self.store.views,
                                    records_per_minute=self.settings.sidebar_records_per_minute)
        return self._sidebar

    @property
    def salesforce_cards(self) -> SalesforceCards:
        return SalesforceCards(lookup=self.lookup, salesforce=self.salesforce)

    def close(self) -> None:
        self.queue.stop()
        self.executor.shutdown(wait=False, cancel_futures=True)
        for sandbox in self.sandboxes:
            sandbox.stop()


def start_sandboxes(settings: Settings) -> tuple[Settings, list]:
    """With CONNECTOR_SANDBOX=1: start the emulators and point the settings at them."""
    if not settings.sandbox:
        return settings, []
    from connector.sandbox.aep import AepSandbox
    from connector.sandbox.salesforce import SalesforceSandbox
    from connector.sandbox.zendesk import ZendeskSandbox

    aep, zendesk, salesforce = AepSandbox().start(), ZendeskSandbox().start(), SalesforceSandbox().start()
    overrides = {**aep.settings_overrides(), **zendesk.settings_overrides(), **salesforce.settings_overrides()}
    if not settings.api_keys:
        overrides["api_keys"] = ("sandbox-" + secrets.token_urlsafe(12),)
    if not settings.session_secret:
        overrides["session_secret"] = secrets.token_urlsafe(32)
    if not settings.salesforce_callout_secret:
        overrides["salesforce_callout_secret"] = secrets.token_urlsafe(32)
    return settings.replace(**overrides), [aep, zendesk, salesforce]


def build_runtime(settings: Settings) -> Runtime:
    """Wire everything; raises ConfigError/ManifestError with a readable message."""
    settings, sandboxes = start_sandboxes(settings)
    manifest = load_manifest(settings.mapping)
    aep = AepClient(settings)
    executor = ThreadPoolExecutor(max_workers=max(8, settings.web_threads), thread_name_prefix="aep")
    store = Store(settings.database_url, lease=timedelta(seconds=settings.job_lease_seconds))
    cache: ProfileCache | RedisProfileCache = ProfileCache(
        ttl=settings.profile_cache_ttl, generation=lambda: store.get_setting(GENERATION_KEY))
    if settings.cache_url:
        cache = RedisProfileCache(settings.cache_url, ttl=settings.profile_cache_ttl)
    lookup = ProfileLookup(aep=aep, manifest=manifest, cache=cache, executor=executor)
    shared = settings.queue_url if settings.queue_url.startswith(("redis://", "rediss://")) else None
    zendesk = ZendeskClient(settings, budget=Budget(name="Zendesk", limit=settings.zendesk_rate_limit,
                                                    window_s=settings.zendesk_rate_window, redis_url=shared)) \
        if settings.zendesk_url else None
    salesforce = SalesforceClient(settings) if settings.salesforce_instance_url else None
    queue_box: list[JobQueue] = []
    enrichment = Enrichment(store=store, lookup=lookup, manifest=manifest, max_attempts=settings.job_max_attempts,
                            reschedule=lambda key, delay: queue_box[0].enqueue(key, delay=delay), zendesk=zendesk,
                            salesforce=salesforce, salesforce_api_share=settings.salesforce_api_share,
                            lang=lang_for(settings.note_locale))
    retention = timedelta(days=settings.retention_days)
    queue = JobQueue(build_huey(settings), handler=enrichment.run, due=store.due,
                     housekeeping=lambda: store.purge(older_than=retention),
                     sweep_every_s=min(15.0, settings.job_lease_seconds / 3))
    queue_box.append(queue)
    org = (settings.salesforce_org_id or "")[:15]
    outbound = OutboundGate(owner_of=salesforce.session_owner if salesforce is not None else None,
                            budget=Budget(name=f"Salesforce-outbound-{org}", window_s=60, redis_url=shared,
                                          limit=settings.salesforce_outbound_per_minute),
                            checks=Budget(name=f"Salesforce-session-checks-{org}", limit=CHECKS_PER_MINUTE,
                                          window_s=60, redis_url=shared))
    return Runtime(settings, manifest, aep, lookup, executor, store, queue, enrichment, zendesk, salesforce,
                   sandboxes, outbound=outbound)
