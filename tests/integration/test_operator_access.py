"""Who may call what: API-key scopes, the operator token of /metrics and /readyz, body caps on what was read."""
from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from connector import create_app
from connector.config import api_key_scopes
from connector.runtime import build_runtime
from connector.sandbox import seed
from connector.web.verify import callout_signature
from tests.conftest import CALLOUT_SECRET
from tests.zendesk_helpers import fixture_bytes, signed_headers

CUSTOMER = seed.customer(1)
LOOKUP = {"namespace": "CRMID", "id": CUSTOMER.crm_id}


@pytest.mark.parametrize("entries, expected", [
    (("k1",), [("k1", {"lookup", "write"})]),  # a key without a scope keeps what it meant: everything
    (("k1:write", "k2:lookup"), [("k1", {"write"}), ("k2", {"lookup"})]),
    (("k1:lookup+write",), [("k1", {"lookup", "write"})]),
    (("a:b:write",), [("a:b", {"write"})]),
    (("odd:suffix",), [("odd:suffix", {"lookup", "write"})]),  # not a scope: part of the key
])
def test_api_key_scopes_are_parsed(entries, expected):
    assert [(k, set(s)) for k, s in api_key_scopes(entries)] == expected


@pytest.fixture()
def scoped(zsettings):
    rt = build_runtime(zsettings.replace(api_keys=("zendesk-app-key:write", "crm-key:lookup", "old-key")))
    yield rt, create_app(runtime=rt).test_client()
    rt.close()


def test_a_write_key_cannot_read_profiles(scoped):
    rt, client = scoped
    response = client.get("/api/v1/profiles", query_string=LOOKUP, headers={"X-API-Key": "zendesk-app-key"})
    assert response.status_code == 403 and response.get_json()["error"] == "insufficient_scope"
    assert CUSTOMER.email not in response.get_data(as_text=True)


def test_a_lookup_key_reads_profiles_but_cannot_queue_writes(scoped):
    rt, client = scoped
    assert client.get("/api/v1/profiles", query_string=LOOKUP, headers={"X-API-Key": "crm-key"}).status_code == 200
    response = client.post("/zendesk/sidebar/enrich", json={"ticket_id": 4}, headers={"X-API-Key": "crm-key"})
    assert response.status_code == 403 and rt.store.job("zendesk:ticket:4") is None


def test_a_write_key_queues_a_write_and_an_unscoped_key_does_both(scoped):
    rt, client = scoped
    response = client.post("/zendesk/sidebar/enrich", json={"ticket_id": 4}, headers={"X-API-Key": "zendesk-app-key"})
    assert response.status_code == 202 and rt.store.job("zendesk:ticket:4") is not None
    assert client.get("/api/v1/profiles", query_string=LOOKUP, headers={"X-API-Key": "old-key"}).status_code == 200
    assert client.post("/zendesk/sidebar/enrich", json={"ticket_id": 5},
                       headers={"X-API-Key": "old-key"}).status_code == 202


@pytest.fixture()
def guarded(settings):
    rt = build_runtime(settings.replace(metrics_token="operator-token-0123456789"))
    yield create_app(runtime=rt).test_client()
    rt.close()


def test_metrics_need_the_operator_token_when_one_is_set(guarded):
    assert guarded.get("/metrics").status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    good = guarded.get("/metrics", headers={"Authorization": "Bearer operator-token-0123456789"})
    assert good.status_code == 200 and b"connector_queue_depth" in good.data


def test_readiness_detail_needs_the_operator_token_the_status_does_not(guarded):
    probe = guarded.get("/readyz")
    assert probe.status_code == 200 and probe.get_json() == {"status": "ready"}
    detail = guarded.get("/readyz", headers={"Authorization": "Bearer operator-token-0123456789"})
    assert detail.get_json()["checks"]["database"] == "ok"


def _chunked(client, path, body: bytes, headers: dict):
    """A body without Content-Length, as a chunked request reaches the app from waitress or gunicorn."""
    response = client.post(path, input_stream=io.BytesIO(body), headers={**headers, "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.request.content_length is None  # what the handler saw: no length to go by
    return response


def test_a_chunked_webhook_body_over_the_cap_is_refused(zclient, zruntime):
    zruntime.store.put_setting("zendesk.webhook_secret", "s")
    event = json.loads(fixture_bytes("ticket_created__trigger"))
    body = json.dumps(event).encode() + b" " * (70 * 1024)  # valid JSON, signed, above the 64 KiB cap
    headers = {k: v for k, v in signed_headers("s", body).items()}
    response = _chunked(zclient, "/zendesk/webhooks", body, headers)
    assert response.status_code == 413
    assert zruntime.store.job_counts()[0] == {}


def test_a_chunked_callout_body_over_the_cap_is_refused(sfclient, sfruntime):
    body = json.dumps({"event": "case_created", "objectType": "Case", "recordId": "500000000000001AAA"}).encode()
    body += b" " * (70 * 1024)
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Connector-Timestamp": stamp,
               "X-Connector-Signature": callout_signature(secret=CALLOUT_SECRET, method="POST",
                                                          path="/salesforce/events", timestamp=stamp, body=body)}
    response = _chunked(sfclient, "/salesforce/events", body, headers)
    assert response.status_code == 413
    assert sfruntime.store.job_counts()[0] == {}


def test_serve_refuses_a_body_over_the_server_limit_before_the_app(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env.update({"CONNECTOR_SANDBOX": "1", "CONNECTOR_DATABASE_URL": f"sqlite:///{tmp_path}/c.db",
                "CONNECTOR_QUEUE_URL": f"sqlite:///{tmp_path}/q.db", "CONNECTOR_WORKER_THREADS": "0"})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "connector.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening" in proc.stderr.readline() + proc.stderr.readline() + proc.stderr.readline()
        chunk = b"x" * 65536
        with _connect(port) as conn:
            conn.sendall(b"POST /zendesk/webhooks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            try:
                for _ in range(40):  # 2.5 MiB, chunked: no Content-Length to refuse up front
                    conn.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                conn.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the server may close while we are still sending
            answer = conn.recv(4096)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"application/json" not in answer  # waitress's own refusal: the app never saw the request


def _connect(port: int) -> socket.socket:
    deadline = time.monotonic() + 30
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
