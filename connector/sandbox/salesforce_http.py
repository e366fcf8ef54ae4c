"""Unknown routes and wrong methods of the Salesforce emulator's REST API answer as Salesforce does:
a JSON error list (reference §2.1, §2.2), never an HTML page."""
from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

REST_PREFIX = "/services/data/"


def register(app: Flask) -> None:
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
