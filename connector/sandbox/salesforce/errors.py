"""Errors of the Salesforce emulator's REST API as Salesforce answers them: a JSON error list
(reference §2.1, §2.2), unknown routes and wrong methods included, never an HTML page."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

REST_PREFIX = "/services/data/"


def error_list(status: int, code: str, message: str, fields: list | None = None):
    """One error in Salesforce's list shape, with its status."""
    body: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        body["fields"] = fields
    return jsonify([body]), status


def register(app: Flask) -> None:
    """Answer the REST API's 404 and 405 with Salesforce's error list."""

    @app.errorhandler(NotFound)
    @app.errorhandler(MethodNotAllowed)
    def rest_error(exc: HTTPException) -> HTTPException | tuple[Response, int]:
        if not request.path.startswith(REST_PREFIX):
            return exc
        if isinstance(exc, MethodNotAllowed):
            allowed = sorted(set(exc.valid_methods or []) - {"HEAD", "OPTIONS"})
            # Emulator choice (§2.1 documents the status, not the wording).
            response = jsonify([{"message": f"HTTP Method '{request.method}' not allowed. Allowed are "
                                            f"{','.join(allowed)}", "errorCode": "METHOD_NOT_ALLOWED"}])
            response.headers["Allow"] = ", ".join(allowed)
            return response, 405
        return jsonify([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]), 404
