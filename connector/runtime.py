"""Composition root: settings + manifest → store, queue, lookup, job runner, and one ``Connected``
per configured provider. Web and CLI both start here; what a request handler needs is loaded at start."""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from itsdangerous import URLSafeTimedSerializer

from connector.adapters.aep import AepClient
from connector.adapters.ratelimit import Budget
from connector.config import Settings
from connector.core.jobkey import JobKey
from connector.core.manifest import Manifest
from connector.errors import ConfigError, PayloadError, TooManyRequests, UpstreamError, UpstreamRateLimited
from connector.i18n import lang_for
from connector.jobs.queue import JobQueue, build_huey
from connector.providers import Connected, Shared, all_providers, check_key, configured
from connector.schemas.manifest import load_manifest
from connector.services.cache import GENERATION_KEY, ProfileCache, RedisProfileCache
from connector.services.jobs import Jobs
from connector.services.ledger import Ledger
from connector.services.lookup import ProfileLookup
from connector.store.db import Store

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    manifest: Manifest
    aep: AepClient
    lookup: ProfileLookup
    store: Store
    queue: JobQueue
    jobs: Jobs
    providers: dict[str, Connected]
    executor: ThreadPoolExecutor
    sandboxes: dict[str, Any] = field(default_factory=dict)  # "aep" and each provider's emulator
    _key_writes: dict[str, Budget] = field(default_factory=dict)
    _started: bool = False

    def provider(self, name: str) -> Any:
        """The configured provider ``name`` (its service), or ConfigError naming what to set."""
        return configured(self.providers, name)

    def warm(self) -> None:
        """Fetch the token, merge policy and audience names, and each provider's start data, ahead of the
        first agent."""
        try:
            self.aep.auth.token()
            self.aep.default_merge_policy_id()
            self.aep.preload_segments()
        except UpstreamError as exc:
            log.warning("runtime.warm.failed", extra={"reason": exc.code})
        self.start_providers()

    def start_providers(self) -> None:
        """Each provider loads what its request handlers read (once; failures are the provider's to log)."""
        if not self._started:
            self._started = True
            for connected in self.providers.values():
                connected.start()

    def warm_in_background(self) -> None:
        threading.Thread(target=self.warm, name="connector-warm", daemon=True).start()

    def start_workers(self) -> None:
        if self.settings.worker_threads > 0:
            self.queue.start(threads=self.settings.worker_threads)
            self.queue.sweep()

    def record(self, provider: str, obj: str, record_id: object) -> JobKey:
        """The job key of a record a request names, as its provider parses it; PayloadError otherwise."""
        try:
            return check_key(JobKey(provider, obj, str(record_id)))
        except ValueError as exc:
            raise PayloadError(str(exc)[:200], code="invalid_record") from None

    def accept(self, *, delivery_key: str, key: JobKey, rerun: bool = False, also_keys: tuple[str, ...] = ()) -> str:
        """Record a delivery and queue its job: durable first (the store), then the queue; a lost
        enqueue is made good by the sweeper. Returns queued, duplicate or done."""
        status = self.store.accept(delivery_key=delivery_key, record_key=str(key), provider=key.provider,
                                   rerun=rerun, also_keys=also_keys)
        if status == "queued":
            self.queue.enqueue(str(key))
        return status

    def take_key_write(self, api_key: str) -> None:
        """One queued write-back for this API key: CONNECTOR_API_KEY_WRITES_PER_MINUTE a minute, shared by
        every instance through Redis when the queue is there; beyond it 429 with Retry-After."""
        name = "api-key-writes-" + hashlib.sha256(api_key.encode()).hexdigest()[:16]  # never the key itself
        budget = self._key_writes.get(name)
        if budget is None:
            budget = self._key_writes.setdefault(name, Budget(
                name=name, limit=self.settings.api_key_writes_per_minute, window_s=60,
                redis_url=shared_redis(self.settings)))
        try:
            budget.take()
        except UpstreamRateLimited as exc:
            raise TooManyRequests(f"more than {budget.limit} write-backs a minute for this API key",
                                  retry_after=exc.retry_after) from None

    def sessions(self) -> URLSafeTimedSerializer:
        if not self.settings.session_secret:
            raise ConfigError("set CONNECTOR_SESSION_SECRET for the sidebar")
        return URLSafeTimedSerializer(self.settings.session_secret, salt="aep-connector-sidebar")

    def close(self) -> None:
        self.queue.stop()
        self.executor.shutdown(wait=False, cancel_futures=True)
        for connected in self.providers.values():
            connected.close()
        for sandbox in self.sandboxes.values():
            sandbox.stop()


def shared_redis(settings: Settings) -> str | None:
    url = settings.queue_url
    return url if url.startswith(("redis://", "rediss://")) else None


def start_sandboxes(settings: Settings) -> tuple[Settings, dict[str, Any]]:
    """With CONNECTOR_SANDBOX=1: start the AEP emulator and each provider's, and point the settings at them."""
    if not settings.sandbox:
        return settings, {}
    from connector.sandbox.aep import AepSandbox

    aep = AepSandbox().start()
    sandboxes: dict[str, Any] = {"aep": aep}
    overrides = dict(aep.settings_overrides())
    for provider in all_providers():
        started = provider.start_sandbox(settings)
        if started is not None:
            sandboxes[provider.name], more = started
            overrides.update(more)
    if not settings.api_keys:
        overrides["api_keys"] = ("sandbox-" + secrets.token_urlsafe(12),)
    if not settings.session_secret:
        overrides["session_secret"] = secrets.token_urlsafe(32)
    return settings.replace(**overrides), sandboxes


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
    shared = Shared(settings=settings, manifest=manifest, store=store, lookup=lookup, ledger=Ledger(store),
                    lang=lang_for(settings.note_locale), redis_url=shared_redis(settings))
    providers = {p.name: p.connect(shared) for p in all_providers() if p.configured(settings)}
    queue_box: list[JobQueue] = []
    jobs = Jobs(store=store, providers=providers, max_attempts=settings.job_max_attempts,
                reschedule=lambda key, delay: queue_box[0].enqueue(key, delay=delay))
    retention = timedelta(days=settings.retention_days)
    queue = JobQueue(build_huey(settings), handler=jobs.run, due=store.due,
                     housekeeping=lambda: store.purge(older_than=retention),
                     sweep_every_s=min(15.0, settings.job_lease_seconds / 3))
    queue_box.append(queue)
    return Runtime(settings, manifest, aep, lookup, store, queue, jobs, providers, executor, sandboxes)
