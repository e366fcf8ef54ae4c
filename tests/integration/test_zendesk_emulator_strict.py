"""The Zendesk emulator refuses what Zendesk refuses, driven by zenpy (and requests where the
connector uses its own session): field values, auth modes, rate-limit headers, routes, 404s, triggers."""
from __future__ import annotations

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import CustomField, Ticket, User
from zenpy.lib.exception import APIException, RecordNotFoundException

from connector.sandbox.zendesk import AGENT_EMAIL, API_TOKEN, OAUTH_TOKEN

AUTH = (f"{AGENT_EMAIL}/token", API_TOKEN)
CHECKBOX = {"id": 360004, "type": "checkbox", "title": "AEP e-mail consent"}


@pytest.fixture(autouse=True)
def _zenpy_to_the_emulator(zd, monkeypatch):
    """zenpy's documented emulator hooks (reference/zendesk.md §3.2): every call goes to the emulator."""
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", zd.url.split("//", 1)[1])
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")


def zenpy_for(zd, **auth) -> Zenpy:
    credentials = auth or {"email": AGENT_EMAIL, "token": API_TOKEN}
    return Zenpy(subdomain="acme", timeout=5, disable_cache=True, **credentials)


def put_ticket(zd, ticket_id: int, body: dict) -> requests.Response:
    return requests.put(f"{zd.url}/api/v2/tickets/{ticket_id}.json", json={"ticket": body}, auth=AUTH, timeout=5)


def refused(excinfo) -> dict:
    response = excinfo.value.response
    assert response.status_code == 422
    return response.json()


def test_tagger_takes_only_an_option_tag_value(zd):
    client = zenpy_for(zd)
    with pytest.raises(APIException) as info:
        client.tickets.update(Ticket(id=5, custom_fields=[CustomField(id=360002, value="High risk")]))
    body = refused(info)
    assert body["error"] == "RecordInvalid" and body["description"] == "Record validation errors"
    assert body["details"] == {"base": [{"description": "AEP churn risk: is not a valid option",
                                         "error": "InvalidValue", "field_key": 360002}]}
    assert {f["id"]: f["value"] for f in zd.world.tickets[5]["custom_fields"]}[360002] is None  # nothing applied

    client.tickets.update(Ticket(id=5, custom_fields=[CustomField(id=360002, value="high")]))
    assert {f["id"]: f["value"] for f in zd.world.tickets[5]["custom_fields"]}[360002] == "high"


@pytest.mark.parametrize(("field_id", "bad", "good"), [
    (360001, "a lot", 1234.5),   # decimal: a number (numeric text is accepted too)
    (360001, True, "99.90"),
    (360004, "yes", True),       # checkbox: a boolean
])
def test_decimal_and_checkbox_values_are_typed(zd, field_id, bad, good):
    zd.world.ticket_fields.append(CHECKBOX)
    response = put_ticket(zd, 7, {"custom_fields": [{"id": field_id, "value": bad}]})
    assert response.status_code == 422 and response.json()["details"]["base"][0]["field_key"] == field_id
    assert put_ticket(zd, 7, {"custom_fields": [{"id": field_id, "value": good}]}).status_code == 200
    assert {f["id"]: f["value"] for f in zd.world.tickets[7]["custom_fields"]}[field_id] == good


def test_clearing_a_field_is_always_allowed(zd):
    assert put_ticket(zd, 7, {"custom_fields": [{"id": 360002, "value": None}]}).status_code == 200


def test_unknown_user_field_keys_are_dropped_not_stored(zd):
    client = zenpy_for(zd)
    client.users.update(User(id=1001, name="Jane", user_fields={"no_such_key": "x", "aep_loyalty_tier": "gold"}))
    stored = zd.world.users[1001]["user_fields"]
    assert stored["aep_loyalty_tier"] == "gold" and "no_such_key" not in stored
    with pytest.raises(APIException) as info:  # a known decimal key still takes numbers only
        client.users.update(User(id=1001, name="Jane", user_fields={"aep_lifetime_value": "lots"}))
    assert refused(info)["details"]["base"][0]["field_key"] == "aep_lifetime_value"


def test_api_tokens_only_with_basic_and_bearer_only_for_oauth_tokens(zd):
    url = f"{zd.url}/api/v2/users/me.json"
    assert requests.get(url, headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=5).status_code == 401
    assert requests.get(url, auth=(AGENT_EMAIL, API_TOKEN), timeout=5).status_code == 401  # password style
    assert requests.get(url, auth=AUTH, timeout=5).status_code == 200
    oauth = zenpy_for(zd, oauth_token=OAUTH_TOKEN)
    assert oauth.tickets(id=5).id == 5
    assert requests.get(url, headers={"Authorization": f"Bearer {OAUTH_TOKEN}"}, timeout=5).status_code == 200


@pytest.mark.parametrize(("families", "present", "absent"), [
    (("x-rate-limit",), {"X-Rate-Limit", "X-Rate-Limit-Remaining"}, {"ratelimit-remaining", "rate-limit-remaining"}),
    (("ratelimit",), {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "zendesk-ratelimit-tickets-update"},
     {"X-Rate-Limit", "rate-limit"}),
    (("rate-limit",), {"rate-limit", "rate-limit-remaining", "rate-limit-reset", "zendesk-rate-limit-tickets-update"},
     {"X-Rate-Limit", "ratelimit-limit"}),
])
def test_rate_limit_header_families_are_switchable(zd, families, present, absent):
    zd.world.rate_limit_headers = families
    response = put_ticket(zd, 5, {"status": "open"})
    names = {name.lower() for name in response.headers}
    assert {p.lower() for p in present} <= names and not {a.lower() for a in absent} & names
    remaining = response.headers.get("X-Rate-Limit-Remaining") or response.headers.get("ratelimit-remaining") \
        or response.headers["rate-limit-remaining"]
    assert int(remaining) == 699
    update = response.headers.get("zendesk-rate-limit-tickets-update") or \
        response.headers.get("zendesk-ratelimit-tickets-update")
    assert update is None or update.startswith("total=30; remaining=29; resets=")


def test_429_carries_retry_after_and_the_headers(zd):
    zd.world.rate_limit = 1
    zd.world.rate_limit_headers = ("rate-limit",)
    requests.get(f"{zd.url}/api/v2/users/me.json", auth=AUTH, timeout=5)
    response = requests.get(f"{zd.url}/api/v2/users/me.json", auth=AUTH, timeout=5)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert response.headers["rate-limit-remaining"] == "0"


def test_user_lookups_that_zenpy_sends(zd):
    client = zenpy_for(zd)
    jane = zd.world.users[1001]
    assert [u.id for u in client.users.search(external_id=jane["external_id"])] == [1001]
    assert [u.id for u in client.users.search(query=f"email:{jane['email']}")] == [1001]
    assert [u.id for u in client.search(type="user", email=jane["email"])] == [1001]
    assert [u.id for u in client.search(jane["email"], type="user")] == [1001]
    assert sorted(u.id for u in client.users(ids=[1001, 1002])) == [1001, 1002]
    assert [u.id for u in client.users(external_id=jane["external_id"])] == [1001]
    identities = list(client.users.identities(id=1001))
    assert {(i.type, i.value) for i in identities} >= {("email", jane["email"])}
    assert all(i.user_id == 1001 and i.primary for i in identities)
    paths = [p for _, p, _ in zd.world.calls()]
    assert "/api/v2/users/search.json" in paths and "/api/v2/users/show_many.json" in paths


def test_show_many_caps_at_100_values(zd):
    ids = ",".join(str(i) for i in range(1, 102))
    response = requests.get(f"{zd.url}/api/v2/users/show_many.json?ids={ids}", auth=AUTH, timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "TooManyValues"


def test_ticket_tags_get_add_set_and_delete(zd):
    client = zenpy_for(zd)
    client.tickets.add_tags(5, ["b", "c"])
    assert zd.world.tickets[5]["tags"] == ["web", "b", "c"]
    assert sorted(t for t in client.tickets.tags(5)) == ["b", "c", "web"]
    client.tickets.set_tags(5, ["x"])
    assert zd.world.tickets[5]["tags"] == ["x"]
    client.tickets.add_tags(5, ["y"])
    client.tickets.delete_tags(5, ["x"])
    assert zd.world.tickets[5]["tags"] == ["y"]
    methods = [m for m, p, _ in zd.world.calls("/api/v2/tickets/5/tags.json")]
    assert methods == ["PUT", "GET", "POST", "PUT", "DELETE"]


def test_update_many_by_ids_applies_one_change_to_each(zd):
    response = requests.put(f"{zd.url}/api/v2/tickets/update_many.json?ids=5,6",
                            json={"ticket": {"status": "solved", "custom_fields": [{"id": 360002, "value": "low"}]}},
                            auth=AUTH, timeout=5)
    job = response.json()["job_status"]
    done = requests.get(job["url"], auth=AUTH, timeout=5).json()["job_status"]
    assert done["status"] == "completed" and [r["id"] for r in done["results"]] == [5, 6]
    assert zd.world.tickets[5]["status"] == zd.world.tickets[6]["status"] == "solved"


def test_update_many_reports_invalid_field_values_per_ticket(zd):
    client = zenpy_for(zd)
    job = client.tickets.update([Ticket(id=5, custom_fields=[{"id": 360002, "value": "nope"}]),
                                 Ticket(id=6, status="open")])
    done = client.job_status(id=job.id)
    assert [(r.id, r.status) for r in done.results] == [(5, "Failed"), (6, "Updated")]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v2/no/such/route.json"),
    ("DELETE", "/api/v2/ticket_fields.json"),   # a known path, a method it does not take
    ("GET", "/api/v2/tickets/99999/tags.json"),
])
def test_every_404_is_json(zd, method, path):
    response = requests.request(method, zd.url + path, auth=AUTH, timeout=5)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"] in ("InvalidEndpoint", "RecordNotFound")
    assert "<html" not in response.text.lower()


def test_zenpy_sees_a_missing_record_as_record_not_found(zd):
    with pytest.raises(RecordNotFoundException):
        zenpy_for(zd).users.identities(id=424242)


def create_trigger(zd, trigger: dict) -> requests.Response:
    return requests.post(f"{zd.url}/api/v2/triggers.json", json={"trigger": trigger}, auth=AUTH, timeout=5)


def test_trigger_creation_requires_a_category_conditions_and_a_live_webhook(zd):
    hook = requests.post(f"{zd.url}/api/v2/webhooks", auth=AUTH, timeout=5, json={"webhook": {
        "name": "h", "endpoint": "https://x.example/h", "http_method": "POST", "request_format": "json",
        "status": "active", "subscriptions": ["conditional_ticket_events"]}}).json()["webhook"]
    trigger = {"title": "t", "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
               "actions": [{"field": "notification_webhook", "value": [hook["id"], "{}"]}]}
    response = create_trigger(zd, trigger)
    assert response.status_code == 422
    assert response.json()["details"] == {"category_id": [{"description": "Category: cannot be blank",
                                                           "error": "BlankValue"}]}
    assert create_trigger(zd, {**trigger, "category_id": "999"}).json()["details"]["category_id"][0]["error"] == \
        "InvalidValue"
    no_conditions = create_trigger(zd, {**trigger, "category_id": "10001", "conditions": {"all": [], "any": []}})
    assert set(no_conditions.json()["details"]) == {"conditions"}
    ghost = {**trigger, "category_id": "10001",
             "actions": [{"field": "notification_webhook", "value": ["01NOSUCHHOOK", "{}"]}]}
    assert set(create_trigger(zd, ghost).json()["details"]) == {"actions"}
    assert create_trigger(zd, {**trigger, "category_id": "10001"}).status_code == 201
    categories = requests.get(f"{zd.url}/api/v2/trigger_categories", auth=AUTH, timeout=5).json()
    assert [c["id"] for c in categories["trigger_categories"]] == ["10001"]


def test_the_per_ticket_update_limit_is_enforced(zd):
    zd.world.rate_limit_headers = ("ratelimit",)
    answers = [put_ticket(zd, 5, {"status": "open"}) for _ in range(30)]
    assert {a.status_code for a in answers} == {200}
    assert answers[-1].headers["zendesk-ratelimit-tickets-update"].startswith("total=30; remaining=0; resets=")
    refused = put_ticket(zd, 5, {"status": "pending"})
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 601
    assert refused.json() == {"error": "TooManyRequests", "description": "Rate limit exceeded"}
    assert zd.world.tickets[5]["status"] == "open" and len(zd.world.ticket_updates[5]) == 30  # not applied
    assert put_ticket(zd, 6, {"status": "open"}).status_code == 200  # another ticket has its own budget
    assert int(refused.headers["ratelimit-remaining"]) > 0  # the account budget is not what ran out


def test_the_per_ticket_limit_is_a_world_setting(zd):
    zd.world.ticket_update_limit = 2
    assert [put_ticket(zd, 5, {"status": "open"}).status_code for _ in range(3)] == [200, 200, 429]
    zd.world.ticket_update_limit = None  # advertised, not enforced
    assert put_ticket(zd, 5, {"status": "open"}).status_code == 200
