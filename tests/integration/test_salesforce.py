"""Salesforce: signed Flow/Apex callouts → queue → enrichment through simple-salesforce over TLS."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest

from connector.sandbox import seed
from connector.sandbox.faults import Scripted
from connector.sandbox.salesforce import INTEGRATION_USER, record_id
from connector.services.salesforce.records import PAUSE_S as SALESFORCE_PAUSE_S
from connector.store.db import utcnow
from connector.web.verify import callout_signature
from tests.conftest import CALLOUT_SECRET
from tests.zendesk_helpers import wait_for

CASE = record_id("Case", 1)
CONTACT = record_id("Contact", 1)


def signed(body: dict | bytes, *, secret: str = CALLOUT_SECRET, stamp: str | None = None,
           path: str = "/salesforce/events"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = stamp or str(int(time.time()))
    return raw, {"Content-Type": "application/json", "X-Connector-Timestamp": stamp,
                 "X-Connector-Signature": callout_signature(secret=secret, method="POST", path=path,
                                                            timestamp=stamp, body=raw)}


def post_event(client, body, **kwargs):
    raw, headers = signed(body, **kwargs)
    return client.post("/salesforce/events", data=raw, headers=headers)


def run_job(runtime, key):
    return runtime.jobs.run(key)


def test_case_created_enriches_contact_and_case_in_one_collections_call(sfclient, sfruntime, sf):
    response = post_event(sfclient, {"event": "case_created", "recordId": CASE, "eventId": "e1"})
    assert response.status_code == 202
    assert run_job(sfruntime, f"salesforce:Case:{CASE}") == "written"
    calls = [(m, p.split("?")[0]) for m, p, _ in sf.world.calls("/services/")]
    assert calls == [("POST", "/services/oauth2/token"),
                     ("GET", f"/services/data/v59.0/sobjects/Case/{CASE}"),
                     ("GET", f"/services/data/v59.0/sobjects/Contact/{CONTACT}"),
                     ("GET", "/services/data/v59.0/sobjects/Contact/describe"),  # once per object and process
                     ("GET", "/services/data/v59.0/sobjects/Case/describe"),
                     ("PATCH", "/services/data/v59.0/composite/sobjects")]
    profile = seed.profile_entity(1)
    churn = profile["_acme"]["churnPropensity"]
    level = "high" if churn >= 0.7 else "medium" if churn >= 0.4 else "low"
    body = sf.world.calls("/composite/sobjects")[0][2]
    assert body["allOrNone"] is False
    contact_write, case_write = body["records"]
    assert contact_write["attributes"] == {"type": "Contact"} and contact_write["id"] == CONTACT
    assert contact_write["AEP_Lifetime_Value__c"] == profile["_acme"]["lifetimeValue"]
    assert contact_write["AEP_Profile_Id__c"] == seed.customer(1).entity_id
    stamp = case_write.pop("AEP_Last_Enriched__c")
    assert case_write == {"attributes": {"type": "Case"}, "id": CASE, "AEP_Churn_Risk__c": level,
                          "AEP_Lifetime_Value__c": profile["_acme"]["lifetimeValue"],
                          "AEP_Loyalty_Tier__c": profile["loyalty"]["tier"]}
    assert abs(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - time.time()) < 60
    stored = sf.world.records["Case"][CASE]
    assert stored["AEP_Churn_Risk__c"] == level and stored["LastModifiedById"] == INTEGRATION_USER
    audit = sfruntime.store.audit_rows(f"salesforce:Contact:{CONTACT}")
    assert {r["target"] for r in audit} >= {"Contact.AEP_Lifetime_Value__c", "Contact.AEP_Profile_Id__c"}


def test_a_second_run_writes_nothing_and_one_record_uses_one_patch(sfclient, sfruntime, sf):
    key = f"salesforce:Contact:{CONTACT}"
    assert post_event(sfclient, {"event": "contact_changed", "recordId": CONTACT}).status_code == 202
    assert run_job(sfruntime, key) == "written"
    patches = sf.world.calls(f"/sobjects/Contact/{CONTACT}", "PATCH")
    assert len(patches) == 1 and "Email" not in patches[0][2]  # only the enriched fields
    sfruntime.store.requeue(key)
    assert run_job(sfruntime, key) == "unchanged"
    assert len(sf.world.calls("", "PATCH")) == 1  # nothing left to write


def _bad_signature(body):
    raw, headers = signed(body)
    good = headers["X-Connector-Signature"]
    return raw, {**headers, "X-Connector-Signature": ("B" if good[0] == "A" else "A") + good[1:]}  # always altered


def _replayed(body):
    return signed(body, stamp=str(int(time.time()) - 3600))


def _nan_timestamp(body):  # float("nan") compares as inside any window
    return signed(body, stamp="nan")


def _fractional_timestamp(body):
    return signed(body, stamp=f"{int(time.time())}.5")


def _other_secret(body):
    return signed(body, secret="another-secret")


def _other_path(body):
    return signed(body, path="/salesforce/outbound")


def _unsigned(body):
    raw, headers = signed(body)
    return raw, {"Content-Type": "application/json"}


@pytest.mark.parametrize("attack", [_bad_signature, _replayed, _nan_timestamp, _fractional_timestamp, _other_secret,
                                    _other_path, _unsigned],
                         ids=lambda f: f.__name__.strip("_"))
def test_unauthentic_callouts_are_refused_and_nothing_is_queued(sfclient, sfruntime, attack):
    raw, headers = attack({"event": "case_created", "recordId": CASE})
    response = sfclient.post("/salesforce/events", data=raw, headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_signature"
    assert sfruntime.store.list_jobs() == []


@pytest.mark.parametrize("body, status", [
    (b"not json", 400), (b"[1, 2]", 422), (b'{"event": "case_created"}', 422),
    (b'{"event": "case_deleted", "recordId": "5005g0000000001AAA"}', 422),
    (b'{"event": "case_created", "recordId": "not-an-id"}', 422),
])
def test_malformed_callouts_are_refused(sfclient, sfruntime, body, status):
    assert post_event(sfclient, body).status_code == status
    assert sfruntime.store.list_jobs() == []


def test_own_changes_and_duplicates(sfclient, sfruntime, sf):
    sfruntime.provider("salesforce").client.get("Contact", CONTACT, ["Id"])  # logs in: the integration user is known
    own = post_event(sfclient, {"event": "contact_changed", "recordId": CONTACT, "changedBy": INTEGRATION_USER})
    assert own.status_code == 204 and sfruntime.store.list_jobs() == []
    first = post_event(sfclient, {"event": "case_created", "recordId": CASE, "eventId": "dup"})
    again = post_event(sfclient, {"event": "case_created", "recordId": CASE, "eventId": "dup"})
    assert (first.status_code, again.status_code) == (202, 200)


def test_exhausted_allocation_pauses_then_resumes_losing_nothing(sfruntime, sf):
    key = f"salesforce:Contact:{CONTACT}"
    sfruntime.store.accept(delivery_key="salesforce:x", record_key=key, provider="salesforce")
    sf.world.used, sf.world.daily_max = 99, 100
    sfruntime.provider("salesforce").client.get("Contact", CONTACT, ["Id"])  # the last call the allocation allows
    assert run_job(sfruntime, key) == "retry"  # paused above the configured share, before any call
    job = sfruntime.store.job(key)
    assert job.status == "pending" and "enrichment paused" in job.last_error
    sf.world.daily_max = 15_000  # the rolling window frees up
    sfruntime.provider("salesforce").client.get("Contact", CONTACT, ["Id"])
    assert run_job(sfruntime, key) == "skipped"  # not due yet: a duplicate enqueue does not run it early
    sfruntime.store.clock = lambda: utcnow() + timedelta(seconds=SALESFORCE_PAUSE_S + 1)
    assert run_job(sfruntime, key) == "written"


def test_request_limit_exceeded_is_rescheduled(sfruntime, sf):
    key = f"salesforce:Contact:{CONTACT}"
    sfruntime.store.accept(delivery_key="salesforce:y", record_key=key, provider="salesforce")
    sf.faults.script(Scripted(status=403, path="/services/data/", body=[
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]))
    assert run_job(sfruntime, key) == "retry"
    assert sfruntime.store.job(key).next_attempt_at.timestamp() > time.time() + 600


def test_validation_rule_goes_to_dead_letters_and_the_ledger(sfruntime, sf):
    key = f"salesforce:Contact:{CONTACT}"
    sfruntime.store.accept(delivery_key="salesforce:z", record_key=key, provider="salesforce")
    sf.faults.script(Scripted(status=400, path=f"/services/data/v59.0/sobjects/Contact/{CONTACT}", method="PATCH",
                              body=[{"message": "Tier must be set by Sales Ops", "fields": ["AEP_Loyalty_Tier__c"],
                                     "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION"}]))
    assert run_job(sfruntime, key) == "dead"
    job = sfruntime.store.job(key)
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in job.last_error and "AEP_Loyalty_Tier__c" in job.last_error
    refused = [r for r in sfruntime.store.audit_rows(key) if r["policy"] == "refused"]
    assert refused and "Tier must be set by Sales Ops" in refused[0]["value"]


def test_unable_to_lock_row_is_retried(sfruntime, sf):
    key = f"salesforce:Contact:{CONTACT}"
    sfruntime.store.accept(delivery_key="salesforce:w", record_key=key, provider="salesforce")
    sf.faults.script(Scripted(status=400, path=f"/services/data/v59.0/sobjects/Contact/{CONTACT}", method="PATCH",
                              body=[{"message": "unable to obtain exclusive access",
                                     "errorCode": "UNABLE_TO_LOCK_ROW"}]))
    assert run_job(sfruntime, key) == "retry"
    assert sfruntime.store.job(key).status == "pending"


def test_expired_session_is_refreshed_once(sfruntime, sf):
    sfruntime.provider("salesforce").client.get("Contact", CONTACT, ["Id"])
    sf.world.expire_tokens()
    record = sfruntime.provider("salesforce").client.get("Contact", CONTACT, ["Id", "Email"])
    assert record["Email"] == seed.customer(1).crm_email.strip()
    assert len(sf.world.calls("/services/oauth2/token")) == 2


def test_whole_path_with_workers(sfclient, sfruntime, sf):
    sfruntime.start_workers()
    case = sf.world.create_case(7)
    assert post_event(sfclient, {"event": "case_created", "recordId": case["Id"]}).status_code == 202
    wait_for(lambda: sfruntime.store.job(f"salesforce:Case:{case['Id']}").status == "done")
    assert sf.world.records["Contact"][record_id("Contact", 7)]["AEP_Profile_Id__c"] == seed.customer(7).entity_id


def get_profile(client, record, *, secret=CALLOUT_SECRET, signed_record=None):
    stamp = str(int(time.time()))
    path = f"/salesforce/profile?recordId={signed_record or record}"
    signature = callout_signature(secret=secret, method="GET", path=path, timestamp=stamp, body=b"")
    return client.get(f"/salesforce/profile?recordId={record}",
                      headers={"X-Connector-Timestamp": stamp, "X-Connector-Signature": signature})


@pytest.mark.parametrize("record", [CASE, CONTACT])
def test_profile_for_the_record_page_is_the_card_json(sfclient, sf, record):
    response = get_profile(sfclient, record)
    assert response.status_code == 200
    card = response.get_json()
    assert card["status"] == "found" and card["profileId"] == seed.customer(1).entity_id
    assert {s["key"] for s in card["sections"]} >= {"customer", "value", "audiences", "purchases"}


def test_profile_signature_covers_the_record_id(sfclient):
    response = get_profile(sfclient, CASE, signed_record=CONTACT)  # a captured signature, another record
    assert response.status_code == 401


@pytest.mark.parametrize("record, status", [("not-an-id", 400), ("0015g0000000001AAA", 400)])
def test_profile_refuses_other_ids(sfclient, record, status):
    assert get_profile(sfclient, record).status_code == status


def test_outbound_message_is_acked_after_every_notification_is_queued(sfruntime, sf, connector_server_sf):
    from connector.sandbox.salesforce.outbound import envelope, send

    contact = sf.world.records["Contact"][record_id("Contact", 3)]
    body = envelope([("Contact", {"Id": contact["Id"], "Email": contact["Email"]}),
                     ("Case", {"Id": CASE, "Subject": "x"})],
                    notification_ids=["04l5g0000000001AAA", "04l5g0000000002AAA"], session_id=sf.world.issue_token())
    delivery = send(connector_server_sf.url + "/salesforce/outbound", body)
    assert delivery.acknowledged and delivery.attempts == [200]
    keys = {j.record_key for j in sfruntime.store.list_jobs()}
    assert keys == {f"salesforce:Contact:{contact['Id']}", f"salesforce:Case:{CASE}"}
    again = send(connector_server_sf.url + "/salesforce/outbound", body)  # Salesforce delivers it twice
    assert again.acknowledged and len(sfruntime.store.list_jobs()) == 2
    assert sfruntime.jobs.run(f"salesforce:Contact:{contact['Id']}") == "written"  # re-read, then written


def test_outbound_from_another_org_is_refused_with_a_fault(sfclient, sfruntime):
    from connector.sandbox.salesforce.outbound import envelope

    response = sfclient.post("/salesforce/outbound", data=envelope([("Contact", {"Id": CONTACT})],
                                                                   org_id="00D5g000004OTHERA2"))
    assert response.status_code == 403 and b"<faultcode>soapenv:Client</faultcode>" in response.data
    assert b"<Ack>" not in response.data and sfruntime.store.list_jobs() == []


def test_fifteen_character_org_id_matches(sfclient, sfruntime, sf):
    from connector.sandbox.salesforce.outbound import envelope

    response = sfclient.post("/salesforce/outbound", data=envelope([("Contact", {"Id": CONTACT})],
                                                                   org_id="00D5g000004ACME",
                                                                   session_id=sf.world.issue_token()))
    assert response.status_code == 200 and b"<Ack>true</Ack>" in response.data


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&lol2;</soapenv:Body></soapenv:Envelope>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&xxe;</soapenv:Body></soapenv:Envelope>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<not-closed", b"",
                                  b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"/>'],
                         ids=["xml-bomb", "xxe", "malformed", "empty", "no-notifications"])
def test_hostile_or_malformed_soap_is_refused(sfclient, sfruntime, body):
    response = sfclient.post("/salesforce/outbound", data=body, headers={"Content-Type": "text/xml"})
    assert response.status_code == 400 and b"soapenv:Fault" in response.data
    assert b"root:" not in response.data and sfruntime.store.list_jobs() == []


def test_outbound_sender_retries_until_acknowledged(sfsettings, sf):
    from connector import create_app
    from connector.runtime import build_runtime
    from connector.sandbox.salesforce.outbound import envelope, send
    from connector.sandbox.server import ServerThread

    runtime = build_runtime(sfsettings.replace(salesforce_org_id=None))  # misconfigured at first: faults
    server = ServerThread(create_app(runtime=runtime)).start()
    try:
        body = envelope([("Contact", {"Id": CONTACT})], session_id=sf.world.issue_token())
        first = send(server.url + "/salesforce/outbound", body, tries=2, backoff_s=0.01)
        assert not first.acknowledged and first.attempts == [500, 500]
        runtime.settings = sfsettings  # the admin fixes the setting; Salesforce's next retry lands
        assert send(server.url + "/salesforce/outbound", body, tries=2).acknowledged
    finally:
        server.stop()
        runtime.close()


@pytest.mark.parametrize("urlsafe", [False, True], ids=["standard-base64", "url-safe-base64"])
def test_canvas_signed_request_renders_the_card(sfclient, urlsafe):
    from connector.sandbox.salesforce import canvas_request

    response = sfclient.post("/salesforce/canvas", data={"signed_request": canvas_request(CASE, urlsafe=urlsafe)})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    customer = seed.customer(1)
    assert f"<h1>{customer.first} {customer.last}</h1>" in html and "Write to ticket" not in html
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {sfclient.application.extensions['connector'].settings.salesforce_instance_url}" in policy
    assert "*" not in policy


@pytest.mark.parametrize("make, status", [
    (lambda cr: cr(CASE, secret="wrong"), 401),
    (lambda cr: cr(CASE, org_id="00D5g000004OTHERA2"), 401),
    (lambda cr: cr(CASE).replace(".", "X", 1), 401),
    (lambda cr: "garbage", 401),
    (lambda cr: cr("nope"), 400),
    (lambda cr: cr(CASE, issued_at=int(time.time()) - 301), 401),
    (lambda cr: cr(CASE, issued_at=int(time.time()) + 300), 401),
    (lambda cr: cr(CASE, issued_at="now"), 401),
], ids=["wrong-secret", "other-org", "broken", "garbage", "no-record", "replayed-after-5-min", "from-the-future",
        "undated"])
def test_bad_canvas_requests_are_refused(sfclient, make, status):
    from connector.sandbox.salesforce import canvas_request

    response = sfclient.post("/salesforce/canvas", data={"signed_request": make(canvas_request)})
    assert response.status_code == status


def test_backfill_reads_in_one_query_and_writes_in_collections(sfsettings, sf):
    from click.testing import CliRunner

    from connector.cli import main

    s = sfsettings
    env = {"CONNECTOR_AEP_IMS_URL": s.aep_ims_url, "CONNECTOR_AEP_PLATFORM_URL": s.aep_platform_url,
           "CONNECTOR_AEP_CLIENT_ID": s.aep_client_id, "CONNECTOR_AEP_CLIENT_SECRET": s.aep_client_secret,
           "CONNECTOR_AEP_ORG_ID": s.aep_org_id, "CONNECTOR_SALESFORCE_INSTANCE_URL": s.salesforce_instance_url,
           "CONNECTOR_SALESFORCE_CLIENT_ID": s.salesforce_client_id,
           "CONNECTOR_SALESFORCE_CLIENT_SECRET": s.salesforce_client_secret, "CONNECTOR_CA_BUNDLE": s.ca_bundle,
           "CONNECTOR_DATABASE_URL": s.database_url, "CONNECTOR_QUEUE_URL": s.queue_url}
    result = CliRunner().invoke(main, ["salesforce", "backfill", "--object", "Contact", "--limit", "150"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "150 Contact record(s) read, 150 written, 0 refused"
    calls = [(m, p.split("?")[0].rsplit("/", 2)[-2:]) for m, p, _ in sf.world.calls("/services/data/")]
    assert calls == [("GET", ["query", ""]), ("GET", ["Contact", "describe"]),  # one query, the fields' metadata,
                     ("PATCH", ["composite", "sobjects"])]                    # one collection
    assert sf.world.records["Contact"][record_id("Contact", 42)]["AEP_Profile_Id__c"] == seed.customer(42).entity_id


@pytest.mark.parametrize("mode", ["password", "wrong-password"])
def test_username_password_login_against_the_emulator(sfsettings, sf, mode):
    from connector.adapters.salesforce import SalesforceClient
    from connector.errors import UpstreamAuthError
    from connector.sandbox.salesforce import PASSWORD, USERNAME

    client = SalesforceClient(sfsettings.replace(salesforce_username=USERNAME,
                                                 salesforce_password=PASSWORD if mode == "password" else "nope"))
    if mode == "password":
        assert client.get("Contact", CONTACT, ["Id"])["Id"] == CONTACT
    else:
        with pytest.raises(UpstreamAuthError, match="invalid_grant"):
            client.get("Contact", CONTACT, ["Id"])


def test_query_follows_next_records_url(sfruntime, sf):
    sf.world.query_page = 7
    records = sfruntime.provider("salesforce").client.query("Contact", ["Id"], limit=20)
    assert len(records) == 20 and len({r["Id"] for r in records}) == 20
    assert len(sf.world.calls("/services/data/v59.0/query/", "GET")) == 3


@pytest.mark.parametrize("record", ["000000000000000!", "5005g0000000001AAA\n", "5005g0000000001AAA!!"])
def test_a_record_id_with_anything_after_it_is_refused_not_queued(sfclient, sfruntime, record):
    """The id must be the whole value (a prefix match once let such ids through as job keys)."""
    raw, headers = signed({"event": "case_created", "recordId": record})
    response = sfclient.post("/salesforce/events", data=raw, headers=headers)
    assert response.status_code == 422 and response.get_json()["error"] == "invalid_payload"
    assert sfruntime.store.list_jobs() == []
