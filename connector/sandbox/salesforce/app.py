"""The Salesforce emulator's application: the request gate and the route groups over one org, and
the emulator as a running https server (tests, the demo, the benchmarks)."""
from __future__ import annotations

from flask import Flask

from connector.sandbox.salesforce import errors, gate, routes_oauth, routes_query, routes_sobjects
from connector.sandbox.salesforce.connected_app import connected_app_keys
from connector.sandbox.salesforce.state import CLIENT_ID, CLIENT_SECRET, ORG_ID, USERNAME, SalesforceWorld
from connector.sandbox.server import RunningEmulator
from connector.sandbox.tls import self_signed


def create_app(world: SalesforceWorld) -> Flask:
    app = Flask("salesforce-sandbox")
    errors.register(app)
    gate.register(app, world)
    routes_oauth.register(app, world)
    routes_sobjects.register(app, world)
    routes_query.register(app, world)
    return app


class SalesforceSandbox(RunningEmulator):
    """The Salesforce emulator as a running https server; trust ``ca_bundle``."""

    def __init__(self, *, port: int = 0) -> None:
        self.world = SalesforceWorld()
        context, self.ca_bundle = self_signed()
        self._serve(create_app(self.world), port=port, ssl_context=context)

    def settings_overrides(self) -> dict:
        return {"salesforce_instance_url": self.url, "salesforce_client_id": CLIENT_ID,
                "salesforce_client_secret": CLIENT_SECRET, "salesforce_org_id": ORG_ID, "ca_bundle": self.ca_bundle}

    @property
    def jwt_private_key(self) -> str:
        """The key whose certificate the emulator's connected app holds (CONNECTOR_SALESFORCE_PRIVATE_KEY)."""
        return connected_app_keys()[0]

    def jwt_overrides(self) -> dict:
        """Settings for the JWT bearer flow (on top of ``settings_overrides``)."""
        return {"salesforce_username": USERNAME, "salesforce_private_key": self.jwt_private_key}

