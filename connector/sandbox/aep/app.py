"""The AEP emulator's application: the request gate and the route groups over one world, and the
emulator as a running server (tests, the demo, ``python -m connector.sandbox``)."""
from __future__ import annotations

from flask import Flask

from connector.sandbox import seed
from connector.sandbox.aep import gate, routes_config, routes_entities, routes_ims, routes_sandbox
from connector.sandbox.aep.state import CLIENT_ID, CLIENT_SECRET, ORG_ID, AepWorld
from connector.sandbox.server import RunningEmulator


def create_app(world: AepWorld) -> Flask:
    app = Flask("aep-sandbox")
    app.config["world"] = world
    gate.register(app, world)
    routes_ims.register(app, world)
    routes_entities.register(app, world)
    routes_config.register(app, world)
    routes_sandbox.register(app, world)
    return app


class AepSandbox(RunningEmulator):
    """The AEP emulator as a running server, with its world exposed for tests."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, customers: int = seed.DEFAULT_CUSTOMERS) -> None:
        self.world = AepWorld(customers=customers)
        self._serve(create_app(self.world), host=host, port=port)

    def settings_overrides(self) -> dict:
        """Connector settings that point at this emulator."""
        return {"aep_ims_url": self.url, "aep_platform_url": self.url, "aep_client_id": CLIENT_ID,
                "aep_client_secret": CLIENT_SECRET, "aep_org_id": ORG_ID, "aep_sandbox": "prod"}
