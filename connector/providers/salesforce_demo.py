"""The demo's Salesforce tour: a case is created, its Flow's signed callout enriches it, the card JSON."""
from __future__ import annotations

import json
import time
from typing import Any

import requests

from connector.providers import Echo
from connector.web.verify import callout_signature


def tour(runtime: Any, *, base: str, sandbox: Any, echo: Echo) -> None:
    """A case is created; its record-triggered Flow calls POST /salesforce/events, signed."""
    from connector.demo import wait_for_job

    case = sandbox.world.create_case(2, subject="Refund request")
    body = json.dumps({"event": "case_created", "recordId": case["Id"], "eventId": f"demo-{case['Id']}"}).encode()
    stamp = str(int(time.time()))
    signature = callout_signature(secret=runtime.settings.salesforce_callout_secret, method="POST",
                                  path="/salesforce/events", timestamp=stamp, body=body)
    requests.post(base + "/salesforce/events", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Connector-Timestamp": stamp, "X-Connector-Signature": signature})
    job = wait_for_job(runtime, f"salesforce:Case:{case['Id']}")
    contact = sandbox.world.records["Contact"][case["ContactId"]]
    stored = sandbox.world.records["Case"][case["Id"]]
    echo("")
    echo(f"A Salesforce case is created ({sandbox.url}); its Flow's signed callout reaches the connector…")
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
