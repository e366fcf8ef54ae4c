"""Outbound Messages must prove they come from the configured org (issue 9, High 1).

Each message is checked against the real Salesforce emulator: a SessionId is verified with one
userinfo call to the configured instance, or an explicitly configured alternative vouches for the
message. Refused messages get a SOAP fault, create no job and cause no other Salesforce or AEP call.
"""
from __future__ import annotations

import pytest

from connector import create_app
from connector.adapters.ratelimit import Budget
from connector.runtime import build_runtime
from connector.sandbox.faults import Scripted
from connector.sandbox.salesforce import ORG_ID, record_id
from connector.sandbox.salesforce.outbound import envelope
from connector.services.salesforce.outbound import OutboundGate

CONTACT = record_id("Contact", 1)
OTHER_ORG = "00D5g000004OTHEREA"
USERINFO = "/services/oauth2/userinfo"
TOKEN = "endpoint-token-0123456789abcdefghij"


def post(client, body: bytes, *, query: str = "", headers: dict | None = None):
    return client.post("/salesforce/outbound" + query, data=body,
                       headers={"Content-Type": "text/xml; charset=utf-8", **(headers or {})})


def contacts(count: int, *, start: int = 1) -> list[tuple[str, dict]]:
    return [("Contact", {"Id": record_id("Contact", i)}) for i in range(start, start + count)]


def assert_refused(response, runtime, *, status: int = 403, code: str = "Client", jobs_before: int = 0):
    """A SOAP fault (Salesforce keeps the message and retries it), and not one more job."""
    assert response.status_code == status, response.data
    assert response.mimetype == "text/xml" and f"<faultcode>soapenv:{code}</faultcode>".encode() in response.data
    assert b"<Ack>" not in response.data
    assert len(runtime.store.list_jobs()) == jobs_before


def test_a_forged_message_without_a_session_is_refused_and_calls_nothing(sfclient, sfruntime, sf, aep):
    response = post(sfclient, envelope(contacts(100)))  # knows the org id, holds no session
    assert_refused(response, sfruntime)
    assert sf.world.calls() == [] and aep.world.calls() == []


def test_a_forged_session_costs_one_userinfo_call_to_the_configured_instance_only(sfclient, sfruntime, sf, aep):
    body = envelope(contacts(3), session_id="00D5g000004ACME!forged-session-value")
    # the message names the emulator as its EnterpriseUrl/PartnerUrl host: it must never be called
    body = body.replace(b"https://acme.my.salesforce.com", sf.url.encode())
    assert_refused(post(sfclient, body), sfruntime)
    assert [(method, path) for method, path, _ in sf.world.calls()] == [("GET", USERINFO + "?")]
    assert aep.world.calls() == []
    assert_refused(post(sfclient, body), sfruntime)  # the same forgery again: remembered, no second call
    assert len(sf.world.calls()) == 1


def test_a_valid_session_of_another_org_is_refused(sfclient, sfruntime, sf):
    foreign = sf.world.issue_token(org=OTHER_ORG)
    assert_refused(post(sfclient, envelope(contacts(1), session_id=foreign)), sfruntime)
    assert len(sf.world.calls(USERINFO)) == 1


def test_a_burst_with_one_session_costs_one_userinfo_call(sfclient, sfruntime, sf):
    session = sf.world.issue_token()
    for index in range(1, 11):
        response = post(sfclient, envelope(contacts(1, start=index), session_id=session))
        assert response.status_code == 200 and b"<Ack>true</Ack>" in response.data
    assert len(sf.world.calls(USERINFO)) == 1 and len(sf.world.calls()) == 1
    assert len(sfruntime.store.list_jobs()) == 10


def test_an_expired_session_is_refused(sfclient, sfruntime, sf):
    session = sf.world.issue_token()
    sf.world.expire_tokens()
    assert_refused(post(sfclient, envelope(contacts(1), session_id=session)), sfruntime)


def test_salesforce_unreachable_for_the_check_is_a_retryable_fault(sfclient, sfruntime, sf):
    sf.faults.script(Scripted(status=503, path=USERINFO))
    response = post(sfclient, envelope(contacts(1), session_id=sf.world.issue_token()))
    assert_refused(response, sfruntime, status=503, code="Server")


@pytest.mark.parametrize("mutate", [
    lambda b: b.replace(b"<Id>04l5g0000000001AAA</Id>", b"<Id>" + b"A" * 5014 + b"</Id>"),
    lambda b: b.replace(CONTACT.encode(), CONTACT.encode() + b"X" * 4996),
    lambda b: b.replace(CONTACT.encode(), b"0015g0000000001AAA"),  # an Account: not an object we handle
    lambda b: b.replace(CONTACT.encode(), CONTACT[:15].encode() + b"AAB"),  # wrong checksum suffix
    lambda b: b.replace(CONTACT.encode(), b"003-5g00000001AAA"),  # outside Salesforce's alphabet
    lambda b: b.replace(b'xsi:type="sf:Contact"', b'xsi:type="sf:Case"'),  # a Contact id as a Case
], ids=["5014-char-notification-id", "5014-char-record-id", "account-prefix", "bad-checksum", "bad-alphabet",
        "prefix-of-another-object"])
def test_malformed_ids_are_refused_before_any_call(sfclient, sfruntime, sf, mutate):
    body = envelope([("Contact", {"Id": CONTACT})], notification_ids=["04l5g0000000001AAA"],
                    session_id=sf.world.issue_token())
    assert_refused(post(sfclient, mutate(body)), sfruntime, status=400)
    assert sf.world.calls() == []


def test_fifteen_character_record_ids_are_accepted(sfclient, sfruntime, sf):
    response = post(sfclient, envelope([("Contact", {"Id": CONTACT[:15]})], session_id=sf.world.issue_token()))
    assert response.status_code == 200 and len(sfruntime.store.list_jobs()) == 1


def test_more_than_100_notifications_are_refused(sfclient, sfruntime, sf):
    session = sf.world.issue_token()
    forged = envelope(contacts(101), session_id=session, forge_oversized=True)
    assert_refused(post(sfclient, forged), sfruntime, status=400)
    assert sf.world.calls() == []
    assert post(sfclient, envelope(contacts(100), session_id=session)).status_code == 200
    assert len(sfruntime.store.list_jobs()) == 100


def test_the_per_org_budget_refuses_with_a_retryable_fault_then_accepts_in_the_next_window(sfclient, sfruntime, sf):
    now = [60 * 16_667 + 20.0]  # 20 s into a minute
    service = sfruntime.provider("salesforce")
    service.outbound = OutboundGate(owner_of=service.client.session_owner,
                                      budget=Budget(name="outbound-test", limit=3, window_s=60, clock=lambda: now[0]))
    session = sf.world.issue_token()
    assert post(sfclient, envelope(contacts(2), session_id=session)).status_code == 200
    refused = post(sfclient, envelope(contacts(2, start=3), session_id=session))
    assert_refused(refused, sfruntime, status=503, code="Server", jobs_before=2)
    assert refused.headers["Retry-After"] == "40"
    now[0] += 60  # the next minute
    assert post(sfclient, envelope(contacts(2, start=3), session_id=session)).status_code == 200
    assert len(sfruntime.store.list_jobs()) == 4


def test_the_budget_setting_applies(sfsettings, sf):
    runtime = build_runtime(sfsettings.replace(salesforce_outbound_per_minute=2))
    try:
        client = create_app(runtime=runtime).test_client()
        response = post(client, envelope(contacts(3), session_id=sf.world.issue_token()))
        assert_refused(response, runtime, status=503, code="Server")
    finally:
        runtime.close()


@pytest.fixture()
def token_client(sfsettings):
    runtime = build_runtime(sfsettings.replace(salesforce_outbound_token=TOKEN,
                                               salesforce_outbound_client_cert_header="X-Client-Verify"))
    yield create_app(runtime=runtime).test_client(), runtime
    runtime.close()


def test_the_endpoint_token_vouches_for_a_message_without_a_session(token_client, sf):
    client, runtime = token_client
    response = post(client, envelope(contacts(1)), query=f"?token={TOKEN}")
    assert response.status_code == 200 and b"<Ack>true</Ack>" in response.data
    assert sf.world.calls() == [] and len(runtime.store.list_jobs()) == 1


@pytest.mark.parametrize("query", ["", "?token=wrong", f"?token={TOKEN[:-1]}", f"?other={TOKEN}"])
def test_a_wrong_or_missing_endpoint_token_is_refused(token_client, sf, query):
    client, runtime = token_client
    assert_refused(post(client, envelope(contacts(1)), query=query), runtime)


def test_the_proxy_header_vouches_when_configured(token_client, sf):
    client, runtime = token_client
    assert post(client, envelope(contacts(1)), headers={"X-Client-Verify": "SUCCESS"}).status_code == 200
    assert_refused(post(client, envelope(contacts(1, start=2)), headers={"X-Client-Verify": "FAILED:x"}), runtime,
                   jobs_before=1)
    assert sf.world.calls() == []


def test_the_proxy_header_means_nothing_unless_configured(sfclient, sfruntime, sf):
    assert_refused(post(sfclient, envelope(contacts(1)), headers={"X-Client-Verify": "SUCCESS"}), sfruntime)


def test_the_org_id_is_still_checked_when_the_token_vouches(token_client, sf):
    client, runtime = token_client
    body = envelope(contacts(1), org_id=OTHER_ORG)
    assert ORG_ID[:15] != OTHER_ORG[:15]
    assert_refused(post(client, body, query=f"?token={TOKEN}"), runtime)


def test_without_an_instance_url_sessions_cannot_be_checked_and_the_fault_says_so(sfsettings, sf):
    runtime = build_runtime(sfsettings.replace(salesforce_instance_url=None))
    try:
        client = create_app(runtime=runtime).test_client()
        response = post(client, envelope(contacts(1), session_id=sf.world.issue_token()))
        assert_refused(response, runtime, status=500, code="Server")
        assert b"CONNECTOR_SALESFORCE_INSTANCE_URL" in response.data and sf.world.calls() == []
    finally:
        runtime.close()


def test_an_unreachable_shared_budget_is_a_retryable_fault(sfclient, sfruntime, sf):
    service = sfruntime.provider("salesforce")
    service.outbound = OutboundGate(owner_of=service.client.session_owner,
                                      budget=Budget(name="outbound-test", limit=300, window_s=60,
                                                    redis_url="redis://127.0.0.1:1/0"))
    response = post(sfclient, envelope(contacts(1), session_id=sf.world.issue_token()))
    assert_refused(response, sfruntime, status=503, code="Server")


def test_a_flood_of_forged_sessions_costs_a_bounded_number_of_checks(sfclient, sfruntime, sf):
    minute = lambda: 60 * 16_667 + 20.0  # noqa: E731 - one fixed minute
    service = sfruntime.provider("salesforce")
    service.outbound = OutboundGate(owner_of=service.client.session_owner,
                                      budget=Budget(name="outbound-test", limit=300, window_s=60, clock=minute),
                                      checks=Budget(name="checks-test", limit=5, window_s=60, clock=minute))
    statuses = [post(sfclient, envelope(contacts(1), session_id=f"00D5g000004ACME!forged-{i:04d}")).status_code
                for i in range(8)]
    assert statuses == [403] * 5 + [503] * 3
    assert len(sf.world.calls(USERINFO)) == 5 and len(sf.world.calls()) == 5
    assert sfruntime.store.list_jobs() == []


def test_once_the_endpoint_token_is_configured_a_session_alone_is_refused_before_any_call(token_client, sf, aep):
    client, runtime = token_client
    assert_refused(post(client, envelope(contacts(1), session_id=sf.world.issue_token())), runtime)
    assert sf.world.calls() == [] and aep.world.calls() == []


@pytest.fixture()
def user_client(sfsettings):
    from connector.sandbox.salesforce import INTEGRATION_USER

    runtime = build_runtime(sfsettings.replace(salesforce_outbound_user_id=INTEGRATION_USER))
    yield create_app(runtime=runtime).test_client(), runtime
    runtime.close()


def test_with_the_sending_user_named_a_session_of_another_user_of_the_org_is_refused(user_client, sf):
    from connector.sandbox.salesforce import INTEGRATION_USER

    client, runtime = user_client
    agent = sf.world.issue_token(user="0055g00000AGENTAAA")  # any person who can log in to the org
    assert_refused(post(client, envelope(contacts(100), session_id=agent)), runtime)
    accepted = post(client, envelope(contacts(1), session_id=sf.world.issue_token(user=INTEGRATION_USER)))
    assert accepted.status_code == 200 and b"<Ack>true</Ack>" in accepted.data
    assert len(runtime.store.list_jobs()) == 1
