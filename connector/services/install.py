"""`aep-connector zendesk install`: create or update the webhook and trigger, store the secret.

Idempotent: the webhook and trigger are found by name/title and updated in place; running it
twice changes nothing the second time. ``dry_run`` reports the plan without calling writes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connector.schemas.zendesk import TRIGGER_BODY

WEBHOOK_NAME = "AEP profile enrichment"
TRIGGER_TITLE = "AEP: enrich new tickets"


@dataclass
class InstallReport:
    steps: list[str] = field(default_factory=list)
    webhook_id: str | None = None
    trigger_id: int | None = None


def webhook_spec(endpoint: str) -> dict:
    return {"name": WEBHOOK_NAME, "endpoint": endpoint, "http_method": "POST", "request_format": "json",
            "status": "active", "subscriptions": ["conditional_ticket_events"],
            "description": "Ticket created → AEP profile lookup and write-back (aep-crm-connector)"}


def trigger_spec(webhook_id: str) -> dict:
    # Create-only: the connector's own updates never fire it (reference/zendesk.md §1.3 loop guard).
    return {"title": TRIGGER_TITLE, "active": True,
            "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
            "actions": [{"field": "notification_webhook", "value": [webhook_id, TRIGGER_BODY]}]}


def install_zendesk(zendesk: Any, *, endpoint: str, store_secret: Callable[[str], None],
                    dry_run: bool = False) -> InstallReport:
    report = InstallReport()
    wanted = webhook_spec(endpoint)
    existing = next((w for w in zendesk.list_webhooks() if w.get("name") == WEBHOOK_NAME), None)
    if existing is None:
        report.steps.append(f"create webhook {WEBHOOK_NAME!r} → {endpoint}")
        report.webhook_id = None if dry_run else zendesk.create_webhook(wanted)["id"]
    else:
        report.webhook_id = existing["id"]
        if any(existing.get(k) != v for k, v in wanted.items()):
            report.steps.append(f"update webhook {existing['id']} → {endpoint}")
            if not dry_run:
                zendesk.update_webhook(existing["id"], wanted)
        else:
            report.steps.append(f"webhook {existing['id']} is up to date")
    report.steps.append("store the webhook signing secret")
    if not dry_run:
        store_secret(zendesk.signing_secret(report.webhook_id))
    trigger = trigger_spec(report.webhook_id or "<new webhook id>")
    current = next((t for t in zendesk.list_triggers() if t.get("title") == TRIGGER_TITLE), None)
    if current is None:
        report.steps.append(f"create trigger {TRIGGER_TITLE!r} (ticket created → webhook)")
        report.trigger_id = None if dry_run else zendesk.create_trigger(trigger)["id"]
    else:
        report.trigger_id = current["id"]
        same = all(current.get(k) == v for k, v in trigger.items())
        report.steps.append(f"trigger {current['id']} is up to date" if same else f"update trigger {current['id']}")
        if not same and not dry_run:
            zendesk.update_trigger(current["id"], trigger)
    return report
