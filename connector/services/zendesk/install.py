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


def trigger_spec(webhook_id: str, category_id: str | None = None) -> dict:
    # Create-only: the connector's own updates never fire it (reference/zendesk.md §1.3 loop guard).
    spec = {"title": TRIGGER_TITLE, "active": True,
            "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
            "actions": [{"field": "notification_webhook", "value": [webhook_id, TRIGGER_BODY]}]}
    if category_id:  # accounts with trigger categories refuse a trigger without one (§1.3)
        spec["category_id"] = str(category_id)
    return spec


def install_zendesk(zendesk: Any, *, endpoint: str, store_secret: Callable[[str], None],
                    dry_run: bool = False) -> InstallReport:
    report = InstallReport()
    hooks = zendesk.list_webhooks()
    report.webhook_id = _ensure(report, "webhook", WEBHOOK_NAME, webhook_spec(endpoint),
                                next((w for w in hooks if w.get("name") == WEBHOOK_NAME), None),
                                zendesk.create_webhook, zendesk.update_webhook, dry_run)
    report.steps.append("store the webhook signing secret")
    if not dry_run:
        store_secret(zendesk.signing_secret(report.webhook_id))
    triggers = zendesk.list_triggers()
    existing = next((t for t in triggers if t.get("title") == TRIGGER_TITLE), None)
    category = _category(zendesk, existing)
    report.trigger_id = _ensure(report, "trigger", TRIGGER_TITLE,
                                trigger_spec(report.webhook_id or "<new webhook>", category), existing,
                                zendesk.create_trigger, zendesk.update_trigger, dry_run)
    return report


def _category(zendesk: Any, existing: dict | None) -> str | None:
    """The trigger's category: where an admin moved it, else the account's first (None: no categories)."""
    if existing and existing.get("category_id"):
        return str(existing["category_id"])
    categories = sorted(zendesk.list_trigger_categories(), key=lambda c: c.get("position") or 0)
    return str(categories[0]["id"]) if categories else None


def _ensure(report: InstallReport, kind: str, label: str, wanted: dict, existing: dict | None,
            create: Callable[[dict], dict], update: Callable[[Any, dict], None], dry_run: bool) -> Any:
    """Create the object, or update it where it differs from ``wanted``; return its id."""
    if existing is None:
        report.steps.append(f"create {kind} {label!r}")
        return None if dry_run else create(wanted)["id"]
    if all(existing.get(k) == v for k, v in wanted.items()):
        report.steps.append(f"{kind} {existing['id']} is up to date")
    else:
        report.steps.append(f"update {kind} {existing['id']}")
        if not dry_run:
            update(existing["id"], wanted)
    return existing["id"]
