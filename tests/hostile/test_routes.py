"""Every route of the OpenAPI document, driven by schemathesis against the WSGI app (no network beyond the
loopback emulators): valid-looking and malformed requests alike must never get a 5xx, hang, queue a job or
echo an identity into a response header or a log line."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core import NotSet

from connector import create_app
from connector.runtime import build_runtime
from connector.sandbox.zendesk.hooks import sign
from connector.web.openapi import build_document
from connector.web.verify import callout_signature
from tests.hostile.conftest import (
    CALLOUT_SECRET,
    CASES,
    EXAMPLES,
    KNOWN_IDENTITIES,
    LOOKUP_KEY,
    OPERATOR_TOKEN,
    WEBHOOK_SECRET,
    leaked,
    time_limit,
)

MIN_GENERATED_IDENTITY = 12  # shorter generated values may occur in a header or log line by chance
# Headers whose values the route fixes, whatever it is sent: a generated string such as "application/"
# (hypothesis draws string constants from the loaded modules) matches them by chance, never by echo.
FIXED_HEADERS = frozenset({"x-request-id", "content-type", "content-length", "cache-control"})


@pytest.fixture()
def hostile_runtime(settings, zd, sf):
    rt = build_runtime(settings.replace(
        **zd.settings_overrides(), **sf.settings_overrides(), session_secret="hostile-session-secret-0123456789",
        zendesk_webhook_secret=WEBHOOK_SECRET, salesforce_callout_secret=CALLOUT_SECRET,
        metrics_token=OPERATOR_TOKEN, api_keys=(f"{LOOKUP_KEY}:lookup",), worker_threads=0))
    yield rt
    rt.close()


@pytest.fixture()
def hostile_app(hostile_runtime):
    return create_app(runtime=hostile_runtime)


# The document the app serves at /api/v1/openapi.json (test_openapi checks that it describes every route).
# Loaded from the same builder rather than through the lazy fixture loader (schemathesis' from_fixture does
# not run under pytest 9); each case is sent to the fixture's WSGI app with case.call(app=…).
schema = schemathesis.openapi.from_dict(build_document())
schema.config.generation.update(modes=["positive", "negative"], max_examples=EXAMPLES)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return [str(value)] if isinstance(value, int | float) and not isinstance(value, bool) else []


def _generated_values(case) -> list[str]:
    """What the case sent that could be an identity: every query value and body string long enough to tell."""
    sent = _strings(dict(case.query or {})) + _strings(None if isinstance(case.body, NotSet) else case.body)
    return [v for v in sent if len(v.strip()) >= MIN_GENERATED_IDENTITY]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_route_fails_hangs_queues_or_leaks_on_hostile_input(case, hostile_app, hostile_runtime, log_tap):
    headers = {"X-API-Key": LOOKUP_KEY} if case.path == "/api/v1/profiles" else None  # reach the parsers too
    with time_limit():
        response = case.call(headers=headers, app=hostile_app)
    CASES["schemathesis"] += 1
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    counts, _ = hostile_runtime.store.job_counts()
    assert counts == {}, f"{case.method} {case.path} queued a job without a valid signature or session"
    generated = _generated_values(case)
    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "x-request-id")
    echoable = "\n".join(f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in FIXED_HEADERS)
    assert not leaked(head, KNOWN_IDENTITIES) and not leaked(echoable, generated), "an identity in a response header"
    assert not leaked(log_tap.text(), [*KNOWN_IDENTITIES, *generated]), "an identity in a log line"


def _raw(body: object) -> bytes:
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else json.dumps(body).encode()


SIGNED = {("POST", "/zendesk/webhooks"), ("POST", "/salesforce/events"), ("GET", "/salesforce/profile"),
          ("POST", "/zendesk/sidebar/card"), ("POST", "/zendesk/sidebar/enrich"), ("GET", "/api/v1/profiles")}


def _credentials(case, raw: bytes, runtime) -> dict:
    """What a legitimate sender adds: the signature over these very bytes, or a session, or a key."""
    if case.path == "/zendesk/webhooks":
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"X-Zendesk-Webhook-Signature-Timestamp": stamp,
                "X-Zendesk-Webhook-Signature": sign(WEBHOOK_SECRET, stamp, raw)}
    if case.path.startswith("/salesforce/"):
        stamp = str(int(time.time()))
        query = urlencode(case.query or {}, doseq=True)
        target = case.path + (f"?{query}" if query else "")
        return {"X-Connector-Timestamp": stamp, "X-Connector-Signature": callout_signature(
            secret=CALLOUT_SECRET, method=case.method, path=target, timestamp=stamp, body=raw)}
    if case.path.startswith("/zendesk/sidebar/"):
        session = runtime.sessions().dumps(
        {"sid": "hostile-session-0001", "sub": 5, "agent": 5, "inst": "1", "loc": "ticket_sidebar"})
        return {"Authorization": f"Bearer {session}"}
    return {"X-API-Key": LOOKUP_KEY}


@schema.include(method_regex="^(GET|POST)$").parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_an_authenticated_sender_with_a_hostile_payload_gets_a_4xx_and_queues_nothing(case, hostile_app,
                                                                                       hostile_runtime, log_tap):
    """Past the signature check: the payload parsers meet generated (and malformed) bodies and queries."""
    if (case.method, case.path) not in SIGNED:
        return
    raw = _raw(case.body)
    headers = {k: str(v) for k, v in (case.headers or {}).items()}
    headers.update(_credentials(case, raw, hostile_runtime), **{"Content-Type": "application/json"})
    before, _ = hostile_runtime.store.job_counts()
    with time_limit():
        response = hostile_app.test_client().open(case.path, method=case.method, query_string=case.query or {},
                                                  headers=headers, data=raw)
    CASES["schemathesis, authenticated"] += 1
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    after, _ = hostile_runtime.store.job_counts()
    if response.status_code >= 300:
        assert after == before, f"a refused {case.method} {case.path} queued a job"
    generated = _generated_values(case)
    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "x-request-id")
    echoable = "\n".join(f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in FIXED_HEADERS)
    assert not leaked(head, KNOWN_IDENTITIES) and not leaked(echoable, generated), "an identity in a response header"
    assert not leaked(log_tap.text(), [*KNOWN_IDENTITIES, *generated]), "an identity in a log line"


def test_the_log_tap_sees_what_the_connector_logs(hostile_app, log_tap):
    """The identity checks above would prove nothing if no line reached the tap."""
    hostile_app.test_client().get("/api/v1/profiles", query_string={"namespace": "CRMID", "id": "CRM000001"},
                                  headers={"X-API-Key": LOOKUP_KEY})
    assert '"event": "web.error"' not in log_tap.text()
    hostile_app.test_client().get("/api/v1/profiles", query_string={"namespace": "Nope", "id": "x"},
                                  headers={"X-API-Key": LOOKUP_KEY})
    assert '"event": "web.error"' in log_tap.text()
