"""AEP emulator route for IMS: the client-credentials token (§1.1), refused for a wrong client, grant
or a scope the credential lacks.
"""
from __future__ import annotations

import secrets
import time

from flask import Flask, jsonify, request

from connector.sandbox.aep.errors import ims_error
from connector.sandbox.aep.state import CLIENT_ID, CLIENT_SECRET, SCOPES, AepWorld


def register(app: Flask, world: AepWorld) -> None:
    """Add ``POST /ims/token/v3``."""

    @app.post("/ims/token/v3")
    def ims_token():
        values = {**request.args.to_dict(), **request.form.to_dict()}
        missing = [k for k in ("grant_type", "client_id", "client_secret", "scope") if not values.get(k)]
        if missing:
            return ims_error(400, "invalid_request", f"missing parameter(s): {', '.join(missing)}")
        if values["grant_type"] != "client_credentials":
            return ims_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if values["client_id"] != CLIENT_ID or values["client_secret"] != CLIENT_SECRET:
            return ims_error(401, "invalid_client", "invalid client_id or client_secret")
        asked = {s.strip() for s in values["scope"].split(",") if s.strip()}
        if not asked or not asked <= SCOPES:
            # §1.1 (S23): the OAuth-style body; the status is [unverified] (400 or 401), 400 chosen here.
            return ims_error(400, "invalid_scope", "The requested scopes are not a subset of the scopes of the "
                                                    "credential.")
        token = "eyJ" + secrets.token_urlsafe(32)
        with world.lock:
            world.tokens[token] = time.time() + world.token_ttl
        return jsonify(access_token=token, token_type="bearer", expires_in=world.token_ttl)
