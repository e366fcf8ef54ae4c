"""How the Zendesk emulator changes tickets: an update applied as Zendesk applies it, and a new
ticket with what it fires (triggers and event subscriptions, in ``firing``).
"""
from __future__ import annotations

import time

import requests

from connector.sandbox.zendesk.firing import fire
from connector.sandbox.zendesk.state import INTEGRATION_USER_ID, ZendeskWorld


def apply_changes(world: ZendeskWorld, ticket: dict, changes: dict) -> list[dict]:
    """Apply an update as Zendesk does: comment appended, custom fields merged by id, tags (§8)."""
    events = []
    comment = changes.get("comment")
    if isinstance(comment, dict) and (comment.get("body") or comment.get("html_body")):
        entry = {"id": world.new_id(), "body": comment.get("body") or comment.get("html_body"),
                 "public": bool(comment.get("public", True)), "author_id": INTEGRATION_USER_ID}
        world.comments[ticket["id"]].append(entry)
        events.append({"id": entry["id"], "type": "Comment", "public": entry["public"], "body": entry["body"]})
    by_id = {f["id"]: f for f in ticket["custom_fields"]}
    for defined in world.ticket_fields:  # a field added after the ticket was created
        if defined["id"] not in by_id:
            by_id[defined["id"]] = {"id": defined["id"], "value": None}
            ticket["custom_fields"].append(by_id[defined["id"]])
    for item in changes.get("custom_fields") or []:
        if item.get("id") in by_id:
            previous = by_id[item["id"]]["value"]
            by_id[item["id"]]["value"] = item.get("value")
            events.append({"id": world.new_id(), "type": "Change", "field_name": str(item["id"]),
                           "value": item.get("value"), "previous_value": previous})
    if "tags" in changes:
        ticket["tags"] = list(dict.fromkeys(changes["tags"]))
    for tag in changes.get("additional_tags") or []:
        if tag not in ticket["tags"]:
            ticket["tags"].append(tag)
    for tag in changes.get("remove_tags") or []:
        if tag in ticket["tags"]:
            ticket["tags"].remove(tag)
    for key in ("status", "subject", "priority"):
        if key in changes:
            ticket[key] = changes[key]
    ticket["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return events


def create_ticket(world: ZendeskWorld, session: requests.Session, requester_id: int, *, actor_id: int,
                  subject: str | None = None) -> dict:
    """Create a ticket and fire what Zendesk would fire for it (triggers and event subscriptions)."""
    with world.lock:
        ticket_id = max(world.tickets) + 1
        ticket = world._add_ticket(ticket_id, requester_id, actor_id, subject)
    fire(world, session, ticket, actor_id=actor_id)
    return ticket

