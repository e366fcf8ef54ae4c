"""The Zendesk emulator's application: the request gate and the route groups over one world, and
the emulator as a running server (tests, the demo, the benchmarks)."""
from __future__ import annotations

from typing import Any

import requests
from flask import Flask

from connector.sandbox.server import RunningEmulator
from connector.sandbox.zendesk import (
    agents,
    gate,
    routes_apps,
    routes_lookups,
    routes_tickets,
    routes_users,
    routes_webhooks,
)
from connector.sandbox.zendesk.state import AGENT_EMAIL, API_TOKEN, ZendeskWorld
from connector.sandbox.zendesk.tickets import create_ticket


def create_app(world: ZendeskWorld) -> Flask:
    app = Flask("zendesk-sandbox")
    session = requests.Session()  # delivers the webhooks of tickets created over the API
    agents.register(app, world)
    gate.register(app, world)
    routes_users.register(app, world)
    routes_tickets.register(app, world, session)
    routes_webhooks.register(app, world)
    routes_apps.register(app, world)
    routes_lookups.register(app, world)
    return app


class ZendeskSandbox(RunningEmulator):
    """The Zendesk emulator as a running server, with its world exposed for tests and the demo."""

    def __init__(self, *, port: int = 0) -> None:
        self.world = ZendeskWorld()
        self._session = requests.Session()
        self._serve(create_app(self.world), port=port)

    def create_ticket(self, requester_id: int, *, subject: str | None = None) -> dict:
        """An end user opens a ticket: triggers and event subscriptions fire as in Zendesk."""
        return create_ticket(self.world, self._session, requester_id, actor_id=requester_id, subject=subject)

    def sidebar_token(self, **kwargs: Any) -> str:
        return self.world.sidebar_token(base_url=self.url, **kwargs)

    def settings_overrides(self) -> dict:
        return {"zendesk_url": self.url, "zendesk_email": AGENT_EMAIL, "zendesk_api_token": API_TOKEN,
                "zendesk_app_public_key": self.world.public_pem}
