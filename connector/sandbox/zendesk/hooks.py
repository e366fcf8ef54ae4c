"""How the Zendesk emulator calls webhooks: placeholders, signature, headers, retries.

Signing follows reference/zendesk.md §1.5: base64(HMAC-SHA256(key = secret as UTF-8 text,
message = timestamp + raw body)). Retries follow §1.6: 409 up to 3 times, 429/503 with a
Retry-After under 60 s honoured, timeouts (10 s) up to 5 times; the invocation id is reused.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

TIMEOUT = 10.0
MAX_RETRIES = {409: 3, 429: 3, 503: 3, "timeout": 5}
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_.0-9]+)\s*\}\}")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def render(template: str, values: dict[str, object]) -> str:
    """Placeholders render as plain text, not JSON-escaped (§1.3); unknown ones render blank."""
    return _PLACEHOLDER.sub(lambda m: "" if values.get(m.group(1)) is None else str(values[m.group(1)]), template)


def timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Invocation:
    invocation_id: str
    webhook_id: str
    body: bytes
    statuses: list = field(default_factory=list)  # each attempt's status code or "timeout"


def deliver(*, endpoint: str, secret: str, webhook_id: str, invocation_id: str, account_id: int, body: bytes,
            auth_header: dict[str, str], session: requests.Session, sleep=time.sleep) -> Invocation:
    """POST one invocation with Zendesk's headers, retrying as Zendesk does."""
    record = Invocation(invocation_id, webhook_id, body)
    attempts: dict[object, int] = {}
    while True:
        ts = timestamp()
        headers = {"Content-Type": "application/json", "User-Agent": "Zendesk Webhook",
                   "x-zendesk-account-id": str(account_id), "x-zendesk-webhook-id": webhook_id,
                   "x-zendesk-webhook-invocation-id": invocation_id,
                   "x-zendesk-webhook-signature-timestamp": ts,
                   "x-zendesk-webhook-signature": sign(secret, ts, body), **auth_header}
        try:
            response = session.post(endpoint, data=body, headers=headers, timeout=TIMEOUT)
            outcome: object = response.status_code
            wait = _retry_wait(response)
        except requests.Timeout:
            outcome, wait = "timeout", 1.0
        except requests.ConnectionError:
            outcome, wait = "refused", None
        record.statuses.append(outcome)
        if outcome not in MAX_RETRIES or wait is None:
            return record
        attempts[outcome] = attempts.get(outcome, 0) + 1
        if attempts[outcome] > MAX_RETRIES[outcome]:
            return record
        sleep(wait)


def _retry_wait(response: requests.Response) -> float | None:
    if response.status_code == 409:
        return 0.5
    if response.status_code in (429, 503):
        try:
            wait = float(response.headers.get("Retry-After", ""))
        except ValueError:
            return None
        return wait if wait < 60 else None
    return None


def event_body(event_type: str, account_id: int, ticket: dict, event_id: str) -> bytes:
    """The fixed envelope of event-subscription webhooks (§1.8); ids are strings in ``detail``."""
    detail = {k: (str(v) if isinstance(v, int) else v) for k, v in ticket.items()
              if k in ("id", "requester_id", "submitter_id", "subject", "status", "tags", "created_at")}
    return json.dumps({"type": event_type, "account_id": account_id, "id": event_id, "time": timestamp(),
                       "zendesk_event_version": "2022-06-20", "subject": f"zen:ticket:{ticket['id']}",
                       "detail": {**detail, "actor_id": str(ticket.get("submitter_id", ""))},
                       "event": {}}).encode()


def auth_header(hook: dict) -> dict[str, str]:
    """The header a webhook's ``authentication`` adds to each delivery (§1.2): basic, bearer or API key."""
    auth = hook.get("authentication") or {}
    data = auth.get("data") or {}
    if auth.get("type") == "basic_auth":
        pair = f"{data.get('username', '')}:{data.get('password', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if auth.get("type") == "bearer_token":
        return {"Authorization": f"Bearer {data.get('token', '')}"}
    if auth.get("type") == "api_key":
        return {data["name"]: data["value"]}
    return {}


HIDDEN_AUTH_DATA = ("password", "token", "value")


def shown(hook: dict) -> dict:
    """A webhook as the API shows it (§1.2): of the credentials, only the basic-auth username (and an
    API key's header name) comes back; a password, token or key value is never shown again."""
    auth = hook.get("authentication")
    if not isinstance(auth, dict) or not isinstance(auth.get("data"), dict):
        return hook
    data = {k: v for k, v in auth["data"].items() if k not in HIDDEN_AUTH_DATA}
    return {**hook, "authentication": {**auth, "data": data}}
