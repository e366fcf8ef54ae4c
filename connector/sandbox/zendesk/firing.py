"""What the Zendesk emulator fires when a ticket is created: each active trigger on ``update_type``
Create with a ``notification_webhook`` action, and each webhook subscribed to
``zen:event-type:ticket.created`` (§1.3, §1.8), delivered by ``hooks.deliver``.
"""
from __future__ import annotations

import secrets
import threading

import requests

from connector.sandbox.zendesk.hooks import auth_header, deliver, event_body, render
from connector.sandbox.zendesk.state import ACCOUNT_ID, ZendeskWorld


def fire(world: ZendeskWorld, session: requests.Session, ticket: dict, *, actor_id: int) -> None:
    """Deliver to each webhook what the new ``ticket`` fires, as ``actor_id`` created it."""
    requester = world.users.get(ticket["requester_id"]) or {}
    values = {"ticket.id": ticket["id"], "ticket.title": ticket["subject"], "ticket.requester.id": requester.get("id"),
              "ticket.requester.email": requester.get("email"), "ticket.requester.phone": requester.get("phone"),
              "ticket.requester.external_id": requester.get("external_id"),
              "ticket.requester.name": requester.get("name"), "current_user.id": actor_id}
    jobs = []
    for trigger in list(world.triggers.values()):
        conditions = (trigger.get("conditions") or {}).get("all") or []
        if not trigger.get("active", True) or not any(
                c.get("field") == "update_type" and c.get("value") == "Create" for c in conditions):
            continue
        for action in trigger.get("actions") or []:
            if action.get("field") == "notification_webhook":
                webhook_id, template = action["value"][0], action["value"][1]
                jobs.append((webhook_id, render(template, values).encode()))
    for hook in list(world.webhooks.values()):
        if "zen:event-type:ticket.created" in (hook.get("subscriptions") or []):
            event_id = secrets.token_hex(16)
            jobs.append((hook["id"], event_body("zen:event-type:ticket.created", ACCOUNT_ID, ticket, event_id)))
    for webhook_id, body in jobs:
        target = world.webhooks.get(webhook_id)
        if target and target.get("status") == "active":
            _send(world, session, target, body)


def _send(world: ZendeskWorld, session: requests.Session, hook: dict, body: bytes) -> None:
    header = auth_header(hook)
    header.update(hook.get("custom_headers") or {})

    def run() -> None:
        invocation = deliver(endpoint=hook["endpoint"], secret=world.secrets[hook["id"]], webhook_id=hook["id"],
                             invocation_id=str(world.new_id()), account_id=ACCOUNT_ID, body=body,
                             auth_header=header, session=session)
        with world.lock:
            world.invocations.append(invocation)

    if world.sync_delivery:
        run()
    else:
        threading.Thread(target=run, name="zendesk-webhook", daemon=True).start()

