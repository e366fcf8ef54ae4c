"""Composition root: settings + manifest → adapters → services. Web and CLI both start here."""
from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from connector.adapters.aep import AepClient
from connector.config import Settings
from connector.core.manifest import Manifest
from connector.errors import UpstreamError
from connector.schemas.manifest import load_manifest
from connector.services.cache import ProfileCache
from connector.services.lookup import ProfileLookup

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    manifest: Manifest
    aep: AepClient
    lookup: ProfileLookup
    executor: ThreadPoolExecutor
    sandboxes: list = field(default_factory=list)

    def warm(self) -> None:
        """Fetch the token, merge policy and audience names ahead of the first agent."""
        try:
            self.aep.auth.token()
            self.aep.default_merge_policy_id()
            self.aep.preload_segments()
        except UpstreamError as exc:
            log.warning("runtime.warm.failed", extra={"reason": exc.code})

    def warm_in_background(self) -> None:
        threading.Thread(target=self.warm, name="connector-warm", daemon=True).start()

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        for sandbox in self.sandboxes:
            sandbox.stop()


def start_sandboxes(settings: Settings) -> tuple[Settings, list]:
    """With CONNECTOR_SANDBOX=1: start the emulators and point the settings at them."""
    if not settings.sandbox:
        return settings, []
    from connector.sandbox.aep import AepSandbox

    aep = AepSandbox().start()
    overrides = aep.settings_overrides()
    if not settings.api_keys:
        overrides["api_keys"] = ("sandbox-" + secrets.token_urlsafe(12),)
    return settings.replace(**overrides), [aep]


def build_runtime(settings: Settings) -> Runtime:
    """Wire everything; raises ConfigError/ManifestError with a readable message."""
    settings, sandboxes = start_sandboxes(settings)
    manifest = load_manifest(settings.mapping)
    aep = AepClient(settings)
    executor = ThreadPoolExecutor(max_workers=max(8, settings.web_threads), thread_name_prefix="aep")
    lookup = ProfileLookup(aep=aep, manifest=manifest, cache=ProfileCache(ttl=settings.profile_cache_ttl),
                           executor=executor)
    return Runtime(settings, manifest, aep, lookup, executor, sandboxes)
