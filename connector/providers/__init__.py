"""Providers: the unit a CRM plugs in by. Each CRM is one object satisfying ``Provider`` (what it is,
before any settings) that ``connect``s into a ``Connected`` (the CRM configured in one runtime).

Shared code — the job runner, previews, privacy, ``check``, the demo, the web app and the CLI — loops
over the registry and never names a provider. The built-in providers are listed here; others register
through the ``aep_connector.providers`` entry point group, or ``register()`` (tests).
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol

from connector.core.jobkey import JobKey
from connector.core.targets import Target

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from connector.config import Settings
    from connector.core.lang import Lang
    from connector.core.manifest import Manifest
    from connector.services.drafts import Draft
    from connector.services.ledger import Ledger
    from connector.services.lookup import ProfileLookup
    from connector.store.db import Store

log = logging.getLogger(__name__)

BUILTIN = ("connector.providers.zendesk:PROVIDER", "connector.providers.salesforce:PROVIDER")
ENTRY_POINTS = "aep_connector.providers"
Echo = Callable[[str], None]


class Sandbox(Protocol):
    """A provider's local emulator (``CONNECTOR_SANDBOX=1``, the demo, the integration tests)."""

    url: str

    def start(self) -> Sandbox: ...
    def stop(self) -> None: ...
    def settings_overrides(self) -> dict[str, Any]: ...


@dataclass
class Shared:
    """What every provider's services are built on: the one store, lookup and ledger of the runtime."""

    settings: Settings
    manifest: Manifest
    store: Store
    lookup: ProfileLookup
    ledger: Ledger
    lang: Lang
    redis_url: str | None = None  # shared budgets and caches across instances, when the queue is Redis
    extras: dict[str, Any] = field(default_factory=dict)


class Connected(Protocol):
    """One configured CRM in a runtime: the provider's side of every shared use-case."""

    name: str

    def start(self) -> None:
        """Load what request handlers need (own user id, public keys…) before the first request."""

    def draft(self, key: JobKey, *, note_written: bool | None = None) -> Draft:
        """Read the record and the person behind it, look the profile up, plan the write; write nothing."""

    def reserve(self) -> None:
        """Take the request budget one write needs (all or nothing), or raise UpstreamRateLimited."""

    def write(self, draft: Draft) -> tuple[str, bool]:
        """Write a draft's plans and record them; (outcome, whether the note is now written)."""

    def clear(self, key: JobKey, written: dict[str, str | None]) -> tuple[list[str], list[str]]:
        """Privacy: blank what the connector wrote (wire target → value) where the CRM still holds it;
        returns (cleared, kept) as ``key/target`` lines."""

    def check(self, echo: Echo) -> int:
        """``aep-connector check`` lines (``ok``/``FAIL``); returns the number of failures."""

    def close(self) -> None: ...


class Provider(Protocol):
    """A CRM, before settings: its name, settings section, grammar, web, CLI and emulator."""

    name: str  # job keys, the manifest's writeback key, settings prefix (CONNECTOR_<NAME>_…)
    title: str  # for people: "Zendesk"
    settings: type  # the settings section: a dataclass whose fields are CONNECTOR_<NAME>_<FIELD>
    requires: tuple[str, ...]  # the fields that must be set for it to be configured (named when they are not)
    note_wire: str  # the manifest's (and ledger's) name of its internal note, of its tags
    tags_wire: str

    def parse_target(self, text: str) -> Target:
        """A manifest ``target`` in the provider's words → neutral Target; ValueError says the grammar."""

    def parse_key(self, key: JobKey) -> JobKey:
        """The record types and ids this provider enriches; ValueError otherwise."""

    def configured(self, settings: Settings) -> bool: ...

    def connect(self, shared: Shared) -> Connected: ...

    def blueprint(self) -> Blueprint | None: ...

    def commands(self) -> click.Group | None: ...

    def start_sandbox(self, settings: Settings) -> tuple[Sandbox, dict[str, Any]] | None:
        """Start its emulator; the settings that point the connector at it (None: it has none)."""

    def demo(self, connected: Any, *, runtime: Any, server_url: str, sandbox: Any, echo: Echo) -> None:
        """The demo's tour of this CRM (after the connector listens on ``server_url``)."""


_registry: dict[str, Provider] = {}
_loaded = False
_retry: list[Any] = []  # plug-ins that failed to load (e.g. imported while the connector was importing)


def _load() -> None:
    global _loaded
    if _loaded:
        if _retry:
            _load_entries(_retry.copy())
        return
    _loaded = True
    for spec in BUILTIN:
        module, _, attr = spec.partition(":")
        _add(getattr(importlib.import_module(module), attr))
    _load_entries(list(entry_points(group=ENTRY_POINTS)))


def _load_entries(entries: list[Any]) -> None:
    for entry in entries:
        try:
            provider = entry.load()
            _add(provider)
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not stop the connector
            if entry not in _retry:
                _retry.append(entry)
            log.warning("providers.entry_point.failed", extra={
                "entry": entry.name, "reason": f"{type(exc).__name__}: {str(exc)[:200]}"})
        else:
            if entry in _retry:
                _retry.remove(entry)


def _add(provider: Provider) -> None:
    import dataclasses

    from connector.config import CoreSettings

    if provider.name in _registry and _registry[provider.name] is not provider:
        raise ValueError(f"a provider named {provider.name!r} is already registered")
    JobKey(provider.name, "record", "1")  # a name job keys and the store can hold
    flat = {f"{provider.name}_{f.name}" for f in dataclasses.fields(provider.settings)}
    clash = flat & {f.name for f in dataclasses.fields(CoreSettings)}
    if clash:
        raise ValueError(f"provider {provider.name!r}: settings {', '.join(sorted(clash))} are the connector's own")
    _registry[provider.name] = provider


def register(provider: Provider) -> None:
    _load()
    _add(provider)


def unregister(name: str) -> None:
    _registry.pop(name, None)


def all_providers() -> list[Provider]:
    _load()
    return list(_registry.values())


def names() -> list[str]:
    return [p.name for p in all_providers()]


def get(name: str) -> Provider | None:
    _load()
    return _registry.get(name)


def parse_key(text: object) -> JobKey:
    """A record key a request or an operator gave: well formed, and one a registered provider enriches."""
    return check_key(JobKey.parse(text))


def check_key(key: JobKey) -> JobKey:
    """``key`` if a registered provider enriches such records; ValueError saying why not otherwise."""
    provider = get(key.provider)
    if provider is None:
        raise ValueError(f"no CRM named {key.provider!r} (known: {', '.join(names())})")
    return provider.parse_key(key)


def configured(connected: Mapping[str, Any], name: str) -> Any:
    """The configured provider ``name`` (its service), or ConfigError naming the settings to set."""
    found = connected.get(name)
    if found is None:
        from connector.errors import ConfigError

        provider = get(name)
        needed = ", ".join(f"CONNECTOR_{name.upper()}_{r.upper()}" for r in (provider.requires if provider else ()))
        raise ConfigError(f"{provider.title if provider else name} is not configured: set "
                          f"{needed or f'CONNECTOR_{name.upper()}_…'}")
    return found
