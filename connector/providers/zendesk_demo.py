"""The demo's Zendesk tour: the webhook and trigger installed, a ticket created, its enrichment shown."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connector.providers import Echo
from connector.sandbox import seed
from connector.services.zendesk import ZendeskService

DEMO_TICKET_REQUESTER = 1001  # seed customer 1


def tour(service: ZendeskService, *, runtime: Any, base: str, sandbox: Any, echo: Echo) -> None:
    from connector.demo import wait_for_job

    sandbox.world.app_url = base + "/zendesk/sidebar"
    service.install(endpoint=base + "/zendesk/webhooks")
    key = runtime.settings.api_keys[0]
    sample = seed.customer(1)
    echo(f"Zendesk emulator:  {sandbox.url}  (tickets 1-200, webhook + trigger installed)")
    echo("")
    echo("A customer opens a Zendesk ticket; the trigger's signed webhook reaches the connector…")
    ticket = sandbox.create_ticket(DEMO_TICKET_REQUESTER, subject="Where is my order?")
    job = wait_for_job(runtime, f"zendesk:ticket:{ticket['id']}")
    stored = sandbox.world.tickets[ticket["id"]]
    echo(f"  ticket {ticket['id']} enrichment: {job.status if job else 'still queued'}"
         f"{f' ({job.outcome})' if job and job.outcome else ''}")
    echo(f"  tags: {', '.join(stored['tags'])}")
    echo("  custom fields: " + ", ".join(f"{f['id']}={f['value']}" for f in stored["custom_fields"]))
    for note in sandbox.world.notes(ticket["id"]):
        echo("  internal note:\n    " + note["body"].replace("\n", "\n    "))
    echo("")
    echo("Try:")
    echo(f"  Ticket sidebar as an agent sees it: {sandbox.url}/__sandbox/agent/tickets/{ticket['id']}")
    echo(f"  curl -H 'X-API-Key: {key}' '{base}/api/v1/profiles?namespace=Email&id={quote(sample.email)}'")
