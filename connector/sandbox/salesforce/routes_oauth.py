"""Salesforce emulator routes for OAuth: the token endpoint (client credentials, username-password and
the JWT bearer flow, reference §1.3) and OpenID Connect UserInfo of a session.
"""
from __future__ import annotations

import base64
import secrets
import time

from flask import Flask, Response, jsonify, request

from connector.sandbox.salesforce.connected_app import assertion_problem, connected_app_keys
from connector.sandbox.salesforce.state import (
    CLIENT_ID,
    CLIENT_SECRET,
    INTEGRATION_USER,
    ORG_ID,
    PASSWORD,
    USERNAME,
    SalesforceWorld,
)


def register(app: Flask, world: SalesforceWorld) -> None:
    """Add the token and userinfo routes."""

    @app.post("/services/oauth2/token")
    def token():
        form = request.form
        grant = form.get("grant_type")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if grant not in ("client_credentials", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
            return jsonify(error="unsupported_grant_type", error_description="grant type not supported"), 400
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problem = assertion_problem(form.get("assertion", ""), certificate=connected_app_keys()[1],
                                        client_id=CLIENT_ID, users=(USERNAME,))
            if problem:
                return jsonify(error="invalid_grant", error_description=problem), 400
        elif (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return jsonify(error="invalid_client", error_description="invalid client credentials"), 400
        elif grant == "password" and (form.get("username"), form.get("password")) != (USERNAME, PASSWORD):
            return jsonify(error="invalid_grant", error_description="authentication failure"), 400
        issued = str(int(time.time() * 1000))
        base = request.host_url.rstrip("/")
        return jsonify(access_token=world.issue_token(), instance_url=base, token_type="Bearer",
                       id=f"{base}/id/{ORG_ID}/{INTEGRATION_USER}", issued_at=issued, scope="api",
                       signature=base64.b64encode(secrets.token_bytes(32)).decode())

    @app.get("/services/oauth2/userinfo")
    def userinfo():
        """OpenID Connect UserInfo of the session's user; 401 for an unknown or expired token."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with world.lock:
            entry, org = world.tokens.get(token), world.token_orgs.get(token, ORG_ID)
        if entry is None or entry[0] < time.time():
            return Response("Bad_OAuth_Token", status=401, mimetype="text/plain")
        base = request.host_url.rstrip("/")
        return jsonify(sub=f"{base}/id/{org}/{entry[1]}", user_id=entry[1], organization_id=org,
                       preferred_username=USERNAME, email=USERNAME, email_verified=True, zoneinfo="GMT")
