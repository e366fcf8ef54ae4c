"""Request bodies read with a cap on what was actually read, not on what ``Content-Length`` claims."""
from __future__ import annotations

import json

from flask import request

from connector import errors


def read_capped(limit: int, *, what: str) -> bytes:
    """The raw body (cached for later readers), refused with 413 beyond ``limit`` bytes.

    A chunked request has no Content-Length; the app-wide MAX_CONTENT_LENGTH bounds what is read,
    and the length of what was read is what counts here.
    """
    if (request.content_length or 0) > limit:  # refuse early what announces itself as too large
        raise errors.PayloadTooLarge(f"{what} bodies are at most {limit} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise errors.PayloadTooLarge(f"{what} bodies are at most {limit} bytes")
    return raw


def json_object() -> dict:
    """The JSON body as an object: ``{}`` when there is none or it is not JSON, 400 when it is another value
    (an array or a string has no ``.get``: it used to end as a 500)."""
    if not request.is_json:
        return {}
    try:
        data = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):  # RecursionError: deeply nested arrays, which json gives up on
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise errors.PayloadError("the body must be a JSON object", code="invalid_json")
    return data
