"""Zendesk emulator routes for the API user, end users and the account's field metadata: ``users/me``,
show and update a user (unknown user field keys dropped, values checked, §4.4), and the ticket and
user field lists.
"""
from __future__ import annotations

from flask import Flask, jsonify, request

from connector.sandbox.zendesk.fields import accepted_user_fields, record_invalid
from connector.sandbox.zendesk.gate import not_found
from connector.sandbox.zendesk.state import INTEGRATION_USER_ID, ZendeskWorld


def register(app: Flask, world: ZendeskWorld) -> None:
    """Add the user and field metadata routes."""

    @app.get("/api/v2/users/me.json")
    def me():
        return jsonify(user=world.users[INTEGRATION_USER_ID])

    @app.get("/api/v2/users/<int:user_id>.json")
    def user_get(user_id: int):
        user = world.users.get(user_id)
        return jsonify(user=user) if user else not_found()

    @app.put("/api/v2/users/<int:user_id>.json")
    def user_put(user_id: int):
        changes = (request.get_json(silent=True) or {}).get("user") or {}
        with world.lock:
            user = world.users.get(user_id)
            if user is None:
                return not_found()
            values: dict = changes["user_fields"] if isinstance(changes.get("user_fields"), dict) else {}
            kept, details = accepted_user_fields(values, world.user_fields)
            if details:
                return jsonify(record_invalid(details)), 422
            for key, value in changes.items():
                if key == "user_fields" and isinstance(value, dict):
                    user["user_fields"].update(kept)  # only the listed, known keys change (§4.4)
                elif key not in ("id", "url", "created_at"):
                    user[key] = value
            return jsonify(user=user)

    @app.get("/api/v2/ticket_fields.json")
    def ticket_fields():
        fields = world.ticket_fields
        return jsonify(ticket_fields=fields, next_page=None, previous_page=None, count=len(fields))

    @app.get("/api/v2/user_fields.json")
    def user_fields():
        fields = world.user_fields
        return jsonify(user_fields=fields, next_page=None, previous_page=None, count=len(fields))
