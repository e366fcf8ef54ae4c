"""Zendesk as a provider: settings section, manifest grammar, record keys, and how its layers are
wired (web/zendesk.py, services/zendesk/, adapters/zendesk.py, schemas/zendesk.py, sandbox/zendesk)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connector.core import targets
from connector.core.jobkey import JobKey
from connector.core.targets import Target

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from connector.config import Settings
    from connector.providers import Echo, Shared
    from connector.services.zendesk import ZendeskService

_FIELD = re.compile(r"ticket\.custom_fields\.(\d+)")
_USER_FIELD = re.compile(r"user\.user_fields\.([a-z0-9_]+)")
GRAMMAR = "ticket.custom_fields.<id>, ticket.tags or user.user_fields.<key>"


@dataclass(frozen=True)
class ZendeskSettings:
    """CONNECTOR_ZENDESK_<FIELD>."""

    url: str | None = None
    email: str | None = None
    api_token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    app_public_key: str | None = field(default=None, repr=False)
    app_id: str | None = None
    rate_limit: int = 600  # requests per window for all workers together (Enterprise allows 700/min)
    rate_window: int = 60

    def problems(self) -> list[tuple[str, str]]:
        from connector.settings_check import url_problem

        found = [(name, "must be at least 1") for name in ("rate_limit", "rate_window") if getattr(self, name) < 1]
        if self.url and (problem := url_problem(self.url)):
            found.insert(0, ("url", problem))
        return found


class ZendeskProvider:
    name = "zendesk"
    title = "Zendesk"
    settings = ZendeskSettings
    requires = ("url", "email", "api_token")
    note_wire = "ticket.note"
    tags_wire = "ticket.tags"

    def parse_target(self, text: str) -> Target:
        if text == self.tags_wire:
            return targets.record_tags(wire=text)
        if found := _FIELD.fullmatch(text):
            return targets.record_field(found[1], wire=text)
        if found := _USER_FIELD.fullmatch(text):
            return targets.person_field(found[1], wire=text)
        raise ValueError(GRAMMAR)

    def parse_key(self, key: JobKey) -> JobKey:
        if key.object == "ticket" and key.id.isascii() and key.id.isdigit() and 0 < int(key.id) < 2**63:
            return key
        raise ValueError(f"not a record: {key} (zendesk:ticket:<id>)")

    def configured(self, settings: Settings) -> bool:
        return bool(settings.zendesk_url)

    def connect(self, shared: Shared) -> ZendeskService:
        from connector.adapters.ratelimit import Budget
        from connector.adapters.zendesk import ZendeskClient
        from connector.services.zendesk import ZendeskService

        s = shared.settings
        budget = Budget(name="Zendesk", limit=s.zendesk_rate_limit, window_s=s.zendesk_rate_window,
                        redis_url=shared.redis_url)
        return ZendeskService(shared, client=ZendeskClient(s, budget=budget))

    def blueprint(self) -> Blueprint:
        from connector.web.zendesk import bp

        return bp

    def commands(self) -> click.Group:
        from connector.providers.zendesk_cli import zendesk

        return zendesk

    def start_sandbox(self, settings: Settings) -> tuple[Any, dict[str, Any]]:
        from connector.sandbox.zendesk import ZendeskSandbox

        sandbox = ZendeskSandbox().start()
        return sandbox, sandbox.settings_overrides()

    def demo(self, connected: ZendeskService, *, runtime: Any, server_url: str, sandbox: Any, echo: Echo) -> None:
        from connector.providers.zendesk_demo import tour

        tour(connected, runtime=runtime, base=server_url, sandbox=sandbox, echo=echo)


PROVIDER = ZendeskProvider()
