"""The AEP adapter's exact requests, over requests-mock (no network)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connector import errors
from connector.adapters.aep import AepClient
from connector.config import Settings
from connector.core.models import Identity
from tests.helpers import fixture

IMS = "https://ims.test"
PLATFORM = "https://platform.test"
TOKEN_URL = IMS + "/ims/token/v3"
ENTITIES = PLATFORM + "/data/core/ups/access/entities"
MERGE = PLATFORM + "/data/core/ups/config/mergePolicies"
BULK = PLATFORM + "/data/core/ups/segment/definitions/bulk-get"
SETTINGS = Settings(aep_client_id="client-1", aep_client_secret="secret-1", aep_org_id="ORG@AdobeOrg",
                    aep_scopes="openid,AdobeID", aep_sandbox="dev", aep_ims_url=IMS, aep_platform_url=PLATFORM,
                    aep_merge_policy_id="mp-1", aep_retries=2, aep_max_retry_wait=5.0)
JANE = Identity("Email", "janedoe@example.com")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def aep(clock):
    return AepClient(SETTINGS, sleep=clock.sleep, clock=clock)


def token_response(token="tok-1", expires_in=86399):
    return {"json": {"access_token": token, "token_type": "bearer", "expires_in": expires_in}}


def query(request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url).query, keep_blank_values=True)


def calls(m, url):
    return [r for r in m.request_history if r.url.split("?")[0] == url]


def test_profile_lookup_sends_the_documented_request(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, json=fixture("aep", "profile__doc_example"))

    profile = aep.get_profile(JANE, fields=["identities", "person.name", "workEmail"])

    token_req, get_req = requests_mock.request_history
    assert token_req.method == "POST"
    assert token_req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_req.text) == {"grant_type": ["client_credentials"], "client_id": ["client-1"],
                                        "client_secret": ["secret-1"], "scope": ["openid,AdobeID"]}
    assert get_req.method == "GET"
    assert query(get_req) == {"schema.name": ["_xdm.context.profile"], "entityId": ["janedoe@example.com"],
                              "entityIdNS": ["Email"], "fields": ["identities,person.name,workEmail"],
                              "mergePolicyId": ["mp-1"]}
    assert get_req.headers["Authorization"] == "Bearer tok-1"
    assert get_req.headers["x-api-key"] == "client-1"
    assert get_req.headers["x-gw-ims-org-id"] == "ORG@AdobeOrg"
    assert get_req.headers["x-sandbox-name"] == "dev"
    assert profile.entity_id == "BVrqzwVv7o2p3naHvnsWpqZXv3KJgA"
    assert profile.entity["person"]["name"]["firstName"] == "Jane"


def test_token_is_reused_across_calls_and_refreshed_before_expiry(requests_mock, aep, clock):
    requests_mock.post(TOKEN_URL, [token_response("tok-1", 3600), token_response("tok-2", 3600)])
    requests_mock.get(ENTITIES, json=fixture("aep", "profile__doc_example"))

    aep.get_profile(JANE, fields=["person.name"])
    aep.get_profile(JANE, fields=["person.name"])
    clock.now += 3600 - 300 - 1  # still outside the refresh margin (5 minutes before expiry)
    aep.get_profile(JANE, fields=["person.name"])
    assert len(calls(requests_mock, TOKEN_URL)) == 1
    clock.now += 2  # inside the margin: refresh ahead of expiry
    aep.get_profile(JANE, fields=["person.name"])

    assert len(calls(requests_mock, TOKEN_URL)) == 2
    auth = [r.headers["Authorization"] for r in calls(requests_mock, ENTITIES)]
    assert auth == ["Bearer tok-1"] * 3 + ["Bearer tok-2"]


def test_a_401_fetches_a_new_token_once(requests_mock, aep):
    requests_mock.post(TOKEN_URL, [token_response("old"), token_response("new")])
    requests_mock.get(ENTITIES, [
        {"status_code": 401, "json": {"error_code": "401013", "message": "Oauth token is not valid"}},
        {"json": fixture("aep", "profile__doc_example")},
    ])
    assert aep.get_profile(JANE, fields=["person.name"]) is not None
    assert [r.headers["Authorization"] for r in calls(requests_mock, ENTITIES)] == ["Bearer old", "Bearer new"]


def test_a_second_401_is_an_auth_error(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, status_code=401, json={"error_code": "401013", "message": "Oauth token is not valid"})
    with pytest.raises(errors.UpstreamAuthError, match="401013 Oauth token is not valid"):
        aep.get_profile(JANE, fields=["person.name"])
    assert len(calls(requests_mock, ENTITIES)) == 2


def test_ims_refusal_is_a_clear_auth_error(requests_mock, aep):
    requests_mock.post(TOKEN_URL, status_code=401,
                       json={"error": "invalid_client", "error_description": "invalid client_id"})
    with pytest.raises(errors.UpstreamAuthError, match="Adobe IMS refused the credential.*invalid_client"):
        aep.get_profile(JANE, fields=["person.name"])


@pytest.mark.parametrize("response", [
    {"status_code": 404, "json": {"type": "http://ns.adobe.com/aep/errors/UPS-1001-404", "status": 404}},
    {"status_code": 200, "json": {}},
    {"status_code": 200, "text": ""},
    {"status_code": 200, "json": fixture("aep", "profile__bulk_miss")},
])
def test_every_shape_of_no_profile_is_none(requests_mock, aep, response):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, **response)
    assert aep.get_profile(JANE, fields=["person.name"]) is None


def test_documentation_variant_with_extra_keys_and_odd_timestamps(requests_mock, aep):
    body = fixture("aep", "profile__tutorial_identitymap")
    body["_links"] = {"self": "ignored"}  # extra top-level keys are tolerated
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, json=body)
    profile = aep.get_profile(JANE, fields=["person.name"])
    assert profile.entity_id == "A29cgveD5y64ezlhxjUXNzcm"
    assert profile.last_modified_at.isoformat() == "2018-09-18T02:07:42+00:00"


def test_too_many_related_identities_is_not_servable(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, status_code=422, json={
        "code": "UPS-ACCSDK-1000005", "message": "UPS-ACCSDK-1000005:Too many related identities. Got: 446, max: 50"})
    with pytest.raises(errors.ProfileNotServable):
        aep.get_profile(JANE, fields=["person.name"])
    assert len(calls(requests_mock, ENTITIES)) == 1  # not retried


def test_429_waits_for_retry_after_then_succeeds(requests_mock, aep, clock):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, [
        {"status_code": 429, "headers": {"Retry-After": "3"}, "json": {}},
        {"status_code": 503, "json": {}},
        {"json": fixture("aep", "profile__doc_example")},
    ])
    assert aep.get_profile(JANE, fields=["person.name"]) is not None
    assert clock.slept[0] == 3.0
    assert 0 < clock.slept[1] <= 0.4  # backoff, no Retry-After on the 503
    assert len(calls(requests_mock, ENTITIES)) == 3


def test_retry_after_longer_than_the_cap_raises_with_the_delay(requests_mock, aep, clock):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, status_code=429, headers={"Retry-After": "120"}, json={})
    with pytest.raises(errors.UpstreamRateLimited) as info:
        aep.get_profile(JANE, fields=["person.name"])
    assert info.value.retry_after == 120.0 and info.value.retryable
    assert clock.slept == []


def test_5xx_retries_are_bounded(requests_mock, aep, clock):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, status_code=500, json={"title": "InternalError", "status": 500})
    with pytest.raises(errors.UpstreamUnavailable, match="HTTP 500"):
        aep.get_profile(JANE, fields=["person.name"])
    assert len(calls(requests_mock, ENTITIES)) == 1 + SETTINGS.aep_retries


def test_timeouts_become_upstream_unavailable(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, exc=requests.exceptions.ConnectTimeout)
    with pytest.raises(errors.UpstreamUnavailable, match="did not answer within 5s"):
        aep.get_profile(JANE, fields=["person.name"])


def test_events_follow_next_links_without_doubling_the_path(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, [{"json": fixture("aep", "events__page1")},
                                 {"json": fixture("aep", "events__last_page")}])
    page = aep.get_events(Identity("ECID", "89149270342662559642753730269986316900"), limit=10, max_pages=5,
                          fields=["eventType", "commerce"])
    first, second = calls(requests_mock, ENTITIES)
    assert query(first) == {"schema.name": ["_xdm.context.experienceevent"],
                            "relatedSchema.name": ["_xdm.context.profile"],
                            "relatedEntityId": ["89149270342662559642753730269986316900"],
                            "relatedEntityIdNS": ["ECID"], "orderby": ["-timestamp"], "limit": ["10"],
                            "fields": ["eventType,commerce"]}
    assert second.url.startswith(PLATFORM + "/data/core/ups/access/entities?start=c8d11988")
    assert [e.event_type for e in page.events] == ["commerce.purchases", "directMarketing.emailOpened"]
    assert page.unavailable is None


def test_events_stop_at_max_pages(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, json=fixture("aep", "events__page1"))
    page = aep.get_events(JANE, limit=10, max_pages=2)
    assert len(calls(requests_mock, ENTITIES)) == 2 and len(page.events) == 2


@pytest.mark.parametrize("status", [403, 404, 500])
def test_events_unavailable_degrade_instead_of_failing(requests_mock, aep, status):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(ENTITIES, status_code=status, json={"error_code": f"{status}000", "message": "no"})
    page = aep.get_events(JANE, limit=10, max_pages=2)
    assert page.events == () and page.unavailable


def test_bulk_lookup_posts_identities_and_skips_misses(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    body = {**fixture("aep", "profile__doc_example"), **fixture("aep", "profile__bulk_miss")}
    requests_mock.post(ENTITIES, json=body)
    found = aep.get_profiles([JANE, Identity("ECID", "1" * 38)], fields=["person.name", "identities"])
    sent = calls(requests_mock, ENTITIES)[0]
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.json() == {"schema": {"name": "_xdm.context.profile"}, "fields": ["person.name", "identities"],
                           "identities": [{"entityId": "janedoe@example.com", "entityIdNS": {"code": "Email"}},
                                          {"entityId": "1" * 38, "entityIdNS": {"code": "ECID"}}],
                           "mergePolicyId": "mp-1"}
    assert [p.entity_id for p in found] == ["BVrqzwVv7o2p3naHvnsWpqZXv3KJgA"]


def test_default_merge_policy_is_resolved_once(requests_mock, clock):
    aep = AepClient(SETTINGS.replace(aep_merge_policy_id=None), sleep=clock.sleep, clock=clock)
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.get(MERGE, json={"_page": {"totalCount": 1}, "children": [{"id": "default-mp", "default": True}],
                                   "_links": {"next": {"href": ""}}})
    requests_mock.get(ENTITIES, json={})
    aep.get_profile(JANE, fields=["person.name"])
    aep.get_profile(JANE, fields=["person.name"])
    assert query(calls(requests_mock, MERGE)[0]) == {"schema.name": ["_xdm.context.profile"], "default": ["true"]}
    assert len(calls(requests_mock, MERGE)) == 1
    assert [query(r)["mergePolicyId"] for r in calls(requests_mock, ENTITIES)] == [["default-mp"]] * 2


def test_segment_names_use_one_bulk_get_and_are_cached(requests_mock, aep):
    requests_mock.post(TOKEN_URL, **token_response())
    requests_mock.post(BULK, status_code=207, json={"results": {"s1": {"id": "s1", "name": "Churn risk"}}})
    assert aep.segment_names(["s1", "s2"]) == {"s1": "Churn risk"}
    assert calls(requests_mock, BULK)[0].json() == {"ids": [{"id": "s1"}, {"id": "s2"}]}
    assert aep.segment_names(["s1"]) == {"s1": "Churn risk"}
    assert len(calls(requests_mock, BULK)) == 1


def test_missing_credentials_refuse_to_build_a_client():
    with pytest.raises(errors.ConfigError, match="CONNECTOR_AEP_CLIENT_SECRET"):
        AepClient(Settings(aep_client_id="x", aep_org_id="o"))
