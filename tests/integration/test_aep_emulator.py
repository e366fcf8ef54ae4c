"""The real AEP adapter over real HTTP against the AEP emulator, faults included."""
from __future__ import annotations

import pytest
import requests

from connector import errors
from connector.adapters.aep import AepClient
from connector.core.models import Identity
from connector.sandbox import seed
from connector.sandbox.aep import CLIENT_ID, ORG_ID
from connector.sandbox.faults import Scripted

ENTITIES = "/data/core/ups/access/entities"
CUSTOMER = seed.customer(5)


@pytest.fixture()
def client(settings):
    return AepClient(settings)


@pytest.mark.parametrize("identity", [
    Identity("Email", CUSTOMER.email),
    Identity("email", CUSTOMER.email),  # namespace codes match case-insensitively
    Identity("CRMID", CUSTOMER.crm_id),
    Identity("Phone_E.164", CUSTOMER.phone),
    Identity("Email_LC_SHA256", seed.sha256(CUSTOMER.email)),
    Identity("ECID", CUSTOMER.ecid),
])
def test_every_identity_of_a_graph_finds_the_same_profile(client, identity):
    profile = client.get_profile(identity, fields=["person.name", "identities"])
    assert profile.entity_id == CUSTOMER.entity_id
    assert profile.entity["person"]["name"]["lastName"] == CUSTOMER.last
    codes = {i["namespace"]["code"] for i in profile.entity["identities"]}
    assert codes == {c.lower() for c in seed.identities(CUSTOMER)}  # returned lower-case (§2.2)


def test_fields_projection_returns_only_what_was_asked(client):
    profile = client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["loyalty.tier", "_acme.churnPropensity"])
    assert set(profile.entity) == {"loyalty", "_acme"}
    assert set(profile.entity["loyalty"]) == {"tier"}


def test_unknown_identity_is_no_profile(client, aep):
    assert client.get_profile(Identity("Email", "nobody@example.com"), fields=["person.name"]) is None
    assert aep.world.calls(ENTITIES)[-1].args[2] == ("entityIdNS", "Email")


def test_bulk_lookup_collapses_identities_and_reports_misses_as_empty(client):
    found = client.get_profiles([Identity("Email", CUSTOMER.email), Identity("CRMID", "CRM999999")],
                                fields=["person.name"])
    assert [p.entity_id for p in found] == [CUSTOMER.entity_id]


def test_events_are_paged_newest_first(client, aep):
    index = next(i for i in range(1, 50) if len(seed.events(i)) >= 5)
    who = seed.customer(index)
    page = client.get_events(Identity("CRMID", who.crm_id), limit=4, max_pages=3)
    times = [e.timestamp for e in page.events]
    assert len(times) == 4 and times == sorted(times, reverse=True)
    event_calls = [c for c in aep.world.calls(ENTITIES) if ("schema.name", "_xdm.context.experienceevent") in c.args]
    assert len(event_calls) == 1  # one page held all four
    paged = client.get_events(Identity("CRMID", who.crm_id), limit=2, max_pages=1)
    assert [e.event_id for e in paged.events] == [e.event_id for e in page.events[:2]]


def test_events_follow_next_pages_of_the_emulator(settings, aep):
    index = next(i for i in range(1, 50) if len(seed.events(i)) >= 3)
    who = seed.customer(index)
    client = AepClient(settings)
    url = settings.aep_platform_url + ENTITIES
    first = requests.get(url, params={"schema.name": "_xdm.context.experienceevent",
                                      "relatedSchema.name": "_xdm.context.profile", "relatedEntityId": who.crm_id,
                                      "relatedEntityIdNS": "CRMID", "limit": "1", "orderby": "-timestamp"},
                         headers={**client._headers, "Authorization": f"Bearer {client.auth.token()}"}, timeout=5)
    body = first.json()
    assert body["_links"]["next"]["href"].startswith("/entities?start=")
    assert body["_page"]["count"] == 1 and body["_page"]["next"]
    collected = []
    for _ in range(3):
        page = client._next_page(body)
        body = requests.get(page, headers={**client._headers, "Authorization": f"Bearer {client.auth.token()}"},
                            timeout=5).json()
        collected.extend(c["entityId"] for c in body["children"])
    assert len(collected) == len(set(collected)) == 3


def test_oversized_graph_is_not_servable(client):
    oversized = seed.customer(seed.DEFAULT_CUSTOMERS - 1)
    with pytest.raises(errors.ProfileNotServable):
        client.get_profile(Identity("CRMID", oversized.crm_id), fields=["person.name"])


def test_429_with_retry_after_is_honoured(client, aep):
    aep.faults.script(Scripted(status=429, path=ENTITIES, retry_after=1))
    assert client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"]) is not None
    assert len(aep.world.calls(ENTITIES)) == 2


def test_5xx_then_success_is_retried(client, aep):
    aep.faults.script(Scripted(status=503, path=ENTITIES, times=2))
    assert client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"]) is not None
    assert len(aep.world.calls(ENTITIES)) == 3


def test_persistent_errors_give_up_after_the_retries(client, aep):
    aep.faults.update(error_rate=1.0, error_path=ENTITIES)
    with pytest.raises(errors.UpstreamUnavailable):
        client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"])
    assert len(aep.world.calls(ENTITIES)) == 1 + client.settings.aep_retries


def test_slow_responses_time_out(settings, aep):
    client = AepClient(settings.replace(aep_timeout=0.2, aep_retries=0))
    client.auth.token()
    aep.faults.script(Scripted(status=200, path=ENTITIES, delay_ms=600))
    with pytest.raises(errors.UpstreamUnavailable, match="did not answer within 0.2s"):
        client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"])


def test_revoked_token_is_replaced_once(client, aep):
    client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"])
    aep.world.revoke_tokens()
    assert client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"]) is not None
    assert len(aep.world.calls("/ims/token/v3")) == 2


def test_events_refused_by_licence_degrade(client, aep):
    aep.faults.update(events_status=403)
    page = client.get_events(Identity("CRMID", CUSTOMER.crm_id), limit=5, max_pages=1)
    assert page.events == () and "not available" in page.unavailable


def test_wrong_client_secret_is_refused_by_ims(settings):
    client = AepClient(settings.replace(aep_client_secret="wrong"))
    with pytest.raises(errors.UpstreamAuthError, match="invalid_client"):
        client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"])


@pytest.mark.parametrize("headers, status, code", [
    ({}, 401, "403010"),
    ({"Authorization": "Bearer forged"}, 401, "401013"),
    ({"x-api-key": None}, 403, "403000"),
    ({"x-api-key": "other"}, 403, "403003"),
    ({"x-gw-ims-org-id": None}, 400, "400003"),
    ({"x-gw-ims-org-id": "OTHER@AdobeOrg"}, 403, "403025"),
])
def test_gateway_checks_answer_with_documented_bodies(client, settings, headers, status, code):
    base = {"Authorization": f"Bearer {client.auth.token()}", "x-api-key": CLIENT_ID, "x-gw-ims-org-id": ORG_ID,
            "x-sandbox-name": "prod"}
    if not headers:
        base.pop("Authorization")
    base.update(headers)
    sent = {k: v for k, v in base.items() if v is not None}
    response = requests.get(settings.aep_platform_url + ENTITIES, headers=sent, timeout=5,
                            params={"schema.name": "_xdm.context.profile", "entityId": "x", "entityIdNS": "CRMID"})
    assert response.status_code == status
    assert response.json()["error_code"] == code


def test_faults_can_be_set_over_http(aep, client):
    response = requests.post(aep.url + "/__sandbox/faults", timeout=5,
                             json={"script": [{"status": 500, "path": ENTITIES, "times": 1}]})
    assert response.status_code == 200
    assert client.get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"]) is not None
    assert len(aep.world.calls(ENTITIES)) == 2
    bad = requests.post(aep.url + "/__sandbox/faults", json={"latency": 5}, timeout=5)
    assert bad.status_code == 400 and "unknown fault knob" in bad.json()["message"]


def test_check_lists_and_preloads(client):
    assert {n["code"] for n in client.list_namespaces()} >= {"Email", "CRMID", "ECID"}
    assert client.preload_segments() == len(seed.SEGMENTS)
