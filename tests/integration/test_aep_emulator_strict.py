"""The AEP emulator refuses what AEP refuses (requests, as the connector's adapter uses it):
non-Bearer auth, unknown IMS scopes, unknown namespaces and unknown merge policies."""
from __future__ import annotations

import pytest
import requests

from connector import errors
from connector.adapters.aep import AepClient
from connector.core.models import Identity
from connector.sandbox import seed
from connector.sandbox.aep import CLIENT_ID, CLIENT_SECRET, MERGE_POLICY_ID, ORG_ID

ENTITIES = "/data/core/ups/access/entities"
CUSTOMER = seed.customer(5)
PROFILE = {"schema.name": "_xdm.context.profile"}


@pytest.fixture()
def token(settings):
    return AepClient(settings).auth.token()


def headers(token: str, **overrides: str) -> dict:
    return {"Authorization": f"Bearer {token}", "x-api-key": CLIENT_ID, "x-gw-ims-org-id": ORG_ID,
            "x-sandbox-name": "prod", **overrides}


def get_profile(aep, token, **params) -> requests.Response:
    return requests.get(aep.url + ENTITIES, headers=headers(token), params={**PROFILE, **params}, timeout=5)


@pytest.mark.parametrize("authorization", ["{token}", "Basic {token}", "bearer-ish {token}"])
def test_the_token_only_counts_in_a_bearer_header(aep, token, authorization):
    response = requests.get(aep.url + ENTITIES, timeout=5, params={**PROFILE, "entityId": CUSTOMER.crm_id,
                                                                   "entityIdNS": "CRMID"},
                            headers=headers(token, Authorization=authorization.format(token=token)))
    assert response.status_code == 401 and response.json() == {"error_code": "401013",
                                                               "message": "Oauth token is not valid"}


def ims_token(aep, scope: str) -> requests.Response:
    return requests.post(aep.url + "/ims/token/v3", timeout=5, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": scope})


def test_ims_refuses_scopes_the_credential_does_not_have(aep):
    response = ims_token(aep, "openid,AdobeID,read_pc.dma_tartan")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope" and response.json()["error_description"]
    assert ims_token(aep, "openid,AdobeID,read_organizations").status_code == 200


def test_unknown_namespace_is_a_client_error_not_a_missing_profile(aep, token):
    response = get_profile(aep, token, entityId="x", entityIdNS="NoSuchNS")
    assert response.status_code == 400
    body = response.json()
    assert body["type"].endswith("/UPS-1005-400") and "NoSuchNS" in body["title"] and body["status"] == 400
    missing = get_profile(aep, token, entityId="nobody@example.com", entityIdNS="Email")
    assert missing.status_code == 404  # a known namespace without a profile stays "not found"


def test_a_sandbox_without_crmid(aep, token):
    aep.world.absent_namespaces = {"CRMID"}
    listed = requests.get(aep.url + "/data/core/idnamespace/identities", headers=headers(token), timeout=5).json()
    assert "CRMID" not in {n["code"] for n in listed} and "Email" in {n["code"] for n in listed}
    assert get_profile(aep, token, entityId=CUSTOMER.crm_id, entityIdNS="crmid").status_code == 400
    assert get_profile(aep, token, entityId=CUSTOMER.email, entityIdNS="Email").status_code == 200
    bulk = requests.post(aep.url + ENTITIES, headers=headers(token), timeout=5, json={
        "schema": {"name": "_xdm.context.profile"},
        "identities": [{"entityId": CUSTOMER.crm_id, "entityIdNS": {"code": "CRMID"}}]})
    assert bulk.status_code == 400
    events = requests.get(aep.url + ENTITIES, headers=headers(token), timeout=5, params={
        "schema.name": "_xdm.context.experienceevent", "relatedSchema.name": "_xdm.context.profile",
        "relatedEntityId": CUSTOMER.crm_id, "relatedEntityIdNS": "CRMID"})
    assert events.status_code == 400


def test_the_namespace_knob_over_http(aep, token):
    answer = requests.post(aep.url + "/__sandbox/namespaces", json={"absent": ["CRMID"]}, timeout=5).json()
    assert "CRMID" not in answer["namespaces"]
    assert get_profile(aep, token, entityId=CUSTOMER.crm_id, entityIdNS="CRMID").status_code == 400


def test_unknown_merge_policy_is_refused(aep, token):
    response = get_profile(aep, token, entityId=CUSTOMER.email, entityIdNS="Email", mergePolicyId="no-such-policy")
    assert response.status_code == 400 and response.json()["type"].endswith("/UPS-1003-400")


def test_the_adapter_reads_a_refused_namespace_as_namespace_unknown(aep, settings):
    aep.world.absent_namespaces = {"CRMID"}
    with pytest.raises(errors.NamespaceUnknown, match="CRMID"):
        AepClient(settings).get_profile(Identity("CRMID", CUSTOMER.crm_id), fields=["person.name"])


def test_the_adapter_refuses_an_unknown_merge_policy_loudly(aep, settings):
    client = AepClient(settings.replace(aep_merge_policy_id="no-such-policy"))
    with pytest.raises(errors.UpstreamError, match="UPS-1003-400") as info:
        client.get_profile(Identity("Email", CUSTOMER.email), fields=["person.name"])
    assert not info.value.retryable and not isinstance(info.value, errors.NamespaceUnknown)
    assert client.merge_policy_exists("no-such-policy") is False


def post_profiles(aep, token, **extra) -> requests.Response:
    body = {"schema": {"name": "_xdm.context.profile"}, "fields": ["person.name"],
            "identities": [{"entityId": CUSTOMER.email, "entityIdNS": {"code": "Email"}}], **extra}
    return requests.post(aep.url + ENTITIES, headers=headers(token), json=body, timeout=5)


def test_post_without_merge_policy_is_refused_when_the_sandbox_has_no_default(aep, token):
    aep.world.default_merge_policy = False
    refused = post_profiles(aep, token)
    assert refused.status_code == 422 and refused.json()["type"].endswith("/UPS-1002-422")
    assert get_profile(aep, token, entityId=CUSTOMER.email, entityIdNS="Email").status_code == 422
    named = post_profiles(aep, token, mergePolicyId=MERGE_POLICY_ID)
    assert named.status_code == 200 and len(named.json()) == 1  # an explicit policy still serves
    assert post_profiles(aep, token, mergePolicyId="no-such-policy").status_code == 400


def test_the_adapter_bulk_lookup_reports_a_missing_default_merge_policy(aep, settings):
    aep.world.default_merge_policy = False
    client = AepClient(settings)
    with pytest.raises(errors.UpstreamError, match="UPS-1002-422") as info:
        client.get_profiles([Identity("Email", CUSTOMER.email)], fields=["person.name"])
    assert info.value.upstream_status == 422 and not info.value.retryable
    assert not isinstance(info.value, (errors.NamespaceUnknown, errors.ProfileNotServable))
    posts = aep.world.calls(ENTITIES, "POST")
    assert len(posts) == 1 and isinstance(posts[0].json, dict) and "mergePolicyId" not in posts[0].json
