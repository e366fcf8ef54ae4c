"""``aep-connector demo``: the AEP and Zendesk emulators and the connector on localhost, with seed data.

State (SQLite database and queue) goes to a temporary folder unless CONNECTOR_DATABASE_URL /
CONNECTOR_QUEUE_URL say otherwise, so each demo starts clean.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

import requests

from connector import create_app
from connector.config import load_settings
from connector.errors import ConfigError
from connector.runtime import WEBHOOK_SECRET_KEY, build_runtime
from connector.sandbox import seed
from connector.sandbox.server import ServerThread
from connector.services.install import install_zendesk
from connector.textcard import render
from connector.web.verify import callout_signature

DEMO_TICKET_REQUESTER = 1001  # seed customer 1
DEFAULT_PORT = 8080


def run_demo(*, port: int, echo: Callable[[str], None], serve: bool = True, any_port_if_taken: bool = False) -> int:
    settings = load_settings().replace(sandbox=True)
    state = tempfile.mkdtemp(prefix="aep-connector-demo-")
    if "CONNECTOR_DATABASE_URL" not in os.environ:
        settings = settings.replace(database_url=f"sqlite:///{state}/connector.db")
    if "CONNECTOR_QUEUE_URL" not in os.environ:
        settings = settings.replace(queue_url=f"sqlite:///{state}/queue.db")
    runtime = build_runtime(settings)
    try:
        server = _bind(runtime, port=port, any_port_if_taken=any_port_if_taken, echo=echo)
    except BaseException:
        runtime.close()
        raise
    runtime.warm()
    aep_sandbox, zendesk_sandbox, salesforce_sandbox = runtime.sandboxes
    server.start()
    zendesk_sandbox.world.app_url = server.url + "/zendesk/sidebar"
    runtime.start_workers()
    install_zendesk(runtime.zendesk, endpoint=server.url + "/zendesk/webhooks",
                    store_secret=lambda secret: runtime.store.put_setting(WEBHOOK_SECRET_KEY, secret))
    try:
        _tour(runtime, server.url, aep_sandbox.url, zendesk_sandbox, echo)
        _salesforce_tour(runtime, server.url, salesforce_sandbox, echo)
        if serve:
            echo("Ctrl-C stops.")
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        runtime.close()
    return 0


def _bind(runtime, *, port: int, any_port_if_taken: bool, echo: Callable[[str], None]) -> ServerThread:
    """The connector's server on ``port``; when the default port is taken, on a free one instead."""
    app = create_app(runtime=runtime)
    try:
        return ServerThread(app, port=port, threads=runtime.settings.web_threads)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise ConfigError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
        if not any_port_if_taken:
            raise ConfigError(f"port {port} is already in use: choose another with --port") from None
    server = ServerThread(app, port=0, threads=runtime.settings.web_threads)
    echo(f"Port {port} is already in use; the connector listens on {server.port} instead (--port chooses one).")
    return server


def _tour(runtime, base: str, aep_url: str, zendesk_sandbox, echo: Callable[[str], None]) -> None:
    key = runtime.settings.api_keys[0]
    sample = seed.customer(1)
    echo(f"AEP emulator:      {aep_url}  ({seed.DEFAULT_CUSTOMERS} seeded customers)")
    echo(f"Zendesk emulator:  {zendesk_sandbox.url}  (tickets 1-200, webhook + trigger installed)")
    echo(f"Connector:         {base}")
    echo(f"API key:           {key}")
    echo("")
    echo("Sample customers (any of their identities finds the same profile):")
    for index in (1, 2, 3):
        c = seed.customer(index)
        echo(f"  {c.first} {c.last}: Email={c.email}  CRMID={c.crm_id}  Phone_E.164={c.phone}")
    oversized = seed.customer(seed.DEFAULT_CUSTOMERS - 1)
    echo(f"  oversized identity graph (AEP refuses it): CRMID={oversized.crm_id}")
    echo("")
    echo("Sample lookup (the agent card), by e-mail as a CRM holds it:")
    echo(render(runtime.lookup.by_identity("Email", sample.crm_email).to_dict()))
    echo("")
    echo("A customer opens a Zendesk ticket; the trigger's signed webhook reaches the connector…")
    ticket = zendesk_sandbox.create_ticket(DEMO_TICKET_REQUESTER, subject="Where is my order?")
    job = _wait_for_job(runtime, f"zendesk:ticket:{ticket['id']}")
    stored = zendesk_sandbox.world.tickets[ticket["id"]]
    echo(f"  ticket {ticket['id']} enrichment: {job.status if job else 'still queued'}"
         f"{f' ({job.outcome})' if job and job.outcome else ''}")
    echo(f"  tags: {', '.join(stored['tags'])}")
    echo("  custom fields: " + ", ".join(f"{f['id']}={f['value']}" for f in stored["custom_fields"]))
    for note in zendesk_sandbox.world.notes(ticket["id"]):
        echo("  internal note:\n    " + note["body"].replace("\n", "\n    "))
    echo("")
    echo("Try:")
    echo(f"  Ticket sidebar as an agent sees it: {zendesk_sandbox.url}/__sandbox/agent/tickets/{ticket['id']}")
    echo(f"  curl -H 'X-API-Key: {key}' '{base}/api/v1/profiles?namespace=Email&id={quote(sample.email)}'")
    echo(f"  curl '{base}/readyz'")
    s = runtime.settings
    echo(f"  CONNECTOR_AEP_IMS_URL={aep_url} CONNECTOR_AEP_PLATFORM_URL={aep_url} "
         f"CONNECTOR_AEP_CLIENT_ID={s.aep_client_id} CONNECTOR_AEP_CLIENT_SECRET={s.aep_client_secret} "
         f"CONNECTOR_AEP_ORG_ID={s.aep_org_id} aep-connector lookup --namespace CRMID --id {sample.crm_id}")


def _salesforce_tour(runtime, base: str, salesforce_sandbox, echo: Callable[[str], None]) -> None:
    """A case is created; its record-triggered Flow calls POST /salesforce/events, signed."""
    case = salesforce_sandbox.world.create_case(2, subject="Refund request")
    body = json.dumps({"event": "case_created", "recordId": case["Id"], "eventId": f"demo-{case['Id']}"}).encode()
    stamp = str(int(time.time()))
    signature = callout_signature(secret=runtime.settings.salesforce_callout_secret, method="POST",
                                  path="/salesforce/events", timestamp=stamp, body=body)
    requests.post(base + "/salesforce/events", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Connector-Timestamp": stamp, "X-Connector-Signature": signature})
    job = _wait_for_job(runtime, f"salesforce:Case:{case['Id']}")
    contact = salesforce_sandbox.world.records["Contact"][case["ContactId"]]
    stored = salesforce_sandbox.world.records["Case"][case["Id"]]
    echo("")
    echo(f"A Salesforce case is created ({salesforce_sandbox.url}); its Flow's signed callout reaches the connector…")
    echo(f"  case {case['Id']} enrichment: {job.status if job else 'still queued'}"
         f"{f' ({job.outcome})' if job and job.outcome else ''}")
    echo("  case: " + ", ".join(f"{k}={stored[k]}" for k in sorted(stored) if k.startswith("AEP_")))
    echo("  contact: " + ", ".join(f"{k}={contact[k]}" for k in sorted(contact) if k.startswith("AEP_") and contact[k]))
    path = f"/salesforce/profile?recordId={case['Id']}"
    stamp = str(int(time.time()))
    signature = callout_signature(secret=runtime.settings.salesforce_callout_secret, method="GET", path=path,
                                  timestamp=stamp, body=b"")
    card = requests.get(base + path, timeout=10,
                        headers={"X-Connector-Timestamp": stamp, "X-Connector-Signature": signature}).json()
    summary = {"status": card["status"], "profileId": card["profileId"], "match": card["match"]["matched"],
               "value": next(s["items"] for s in card["sections"] if s["key"] == "value")}
    echo("  the card JSON the Lightning component renders (GET /salesforce/profile, abridged):")
    echo("    " + json.dumps(summary, indent=2).replace("\n", "\n    "))


def _wait_for_job(runtime, key: str, timeout: float = 15.0):
    deadline = time.time() + timeout
    job = None
    while time.time() < deadline:
        job = runtime.store.job(key)
        if job and job.status in ("done", "dead"):
            return job
        time.sleep(0.1)
    return job
