"""Zendesk emulator routes for webhooks (cursor-paged list, create, show/update/delete, signing
secret, §1.1/§1.2) and triggers (list, create as Zendesk checks them, update, §1.3).

Credentials of a webhook are never shown back (``hooks.shown``); the signing secret is only
returned by its own route.
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, jsonify, request

from connector.sandbox.zendesk import paging
from connector.sandbox.zendesk.fields import record_invalid, trigger_problems
from connector.sandbox.zendesk.gate import not_found
from connector.sandbox.zendesk.hooks import shown
from connector.sandbox.zendesk.state import INTEGRATION_USER_ID, ZendeskWorld


def register(app: Flask, world: ZendeskWorld) -> None:
    """Add the webhook and trigger routes."""
    _webhooks(app, world)
    _triggers(app, world)


def _webhooks(app: Flask, world: ZendeskWorld) -> None:
    @app.get("/api/v2/webhooks")
    def webhooks_list():
        try:  # creation order, cursor pages (§1.1)
            hooks = [shown(h) for h in world.webhooks.values()]
            return jsonify(paging.cursor_page(hooks, "webhooks"))
        except paging.BadCursor:
            return jsonify(paging.bad_cursor_body()), 400

    @app.post("/api/v2/webhooks")
    def webhooks_create():
        body = (request.get_json(silent=True) or {}).get("webhook") or {}
        missing = [k for k in ("name", "endpoint", "http_method", "request_format", "status") if not body.get(k)]
        if missing:
            return jsonify(errors=[{"code": "InvalidInput", "title": f"{k} is required"} for k in missing]), 400
        webhook_id = "01" + secrets.token_hex(12).upper()
        hook = {**body, "id": webhook_id, "created_at": "2026-11-20T12:00:00Z", "created_by": str(INTEGRATION_USER_ID)}
        hook.pop("signing_secret", None)
        with world.lock:
            world.webhooks[webhook_id] = hook
            world.secrets[webhook_id] = secrets.token_urlsafe(32)
        return jsonify(webhook=shown(hook)), 201

    @app.route("/api/v2/webhooks/<webhook_id>", methods=["GET", "PUT", "PATCH", "DELETE"])
    def webhook_one(webhook_id: str):
        hook = world.webhooks.get(webhook_id)
        if hook is None:
            return jsonify(errors=[{"code": "WebhookNotFound", "title": "Webhook not found"}]), 404
        if request.method == "GET":
            return jsonify(webhook=shown(hook))
        if request.method == "DELETE":
            world.webhooks.pop(webhook_id)
            return Response(status=204)
        hook.update({k: v for k, v in ((request.get_json(silent=True) or {}).get("webhook") or {}).items()
                     if k not in ("id", "signing_secret")})
        return Response(status=204)

    @app.route("/api/v2/webhooks/<webhook_id>/signing_secret", methods=["GET", "POST"])
    def signing_secret(webhook_id: str):
        if webhook_id not in world.webhooks:
            return jsonify(errors=[{"code": "WebhookNotFound", "title": "Webhook not found"}]), 404
        if request.method == "POST":
            world.secrets[webhook_id] = secrets.token_urlsafe(32)
        return jsonify(signing_secret={"algorithm": "SHA256", "secret": world.secrets[webhook_id]})


def _triggers(app: Flask, world: ZendeskWorld) -> None:
    @app.get("/api/v2/triggers.json")
    def triggers_list():
        items = list(world.triggers.values())
        return jsonify(triggers=items, next_page=None, previous_page=None, count=len(items))

    @app.post("/api/v2/triggers.json")
    def triggers_create():
        body = (request.get_json(silent=True) or {}).get("trigger") or {}
        details = trigger_problems(world, body)
        if details:
            return jsonify(record_invalid(details)), 422
        trigger = {**body, "id": world.new_id(), "active": body.get("active", True)}
        world.triggers[trigger["id"]] = trigger
        return jsonify(trigger=trigger), 201

    @app.put("/api/v2/triggers/<int:trigger_id>.json")
    def triggers_update(trigger_id: int):
        trigger = world.triggers.get(trigger_id)
        if trigger is None:
            return not_found()
        trigger.update((request.get_json(silent=True) or {}).get("trigger") or {})
        return jsonify(trigger=trigger)
