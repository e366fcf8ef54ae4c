"""What every request to the Zendesk emulator passes through: the request log, the fault knobs,
authentication (API token or OAuth Bearer, §3.1), the per-minute budget and its headers (§4.2),
and Zendesk's JSON error bodies (§4.1).
"""
from __future__ import annotations

import base64
import time

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from connector.sandbox.zendesk import ratelimit
from connector.sandbox.zendesk.state import AGENT_EMAIL, API_TOKEN, OAUTH_TOKEN, ZendeskWorld


def not_found():
    return jsonify(error="RecordNotFound", description="Not found"), 404


def register(app: Flask, world: ZendeskWorld) -> None:
    """Add the request hooks and the error handler to the emulator's app."""

    @app.before_request
    def gate():
        if request.path.startswith("/__sandbox"):
            return None
        with world.lock:
            world.requests.append((request.method, request.path, request.get_json(silent=True)))
        world.faults.delay()
        failure = world.faults.pick(request.path, request.method)
        if failure and failure.status >= 400:
            response = jsonify(failure.body or {"error": "InjectedFault", "description": "Injected fault"})
            response.status_code = failure.status
            if failure.retry_after is not None:
                response.headers["Retry-After"] = f"{failure.retry_after:g}"
            return response
        if request.path.endswith("/public_key.pem"):
            return None
        if not _authorized():
            return jsonify(error="Couldn't authenticate you"), 401
        wait = world.take_budget()
        if wait is not None:
            return ratelimit.too_many(wait)
        return None

    @app.after_request
    def limit_headers(response: Response) -> Response:
        if request.path.startswith("/api/"):
            remaining = str(world.remaining())
            reset = str(world.rate_window_s - int(time.time() % world.rate_window_s))
            response.headers.update(ratelimit.headers(
                families=world.rate_limit_headers, limit=world.rate_limit, remaining=int(remaining),
                reset_s=int(reset), method=request.method, path=request.path, updates=world.update_log))
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Zendesk answers JSON everywhere, unknown paths and methods included (§4.1) [unverified: the code]
        if exc.code in (404, 405):
            return jsonify(error="InvalidEndpoint", description="Not found"), 404
        return jsonify(error=exc.name.replace(" ", ""), description=exc.description), exc.code or 500


def _authorized() -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            user, _, token = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == f"{AGENT_EMAIL}/token" and token == API_TOKEN
    return header == f"Bearer {OAUTH_TOKEN}"
