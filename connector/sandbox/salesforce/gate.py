"""What every request to the Salesforce emulator passes through: the request log, the fault knobs,
the session check (401 INVALID_SESSION_ID) and the daily API allocation (403 REQUEST_LIMIT_EXCEEDED,
``Sforce-Limit-Info`` on every REST response), reference §2.1, §2.4.
"""
from __future__ import annotations

import time

from flask import Flask, Response, jsonify, request

from connector.sandbox.salesforce.errors import error_list
from connector.sandbox.salesforce.state import SalesforceWorld


def register(app: Flask, world: SalesforceWorld) -> None:
    """Add the request hooks; the session's user is left in ``request.environ["sandbox.user"]``."""

    @app.before_request
    def gate():
        if request.path.startswith("/__sandbox"):
            return None
        with world.lock:
            world.requests.append((request.method, request.full_path, request.get_json(silent=True)))
        world.faults.delay()
        failure = world.faults.pick(request.path, request.method)
        if failure and failure.status >= 400:
            body = failure.body or [{"message": "Injected fault", "errorCode": "SERVER_UNAVAILABLE"}]
            return jsonify(body), failure.status
        if not request.path.startswith("/services/data/"):
            return None
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with world.lock:
            entry = world.tokens.get(token)
            if entry is None or entry[0] < time.time():
                return error_list(401, "INVALID_SESSION_ID", "Session expired or invalid")
            if world.used >= world.daily_max:
                return error_list(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            world.used += 1
        request.environ["sandbox.user"] = entry[1]
        return None

    @app.after_request
    def limit_info(response: Response) -> Response:
        if request.path.startswith("/services/data/"):
            response.headers["Sforce-Limit-Info"] = f"api-usage={world.used}/{world.daily_max}"
        return response
