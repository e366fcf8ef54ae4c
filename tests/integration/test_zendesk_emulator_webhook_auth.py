"""Webhook credentials in the Zendesk emulator (reference §1.2, §8): deliveries carry the configured
``authentication``; the API never shows a password, token or key value again."""
from __future__ import annotations

import base64

import pytest
import requests
from flask import Flask, request

from connector.sandbox.server import ServerThread
from connector.sandbox.zendesk import AGENT_EMAIL, API_TOKEN, create_ticket

AUTH = (f"{AGENT_EMAIL}/token", API_TOKEN)
AUTHS = {
    "basic": ({"type": "basic_auth", "data": {"username": "hook-user", "password": "hook-pass"},
               "add_position": "header"}, "Basic " + base64.b64encode(b"hook-user:hook-pass").decode(),
              {"username": "hook-user"}),
    "bearer": ({"type": "bearer_token", "data": {"token": "hook-token"}, "add_position": "header"},
               "Bearer hook-token", {}),
}


@pytest.fixture()
def receiver():
    seen: list[dict] = []
    app = Flask("receiver")

    @app.post("/hook")
    def hook():
        seen.append(dict(request.headers))
        return "", 200

    server = ServerThread(app).start()
    yield server.url + "/hook", seen
    server.stop()


def create_hook(zd, endpoint: str, authentication: dict) -> requests.Response:
    return requests.post(f"{zd.url}/api/v2/webhooks", auth=AUTH, timeout=5, json={"webhook": {
        "name": "hook", "endpoint": endpoint, "http_method": "POST", "request_format": "json", "status": "active",
        "subscriptions": ["zen:event-type:ticket.created"], "authentication": authentication}})


@pytest.mark.parametrize("kind", AUTHS)
def test_deliveries_carry_the_webhook_credentials(zd, receiver, kind):
    endpoint, seen = receiver
    authentication, header, _ = AUTHS[kind]
    assert create_hook(zd, endpoint, authentication).status_code == 201
    zd.world.sync_delivery = True
    try:
        create_ticket(zd.world, requests.Session(), 1001, actor_id=1001)
    finally:
        zd.world.sync_delivery = False
    assert len(seen) == 1 and seen[0]["Authorization"] == header


@pytest.mark.parametrize("kind", AUTHS)
def test_the_api_shows_only_the_basic_auth_username(zd, kind):
    authentication, _, shown = AUTHS[kind]
    created = create_hook(zd, "https://example.test/hook", authentication).json()["webhook"]
    one = requests.get(f"{zd.url}/api/v2/webhooks/{created['id']}", auth=AUTH, timeout=5).json()["webhook"]
    (listed,) = requests.get(f"{zd.url}/api/v2/webhooks", auth=AUTH, timeout=5).json()["webhooks"]
    for hook in (created, one, listed):
        assert hook["authentication"] == {**authentication, "data": shown}
    assert zd.world.webhooks[created["id"]]["authentication"] == authentication  # kept for deliveries
