"""JSON errors everywhere: ``{"error": CODE, "message": text}`` with the right status."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from connector import errors

log = logging.getLogger(__name__)


def error_response(error: errors.ConnectorError, **extra: object):
    response = jsonify({**error.to_dict(), **extra})
    response.status_code = error.status
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, round(retry_after)))
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(errors.ConnectorError)
    def connector_error(error: errors.ConnectorError):
        level = logging.WARNING if error.status >= 500 else logging.INFO
        log.log(level, "web.error", extra={"code": error.code, "status": error.status})
        return error_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        response = jsonify(error=code, message=error.description or error.name)
        response.status_code = error.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("web.unexpected", extra={"type": error.__class__.__name__})
        return jsonify(error="internal_error", message="the connector failed; see its logs"), 500
