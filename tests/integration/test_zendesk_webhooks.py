"""POST /zendesk/webhooks: authenticity, parsing, dispatch, dedupe and durable enqueue."""
from __future__ import annotations

import json

import pytest

from connector.sandbox.zendesk import INTEGRATION_USER_ID
from tests.zendesk_helpers import fixture_bytes, signed_headers, stamp

SECRET = "webhook-signing-secret"
URL = "/zendesk/webhooks"


@pytest.fixture()
def secret(zsettings, zruntime):
    zruntime.store.put_setting("zendesk.webhook_secret", SECRET)
    return SECRET


def post(client, body: bytes, headers: dict):
    return client.post(URL, data=body, headers=headers)


def nothing_queued(runtime) -> bool:
    return runtime.store.list_jobs() == [] and runtime.queue.pending() == 0


@pytest.mark.parametrize("fixture", ["ticket_created__trigger", "ticket_created__event"])
def test_signed_ticket_created_is_queued_and_acknowledged(zclient, zruntime, secret, fixture):
    body = fixture_bytes(fixture)
    response = post(zclient, body, signed_headers(secret, body))
    assert response.status_code == 202 and response.get_json() == {"status": "queued"}
    job = zruntime.store.job("zendesk:ticket:7")
    assert job.status == "pending" and job.attempts == 0
    assert zruntime.queue.pending() == 1


def test_duplicate_delivery_is_acknowledged_once(zclient, zruntime, secret):
    body = fixture_bytes("ticket_created__trigger")
    first = post(zclient, body, signed_headers(secret, body, invocation="42"))
    again = post(zclient, body, signed_headers(secret, body, invocation="42"))
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.get_json() == {"status": "duplicate"}
    assert zruntime.queue.pending() == 1


def test_a_replay_with_new_unsigned_headers_is_a_duplicate(zclient, zruntime, secret):
    """The invocation id is not signed: a captured delivery replayed with a new one is still caught."""
    body = fixture_bytes("ticket_created__trigger")
    captured = signed_headers(secret, body, invocation="42")
    assert post(zclient, body, captured).status_code == 202
    replayed = post(zclient, body, {**captured, "X-Zendesk-Webhook-Invocation-Id": "43",
                                    "X-Zendesk-Webhook-Id": "01OTHERWEBHOOK00000000000"})
    assert replayed.status_code == 200 and replayed.get_json() == {"status": "duplicate"}
    assert zruntime.queue.pending() == 1


def test_a_retry_signed_anew_keeps_its_invocation_id_and_is_a_duplicate(zclient, zruntime, secret):
    body = fixture_bytes("ticket_created__trigger")
    assert post(zclient, body, signed_headers(secret, body, invocation="42", ts=stamp(-5))).status_code == 202
    again = post(zclient, body, signed_headers(secret, body, invocation="42", ts=stamp()))
    assert again.status_code == 200 and zruntime.queue.pending() == 1


def test_a_long_invocation_id_is_kept_by_its_digest(zclient, zruntime, secret):
    body = fixture_bytes("ticket_created__trigger")
    long_id = "9" * 5000
    assert post(zclient, body, signed_headers(secret, body, invocation=long_id, ts=stamp(-5))).status_code == 202
    again = post(zclient, body, signed_headers(secret, body, invocation=long_id, ts=stamp()))
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}


def _forged(body, headers):
    return body, {**headers, "X-Zendesk-Webhook-Signature": "AAAA" + headers["X-Zendesk-Webhook-Signature"][4:]}


def _tampered(body, headers):
    return body.replace(b'"7"', b'"8"'), headers


def _replayed(body, _headers):
    ts = stamp(-600)
    return body, signed_headers(SECRET, body, ts=ts)


def _from_the_future(body, _headers):
    return body, signed_headers(SECRET, body, ts=stamp(+600))


def _wrong_secret(body, _headers):
    return body, signed_headers("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", body)


def _no_signature(body, headers):
    return body, {k: v for k, v in headers.items() if k != "X-Zendesk-Webhook-Signature"}


def _no_timestamp(body, headers):
    return body, {k: v for k, v in headers.items() if k != "X-Zendesk-Webhook-Signature-Timestamp"}


def _body_then_timestamp(body, headers):
    """The order of an outdated doc page (body + timestamp) must not verify."""
    import base64
    import hashlib
    import hmac

    ts = headers["X-Zendesk-Webhook-Signature-Timestamp"]
    mac = hmac.new(SECRET.encode(), body + ts.encode(), hashlib.sha256).digest()
    return body, {**headers, "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode()}


@pytest.mark.parametrize("attack", [_forged, _tampered, _replayed, _from_the_future, _wrong_secret, _no_signature,
                                    _no_timestamp, _body_then_timestamp], ids=lambda f: f.__name__.strip("_"))
def test_unauthentic_deliveries_are_refused_and_nothing_is_queued(zclient, zruntime, secret, attack):
    body = fixture_bytes("ticket_created__trigger")
    sent_body, headers = attack(body, signed_headers(secret, body))
    response = post(zclient, sent_body, headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"
    assert nothing_queued(zruntime)


@pytest.mark.parametrize("body, status, code", [
    (b"", 400, "empty_body"),
    (b'{"ticket_id": "7", "email": "jane "doe"@example.com"}', 400, "invalid_json"),
    (b'{"requester_id": "1007"}', 422, "invalid_payload"),
    (b'{"ticket_id": "seven"}', 422, "invalid_payload"),
    (b'["not", "an", "object"]', 422, "invalid_payload"),
    (b'{"type": "zen:event-type:user.merged", "id": "e1", "detail": {"id": "5"}}', 422, "unsupported_event"),
])
def test_malformed_bodies_are_refused_and_nothing_is_queued(zclient, zruntime, secret, body, status, code):
    response = post(zclient, body, signed_headers(secret, body))
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert nothing_queued(zruntime)


def test_oversized_body_is_413(zclient, zruntime, secret):
    body = json.dumps({"ticket_id": "7", "pad": "x" * 70_000}).encode()
    response = post(zclient, body, signed_headers(secret, body))
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"
    assert nothing_queued(zruntime)


def test_ignored_events_are_204(zclient, zruntime, secret):
    body = fixture_bytes("ticket_comment_added__event")
    assert post(zclient, body, signed_headers(secret, body)).status_code == 204
    assert nothing_queued(zruntime)


def test_updates_caused_by_the_connector_are_ignored(zclient, zruntime, secret):
    body = fixture_bytes("ticket_created__own_update")
    assert json.loads(body)["actor_id"] == str(INTEGRATION_USER_ID)
    assert post(zclient, body, signed_headers(secret, body)).status_code == 204
    assert nothing_queued(zruntime)


def test_without_a_secret_the_endpoint_refuses_with_500(zclient, zruntime):
    body = fixture_bytes("ticket_created__trigger")
    response = post(zclient, body, signed_headers("anything", body))
    assert response.status_code == 500 and response.get_json()["error"] == "not_configured"
    assert nothing_queued(zruntime)


def test_an_id_beyond_zendesks_is_refused_and_queues_nothing(zclient, zruntime, secret):
    """A signed delivery naming a ticket id no Zendesk has (70 digits, zero, negative): a 4xx, no job."""
    for ticket_id in ("1" * 70, "0", "-5"):
        body = json.dumps({"event": "ticket_created", "ticket_id": ticket_id, "requester_id": "1007",
                           "actor_id": "1007"}).encode()
        response = post(zclient, body, signed_headers(secret, body, invocation=f"big-{ticket_id}"))
        assert 400 <= response.status_code < 500 and response.get_json()["error"], ticket_id
    assert nothing_queued(zruntime)


def test_the_app_starts_without_waiting_for_zendesk(settings):
    """Our own user id is read in the background: a Zendesk that accepts connections and never answers
    does not hold up the app (nor a gunicorn worker's boot)."""
    import socket

    from connector import create_app
    from connector.runtime import build_runtime

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the backlog; nothing ever answers them
    runtime = build_runtime(settings.replace(zendesk_url=f"http://127.0.0.1:{silent.getsockname()[1]}",
                                             zendesk_email="a@example.com", zendesk_api_token="t"))
    try:
        create_app(runtime=runtime)
        service = runtime.provider("zendesk")
        assert not service._first_try.is_set() and service._own_id is None  # still waiting, in the background
    finally:
        runtime.close()
        silent.close()
