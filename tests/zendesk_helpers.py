"""Sign and send Zendesk webhook deliveries as Zendesk does (tests only)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from connector.sandbox.zendesk.hooks import sign

FIXTURES = Path(__file__).parent / "fixtures" / "zendesk"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def stamp(offset_s: float = 0) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_headers(secret: str, body: bytes, *, invocation: str = "8350205582", ts: str | None = None) -> dict:
    ts = ts or stamp()
    return {"Content-Type": "application/json", "X-Zendesk-Webhook-Id": "01F1KRFQ6BG29CNWFR60NK5FNY",
            "X-Zendesk-Webhook-Invocation-Id": invocation, "X-Zendesk-Webhook-Signature-Timestamp": ts,
            "X-Zendesk-Webhook-Signature": sign(secret, ts, body), "x-zendesk-account-id": "123456"}


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
