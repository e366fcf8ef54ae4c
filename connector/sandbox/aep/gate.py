"""What every request to the AEP emulator passes through: the request log, the fault knobs (scripted
answers and delays), and the API gateway's checks on Platform calls (§1.4, §10.2).
"""
from __future__ import annotations

import time

from flask import Flask, Response, jsonify, request

from connector.sandbox.aep.errors import problem
from connector.sandbox.aep.state import CLIENT_ID, GATEWAY_PREFIXES, ORG_ID, SANDBOXES, AepWorld, Recorded
from connector.sandbox.faults import Scripted


def register(app: Flask, world: AepWorld) -> None:
    """Add the request hook: record, delay or fail as scripted, then the gateway checks."""

    @app.before_request
    def record_and_fault():
        if request.path.startswith("/__sandbox"):
            return None
        with world.lock:
            world.requests.append(Recorded(request.method, request.path, list(request.args.items(multi=True)),
                                           dict(request.headers), request.form.to_dict(),
                                           request.get_json(silent=True)))
        world.faults.delay()
        failure = world.faults.pick(request.path, request.method)
        answer = _scripted(failure) if failure else None
        if answer is not None:
            return answer
        if request.path.startswith(GATEWAY_PREFIXES):
            return _gateway_check(world)
        return None


def _gateway_check(world: AepWorld):
    """§1.4 / §10.2 order: token, API key, org, sandbox, content type."""
    auth = request.headers.get("Authorization", "")
    if not auth:
        return jsonify(error_code="403010", message="Oauth token is missing."), 401
    if not auth.startswith("Bearer "):  # §1.3: the token goes in a Bearer header, nothing else
        return jsonify(error_code="401013", message="Oauth token is not valid"), 401
    token = auth.removeprefix("Bearer ").strip()
    with world.lock:
        expiry = world.tokens.get(token)
    if expiry is None or expiry < time.time():
        return jsonify(error_code="401013", message="Oauth token is not valid"), 401
    api_key = request.headers.get("x-api-key")
    if not api_key:
        return jsonify(error_code="403000", message="Api Key is required"), 403
    if api_key != CLIENT_ID:
        return jsonify(error_code="403003", message="Api Key is invalid"), 403
    org = request.headers.get("x-gw-ims-org-id")
    if not org:
        return jsonify(error_code="400003", message="Missing header"), 400
    if org != ORG_ID:
        return jsonify(error_code="403025", message="Profile is not valid"), 403
    sandbox = request.headers.get("x-sandbox-name")
    if not sandbox:  # emulator choice: the shape for a missing sandbox header is undocumented
        return jsonify(error_code="400003", message="Missing header"), 400
    if sandbox not in SANDBOXES:
        return problem(400, "SMS-2074-400", f"Sandbox {sandbox} not found")  # emulator choice
    if request.method in ("POST", "PUT", "PATCH") and not (request.mimetype or "").endswith("json"):
        return jsonify(type="/placeholder/type/uri", status=400, title="BadRequestError",
                       detail="A valid content-type must be specified"), 400
    return None


def _scripted(item: Scripted) -> Response | None:
    if item.delay_ms:
        time.sleep(item.delay_ms / 1000.0)
    if item.status < 400:
        return None  # a pure delay
    body = item.body or {"error_code": f"{item.status}000", "message": "Injected fault"}
    response = jsonify(body)
    response.status_code = item.status
    if item.retry_after is not None:
        response.headers["Retry-After"] = f"{item.retry_after:g}"
    return response
