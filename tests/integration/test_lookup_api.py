"""GET /api/v1/profiles and the health endpoints, over the real adapter and the AEP emulator."""
from __future__ import annotations

import pytest

from connector import create_app
from connector.core.models import Contact
from connector.runtime import build_runtime
from connector.sandbox import seed
from connector.sandbox.faults import Scripted
from tests.conftest import API_KEY

ENTITIES = "/data/core/ups/access/entities"
CUSTOMER = seed.customer(5)


def get(client, key=API_KEY, **params):
    headers = {"X-API-Key": key} if key else {}
    return client.get("/api/v1/profiles", query_string=params, headers=headers)


def profile_calls(aep):
    return [c for c in aep.world.calls(ENTITIES) if ("schema.name", "_xdm.context.profile") in c.args]


def test_lookup_returns_the_card(client, aep):
    response = get(client, namespace="Email", id=CUSTOMER.crm_email)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    card = response.get_json()
    assert card["status"] == "found" and card["profileId"] == CUSTOMER.entity_id
    assert card["match"]["matched"] == {"namespace": "Email", "source": "request",
                                        "value": CUSTOMER.email[0] + "***@example.com", "outcome": "matched",
                                        "reason": "AEP returned a profile for this identity", "confidence": 1.0}
    sections = {s["key"]: s for s in card["sections"]}
    assert set(sections) == {"customer", "value", "consent", "audiences", "purchases", "campaigns"}
    names = {i["name"] for i in sections["audiences"]["items"]}
    assert names <= set(seed.SEGMENT_NAMES)
    assert dict(profile_calls(aep)[0].args)["entityId"] == CUSTOMER.email  # normalised before lookup


def test_card_events_and_profile_are_fetched_in_parallel_with_no_extra_round_trip(client, aep, runtime):
    runtime.warm()
    aep.world.clear()
    assert get(client, namespace="CRMID", id=CUSTOMER.crm_id).status_code == 200
    paths = sorted(c.path for c in aep.world.requests)
    assert paths == [ENTITIES, ENTITIES]  # one profile GET + one events GET, no token/merge/segment calls


def test_second_lookup_is_served_from_cache_and_refresh_bypasses_it(client, aep):
    get(client, namespace="CRMID", id=CUSTOMER.crm_id)
    get(client, namespace="crmid", id=CUSTOMER.crm_id)
    assert len(profile_calls(aep)) == 1
    assert get(client, namespace="CRMID", id=CUSTOMER.crm_id, refresh="1").status_code == 200
    assert len(profile_calls(aep)) == 2


def test_no_profile_is_a_404_with_the_match_explanation(client):
    response = get(client, namespace="Email", id="nobody@example.com")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "profile_not_found"
    assert body["card"]["match"]["attempts"][0]["outcome"] == "no_profile"


def test_oversized_graph_is_a_422_not_a_failure(client):
    oversized = seed.customer(seed.DEFAULT_CUSTOMERS - 1)
    response = get(client, namespace="CRMID", id=oversized.crm_id)
    assert response.status_code == 422
    assert response.get_json()["error"] == "profile_not_servable"


@pytest.mark.parametrize("params, status, code", [
    ({"namespace": "Fax", "id": "123"}, 400, "unknown_namespace"),
    ({"namespace": "Email", "id": "not-an-email"}, 400, "invalid_identity"),
    ({"namespace": "Phone_E.164", "id": "12"}, 400, "invalid_identity"),
    ({"namespace": "ECID", "id": "123"}, 400, "invalid_identity"),
    ({"namespace": "Email"}, 400, "missing_parameter"),
    ({"id": "x@example.com"}, 400, "missing_parameter"),
])
def test_bad_input_is_a_400_with_a_clear_message(client, aep, params, status, code):
    response = get(client, **params)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and body["message"]
    assert profile_calls(aep) == []


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_api_key_is_required(client, key):
    response = get(client, key=key, namespace="CRMID", id=CUSTOMER.crm_id)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_api_without_configured_keys_is_off(settings):
    runtime = build_runtime(settings.replace(api_keys=()))
    try:
        response = get(create_app(runtime=runtime).test_client(), key="anything", namespace="CRMID", id="CRM000001")
    finally:
        runtime.close()
    assert response.status_code == 401
    assert "CONNECTOR_API_KEYS" in response.get_json()["message"]


def test_unreachable_aep_is_a_503_json_error(settings):
    runtime = build_runtime(settings.replace(aep_ims_url="http://127.0.0.1:9", aep_platform_url="http://127.0.0.1:9",
                                             aep_retries=0))
    try:
        client = create_app(runtime=runtime).test_client()
        response = get(client, namespace="CRMID", id="CRM000001")
        ready = client.get("/readyz")
    finally:
        runtime.close()
    assert response.status_code == 503
    assert response.get_json() == {"error": "upstream_unavailable", "message": "cannot reach Adobe IMS"}
    assert ready.status_code == 503 and ready.get_json()["checks"]["aep_token"] == "upstream_unavailable"


def test_aep_rate_limit_is_passed_on_with_retry_after(client, aep, runtime):
    runtime.warm()
    aep.faults.script(Scripted(status=429, path=ENTITIES, retry_after=30, times=5))
    response = get(client, namespace="CRMID", id=CUSTOMER.crm_id)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["error"] == "upstream_rate_limited"


def test_events_refused_still_give_a_card_with_a_notice(client, aep):
    aep.faults.update(events_status=403)
    response = get(client, namespace="CRMID", id=CUSTOMER.crm_id)
    assert response.status_code == 200
    purchases = next(s for s in response.get_json()["sections"] if s["key"] == "purchases")
    assert purchases["items"] == [] and "not available" in purchases["notice"]


def test_contact_lookup_tries_candidates_in_order_and_explains(runtime, aep):
    card = runtime.lookup.by_contact(Contact(email=CUSTOMER.crm_email, phone=CUSTOMER.crm_phone, crm_id="CRM999999"))
    outcomes = [(a.namespace, a.outcome) for a in card.match]
    assert outcomes == [("CRMID", "no_profile"), ("Email", "matched"), ("Email_LC_SHA256", "not_tried"),
                        ("Phone_E.164", "not_tried")]
    assert card.profile_id == CUSTOMER.entity_id
    assert card.confidence == 0.95 and card.writable is True


def test_contact_matched_only_by_phone_is_not_writable(runtime):
    card = runtime.lookup.by_contact(Contact(phone=CUSTOMER.crm_phone))
    assert card.status == "found" and card.confidence == 0.7 and card.writable is False
    assert [(a.namespace, a.outcome) for a in card.match] == [
        ("Phone_E.164", "matched"), ("CRMID", "missing"), ("Email", "missing"), ("Email_LC_SHA256", "missing")]


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"manifest": "ok", "database": "ok", "queue": "ok", "aep_token": "ok"}


def test_unknown_route_is_a_json_404(client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
