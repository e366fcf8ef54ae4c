"""Zendesk emulator routes for tickets: show (with ``include=users``), update with its audit, create,
bulk update with its job status (§4.3), comments, and tags added by PUT.

Updates are checked against the account's ticket fields (``fields``) and the per-ticket update
limit (``ratelimit``) before they are applied (``tickets.apply_changes``).
"""
from __future__ import annotations

import secrets
import time

import requests
from flask import Flask, jsonify, request

from connector.sandbox.zendesk import ratelimit
from connector.sandbox.zendesk.fields import invalid_custom_fields, record_invalid
from connector.sandbox.zendesk.gate import not_found
from connector.sandbox.zendesk.state import BULK_MAX, INTEGRATION_USER_ID, ZendeskWorld
from connector.sandbox.zendesk.tickets import apply_changes, create_ticket


def register(app: Flask, world: ZendeskWorld, session: requests.Session) -> None:
    """Add the ticket routes; ``session`` delivers the webhooks a created ticket fires."""
    _reads(app, world)
    _writes(app, world, session)
    _bulk(app, world)


def _reads(app: Flask, world: ZendeskWorld) -> None:
    @app.get("/api/v2/tickets/<int:ticket_id>.json")
    def ticket_get(ticket_id: int):
        ticket = world.tickets.get(ticket_id)
        if ticket is None:
            return not_found()
        body: dict = {"ticket": ticket}
        if "users" in request.args.get("include", "").split(","):
            ids = {ticket["requester_id"], ticket["submitter_id"]}
            body["users"] = [world.users[i] for i in ids if i in world.users]
        return jsonify(body)

    @app.get("/api/v2/job_statuses/<job_id>.json")
    def job_status(job_id: str):
        status = world.job_statuses.get(job_id)
        return jsonify(job_status=status) if status else not_found()

    @app.get("/api/v2/tickets/<int:ticket_id>/comments.json")
    def comments(ticket_id: int):
        if ticket_id not in world.tickets:
            return not_found()
        return jsonify(comments=world.comments[ticket_id], next_page=None, previous_page=None,
                       count=len(world.comments[ticket_id]))


def _writes(app: Flask, world: ZendeskWorld, session: requests.Session) -> None:
    @app.put("/api/v2/tickets/<int:ticket_id>.json")
    def ticket_put(ticket_id: int):
        changes = (request.get_json(silent=True) or {}).get("ticket")
        if not isinstance(changes, dict):
            return jsonify(error="InvalidValue", description="ticket is required"), 400
        with world.lock:
            ticket = world.tickets.get(ticket_id)
            if ticket is None:
                return not_found()
            details = invalid_custom_fields(changes.get("custom_fields") or [], world.ticket_fields)
            if details:
                return jsonify(record_invalid(details)), 422
            world.update_log.limit = world.ticket_update_limit
            wait = world.update_log.take(ticket_id)
            if wait is not None:
                return ratelimit.too_many(wait)
            events = apply_changes(world, ticket, changes)
            world.ticket_updates.setdefault(ticket_id, []).append(changes)
        return jsonify(ticket=ticket, audit=_audit(world, ticket, events))

    @app.post("/api/v2/tickets.json")
    def ticket_create():
        body = (request.get_json(silent=True) or {}).get("ticket") or {}
        requester_id = body.get("requester_id")
        if requester_id not in world.users:
            details = {"requester": [{"description": "Requester: is invalid", "error": "InvalidValue"}]}
            return jsonify(error="RecordInvalid", description="Record validation errors", details=details), 422
        ticket = create_ticket(world, session, int(requester_id), actor_id=INTEGRATION_USER_ID,
                               subject=body.get("subject"))
        response = jsonify(ticket=ticket)
        response.status_code = 201
        response.headers["Location"] = f"{request.host_url}api/v2/tickets/{ticket['id']}.json"
        return response

    @app.put("/api/v2/tickets/<int:ticket_id>/tags.json")
    def add_tags(ticket_id: int):
        with world.lock:
            ticket = world.tickets.get(ticket_id)
            if ticket is None:
                return not_found()
            for tag in (request.get_json(silent=True) or {}).get("tags") or []:
                if tag not in ticket["tags"]:
                    ticket["tags"].append(tag)
            return jsonify(tags=ticket["tags"])

    @app.post("/__sandbox/tickets")
    def sandbox_create_ticket():
        body = request.get_json(silent=True) or {}
        ticket = create_ticket(world, session, int(body["requester_id"]), actor_id=int(body["requester_id"]),
                               subject=body.get("subject"))
        return jsonify(ticket=ticket), 201


def _bulk(app: Flask, world: ZendeskWorld) -> None:
    @app.put("/api/v2/tickets/update_many.json")
    def tickets_update_many():
        body = request.get_json(silent=True) or {}
        items = body.get("tickets")
        if request.args.get("ids") and isinstance(body.get("ticket"), dict):  # the same change for every id (§4.3)
            items = [{**body["ticket"], "id": int(i)} for i in request.args["ids"].split(",") if i.strip().isdigit()]
        if not isinstance(items, list):
            return jsonify(error="InvalidValue", description="tickets is required"), 400
        if len(items) > BULK_MAX:
            return jsonify(error="TooManyValues", description=f"Parameter  cannot specify more than {BULK_MAX} values",
                           max_count=BULK_MAX), 400
        with world.lock:
            results = _update_each(world, items)
            job_id = f"V3-{secrets.token_hex(12)}"
            world.job_statuses[job_id] = {"id": job_id, "url": f"{request.host_url}api/v2/job_statuses/{job_id}.json",
                                          "total": len(items), "progress": len(items), "status": "completed",
                                          "message": "Completed at " + time.strftime("%Y-%m-%d %H:%M:%S +0000"),
                                          "results": results}
        queued = {**world.job_statuses[job_id], "status": "queued", "progress": None, "results": None,
                  "message": None}
        return jsonify(job_status=queued)


def _update_each(world: ZendeskWorld, items: list) -> list[dict]:
    """Apply each change of a bulk update (the caller holds the lock); one result per item."""
    results = []
    for index, changes in enumerate(items):
        ticket = world.tickets.get(changes.get("id"))
        if ticket is None:
            results.append({"index": index, "id": changes.get("id"), "error": "TicketNotFound",
                            "status": "Failed"})
            continue
        details = invalid_custom_fields(changes.get("custom_fields") or [], world.ticket_fields)
        if details:
            results.append({"index": index, "id": ticket["id"], "error": "RecordInvalid", "status": "Failed",
                            "details": details["base"][0]["description"]})
            continue
        apply_changes(world, ticket, changes)
        world.ticket_updates.setdefault(ticket["id"], []).append(changes)
        results.append({"index": index, "id": ticket["id"], "action": "updated", "status": "Updated"})
    return results


def _audit(world: ZendeskWorld, ticket: dict, events: list[dict]) -> dict:
    """The audit Zendesk returns with an updated ticket: the change events, made over the API."""
    return {"id": world.new_id(), "ticket_id": ticket["id"], "created_at": ticket["updated_at"],
            "author_id": INTEGRATION_USER_ID, "via": {"channel": "api"},
            "metadata": {"system": {"client": request.headers.get("User-Agent", "")}, "custom": {}},
            "events": events}
