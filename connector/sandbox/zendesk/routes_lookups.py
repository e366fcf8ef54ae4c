"""Zendesk emulator routes for finding people and handling tags, as zenpy calls them.

reference/zendesk.md §3.3 (the requests zenpy sends), §3.4 (response shapes: ``users/search``
answers with ``users``, ``/search`` with ``results`` + ``result_type``), §4.3 (``show_many``,
at most 100 values), §6 (identities) and §8 (tags, trigger categories).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from connector.sandbox.zendesk.gate import not_found
from connector.sandbox.zendesk.paging import BadCursor, bad_cursor_body, cursor_page

BULK_MAX = 100
SEARCHABLE = ("email", "phone", "external_id", "name", "id")


def register(app: Flask, world: Any) -> None:
    """Add the routes to the emulator's app; ``world`` is its ZendeskWorld."""

    @app.get("/api/v2/users/search.json")
    def users_search():
        external_id = request.args.get("external_id")
        if external_id is not None:
            return _listing("users", [u for u in world.users.values() if u.get("external_id") == external_id])
        return _listing("users", [u for u in world.users.values() if _matches(u, request.args.get("query", ""))])

    @app.get("/api/v2/search.json")
    def search():
        query = request.args.get("query", "")
        wanted = request.args.get("filter[type]") or _type_of(query)
        users = [u for u in world.users.values() if _matches(u, query)] if wanted in (None, "user") else []
        return jsonify(results=[{**u, "result_type": "user"} for u in users], facets=None, next_page=None,
                       previous_page=None, count=len(users))

    @app.get("/api/v2/users/show_many.json")
    def users_show_many():
        ids, external_ids = request.args.get("ids"), request.args.get("external_ids")
        values = [v for v in (ids or external_ids or "").split(",") if v]
        if len(values) > BULK_MAX:
            return jsonify(error="TooManyValues", description=f"Parameter  cannot specify more than {BULK_MAX} values",
                           max_count=BULK_MAX), 400
        if ids is not None:
            found = [world.users[int(v)] for v in values if v.isdigit() and int(v) in world.users]
        else:
            by_external = {u.get("external_id"): u for u in world.users.values() if u.get("external_id")}
            found = [by_external[v] for v in values if v in by_external]
        return _listing("users", found)

    @app.get("/api/v2/users/<int:user_id>/identities.json")
    def identities(user_id: int):
        user = world.users.get(user_id)
        return _listing("identities", user_identities(user)) if user else not_found()

    @app.route("/api/v2/tickets/<int:ticket_id>/tags.json", methods=["GET", "POST", "DELETE"])
    def ticket_tags(ticket_id: int):
        with world.lock:
            ticket = world.tickets.get(ticket_id)
            if ticket is None:
                return not_found()
            tags = [t for t in (request.get_json(silent=True) or {}).get("tags") or [] if isinstance(t, str)]
            if request.method == "POST":  # set: replace every tag
                ticket["tags"] = list(dict.fromkeys(tags))
            elif request.method == "DELETE":
                ticket["tags"] = [t for t in ticket["tags"] if t not in tags]
                return Response(status=204)
            return jsonify(tags=ticket["tags"])

    @app.get("/api/v2/trigger_categories")
    @app.get("/api/v2/trigger_categories.json")
    def trigger_categories():
        try:
            return jsonify(cursor_page(list(world.trigger_categories.values()), "trigger_categories"))
        except BadCursor:
            return jsonify(bad_cursor_body()), 400


def _listing(key: str, items: list) -> Response:
    """An offset-paginated list body with no further page (§3.4)."""
    return jsonify({key: items, "next_page": None, "previous_page": None, "count": len(items)})


def user_identities(user: dict) -> list[dict]:
    """The identities Zendesk keeps for a user: the primary e-mail and phone number (§6)."""
    found = []
    for offset, (kind, key) in enumerate((("email", "email"), ("phone_number", "phone"))):
        if user.get(key):
            found.append({"id": user["id"] * 10 + offset, "user_id": user["id"], "type": kind, "value": user[key],
                          "verified": bool(user.get("verified")), "primary": True,
                          "created_at": "2026-11-20T12:00:00Z", "updated_at": "2026-11-20T12:00:00Z"})
    return found


def _type_of(query: str) -> str | None:
    for term in query.split():
        if term.lower().startswith("type:"):
            return term.split(":", 1)[1].lower()
    return None


def _matches(user: dict, query: str) -> bool:
    """Zendesk search terms: ``field:value`` matches that field, a bare term any of them (case-blind)."""
    terms = [t for t in query.split() if not t.lower().startswith("type:")]
    if not terms:
        return False
    for term in terms:
        field, _, value = term.partition(":") if ":" in term and term.split(":", 1)[0] in SEARCHABLE \
            else ("", "", term)
        fields = (field,) if field else SEARCHABLE
        if not any(str(user.get(f) or "").lower() == value.lower() for f in fields):
            return False
    return True
