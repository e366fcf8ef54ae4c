"""POST /zendesk/sidebar: the signed-URL JWT, the session it hands out, the card fragment."""
from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from connector.sandbox import seed


def open_sidebar(zclient, token, query="?origin=https%3A%2F%2Facme.zendesk.com&app_guid=abc"):
    return zclient.post(f"/zendesk/sidebar{query}", data={"token": token})


def session_of(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('data-session="', 1)[1].split('"', 1)[0]


def card(zclient, session, **body):
    return zclient.post("/zendesk/sidebar/card", json=body, headers={"Authorization": f"Bearer {session}"})


def test_signed_load_serves_the_page_with_a_session(zclient, zd):
    response = open_sidebar(zclient, zd.sidebar_token())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-location="ticket_sidebar"' in html and "/static/sidebar.js" in html
    assert response.headers["Content-Security-Policy"].endswith(f"frame-ancestors {zd.url}")  # only our account
    assert "*.zendesk.com" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert zd.world.public_pem.split("\n")[1] not in html  # no key material in the page
    assert session_of(response)


def test_card_for_the_ticket_requester(zclient, zd):
    session = session_of(open_sidebar(zclient, zd.sidebar_token()))
    response = card(zclient, session, ticket_id=1)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    customer = seed.customer(1)
    assert f"<h1>{customer.first} {customer.last}</h1>" in html
    assert 'data-status="found"' in html and "Lifetime value" in html and "Write to ticket" in html
    assert "CR***01" in html  # the match explanation, masked


def test_user_sidebar_card_is_the_users(zclient, zd):
    session = session_of(open_sidebar(zclient, zd.sidebar_token(location="user_sidebar")))
    customer = seed.customer(2)
    response = card(zclient, session, user_id=1002)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"<h1>{customer.first} {customer.last}</h1>" in html
    assert 'data-status="found"' in html and "Write to ticket" not in html  # user sidebar: nothing to write to


def test_no_profile_state(zclient, zd):
    user = zd.world.users[1001]
    user["external_id"], user["email"], user["phone"] = None, "stranger@example.org", None
    session = session_of(open_sidebar(zclient, zd.sidebar_token()))
    response = card(zclient, session, ticket_id=1)
    html = response.get_data(as_text=True)
    assert "No AEP profile found" in html and 'data-status="not_found"' in html
    assert "no profile" in html  # the explanation says why


def test_write_to_ticket_queues_an_enrichment(zclient, zruntime, zd):
    session = session_of(open_sidebar(zclient, zd.sidebar_token()))
    response = zclient.post("/zendesk/sidebar/enrich", json={"ticket_id": 3},
                            headers={"Authorization": f"Bearer {session}"})
    assert response.status_code == 202
    assert zruntime.store.job("zendesk:ticket:3").status == "pending"


def _hs256_with_public_key(zd) -> str:
    """The classic confusion attack: HMAC-sign with the RSA public key as the secret."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = header + "." + b64(json.dumps(_claims(zd)).encode())
    mac = hmac.new(zd.world.public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(mac)


@pytest.mark.parametrize("key, status", [("test-api-key", 202), ("wrong", 401)])
def test_write_to_ticket_through_the_zendesk_proxy_uses_the_api_key(zclient, zruntime, key, status):
    response = zclient.post("/zendesk/sidebar/enrich", json={"ticket_id": 4}, headers={"X-API-Key": key})
    assert response.status_code == status
    assert (zruntime.store.job("zendesk:ticket:4") is not None) == (status == 202)


def _other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _claims(zd, **overrides):
    now = int(time.time())
    base = zd.url
    claims = {"iss": base.split("//")[1], "aud": f"{base}/api/v2/apps/installations/2000.json", "iat": now,
              "exp": now + 300, "sub": f"{base}/api/v2/users/5.json", "context": {"location": "ticket_sidebar"}}
    claims.update(overrides)
    return claims


@pytest.mark.parametrize("make_token, message", [
    (lambda zd: zd.sidebar_token(ttl=-120), "expired"),
    (lambda zd: jwt.encode(_claims(zd), None, algorithm="none"), "algorithm 'none'"),
    (lambda zd: _hs256_with_public_key(zd), "algorithm 'HS256'"),
    (lambda zd: jwt.encode(_claims(zd), _other_key(), algorithm="RS256"), "not valid"),
    (lambda zd: jwt.encode(_claims(zd), _other_key(), algorithm="RS512"), "algorithm 'RS512'"),
    (lambda zd: zd.sidebar_token(aud="https://other.zendesk.com/api/v2/apps/installations/2000.json"), "another"),
    (lambda zd: zd.sidebar_token(iss="other.zendesk.com"), "issued by another"),
    (lambda zd: "not-a-jwt", "not a JWT"),
    (lambda zd: zd.sidebar_token(sub="https://other.zendesk.com/api/v2/users/5.json"), "names no agent"),
], ids=["expired", "alg-none", "hs256-with-public-key", "wrong-key", "rs512", "wrong-aud", "wrong-iss", "garbage",
        "no-agent"])
def test_bad_tokens_are_refused(zclient, zd, make_token, message):
    response = open_sidebar(zclient, make_token(zd))
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "invalid_signature" and message in body["message"]


def test_missing_token_is_refused(zclient):
    assert zclient.post("/zendesk/sidebar", data={}).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer forged", "Basic abc"])
def test_card_needs_a_valid_session(zclient, header):
    response = zclient.post("/zendesk/sidebar/card", json={"ticket_id": 1}, headers={"Authorization": header})
    assert response.status_code == 401


def test_expired_session_is_refused(zclient, zsettings):
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class HourAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3600

    old = URLSafeTimedSerializer(zsettings.session_secret, salt="aep-connector-sidebar", signer=HourAgo).dumps(
        {"sub": "x", "inst": "2000", "loc": "ticket_sidebar"})
    response = card(zclient, old, ticket_id=1)
    assert response.status_code == 401 and response.get_json()["error"] == "session_expired"


def test_public_key_is_fetched_once_by_app_id(zsettings, zd):
    from connector import create_app
    from connector.runtime import build_runtime

    runtime = build_runtime(zsettings.replace(zendesk_app_public_key=None, zendesk_app_id="1000"))
    try:
        client = create_app(runtime=runtime).test_client()
        assert open_sidebar(client, zd.sidebar_token()).status_code == 200
        assert open_sidebar(client, zd.sidebar_token()).status_code == 200
    finally:
        runtime.close()
    assert len(zd.world.calls("/api/v2/apps/1000/public_key.pem")) == 1
