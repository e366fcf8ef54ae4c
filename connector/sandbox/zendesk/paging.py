"""Cursor pagination of the Zendesk emulator's lists (reference §1.1, §3.4).

``page[size]`` (1–100, default 100) and ``page[after]`` (the cursor of the last item seen). The body is
``{key: [...], "meta": {"has_more", "after_cursor", "before_cursor"}, "links": {"next", "prev"}}``;
``links.next`` is the full URL of the next page while ``has_more`` is true, else null.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request

PAGE_MAX = 100


class BadCursor(ValueError):
    """``page[after]`` names no item of the list."""


def cursor_page(items: list[dict], key: str) -> dict:
    """One page of ``items`` (in the order given); the cursor of an item is its id as text."""
    try:
        size = max(1, min(PAGE_MAX, int(request.args.get("page[size]", PAGE_MAX))))
    except ValueError:
        size = PAGE_MAX
    after = request.args.get("page[after]")
    if after:
        ids = [str(item["id"]) for item in items]
        if after not in ids:
            raise BadCursor(after)
        items = items[ids.index(after) + 1:]
    page, more = items[:size], len(items) > size
    cursor = str(page[-1]["id"]) if page and more else None
    return {key: page, "meta": {"has_more": more, "after_cursor": cursor, "before_cursor": None},
            "links": {"next": _next_url(cursor) if cursor else None, "prev": None}}


def bad_cursor_body() -> dict:
    # Emulator choice (§1.1 documents no code): a client error in the errors envelope of cursor APIs.
    return {"errors": [{"code": "InvalidPaginationParameter", "title": "page[after] is not a valid cursor"}]}


def _next_url(cursor: str) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page[after]"]
    return f"{request.base_url}?{urlencode([*args, ('page[after]', cursor)])}"
