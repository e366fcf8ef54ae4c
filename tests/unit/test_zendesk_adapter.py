"""The Zendesk adapter's exact requests, over requests-mock."""
from __future__ import annotations

import base64

import pytest

from connector import errors
from connector.adapters.zendesk import Requester, ZendeskAgent, ZendeskClient
from connector.config import Settings

BASE = "https://acme.zendesk.com"
SETTINGS = Settings(zendesk_url=BASE, zendesk_email="agent@acme.example", zendesk_api_token="tok-1")
AUTH = "Basic " + base64.b64encode(b"agent@acme.example/token:tok-1").decode()


@pytest.fixture()
def client():
    return ZendeskClient(SETTINGS)


def test_read_ticket_sideloads_the_requester(requests_mock, client):
    requests_mock.get(f"{BASE}/api/v2/tickets/5.json", json={
        "ticket": {"id": 5, "requester_id": 11, "tags": ["web"], "custom_fields": [{"id": 360001, "value": 3.5}]},
        "users": [{"id": 11, "name": "Jane", "email": "jane@example.com", "phone": "", "external_id": "crm-1",
                   "user_fields": {"tier": None}}]})
    ticket = client.read_ticket(5)
    (sent,) = requests_mock.request_history
    assert sent.qs == {"include": ["users"]} and sent.headers["Authorization"] == AUTH
    assert ticket.requester == Requester(11, "Jane", "jane@example.com", None, "crm-1", {"tier": None})
    assert ticket.custom_fields == {"360001": 3.5} and ticket.tags == frozenset({"web"})


def test_update_ticket_is_one_put_with_note_fields_and_added_tags(requests_mock, client):
    requests_mock.put(f"{BASE}/api/v2/tickets/5.json", json={"ticket": {"id": 5}, "audit": {"id": 1, "events": []}})
    client.update_ticket(5, custom_fields={"360001": 12.5}, add_tags=["aep_enriched"], note="hello")
    (sent,) = requests_mock.request_history
    assert sent.method == "PUT" and sent.headers["Content-Type"] == "application/json"
    body = sent.json()["ticket"]
    assert body["id"] == 5 and body["custom_fields"] == [{"id": 360001, "value": 12.5}]
    assert body["additional_tags"] == ["aep_enriched"]
    assert body["comment"]["body"] == "hello" and body["comment"]["public"] is False
    assert "tags" not in body  # never the whole tag list: concurrent edits survive


def test_update_user_sends_only_the_changed_fields(requests_mock, client):
    requests_mock.put(f"{BASE}/api/v2/users/11.json", json={"user": {"id": 11}})
    client.update_user(Requester(11, "Jane", None, None, None), {"tier": "gold"})
    sent = requests_mock.request_history[0].json()
    assert sent == {"user": {"id": 11, "name": "Jane", "user_fields": {"tier": "gold"}}}


def test_429_raises_with_retry_after_and_closes_the_gate(requests_mock, client):
    requests_mock.put(f"{BASE}/api/v2/tickets/5.json", status_code=429, headers={"Retry-After": "30"},
                      json={"error": "TooManyRequests"})
    with pytest.raises(errors.UpstreamRateLimited) as info:
        client.update_ticket(5, custom_fields={}, add_tags=["x"], note=None)
    assert info.value.retry_after == 30.0
    calls = len(requests_mock.request_history)
    with pytest.raises(errors.UpstreamRateLimited) as again:
        client.read_ticket(6)
    assert len(requests_mock.request_history) == calls  # the gate answered, not Zendesk
    assert 0 < again.value.retry_after <= 30


@pytest.mark.parametrize("status, error", [(409, errors.UpstreamConflict), (422, errors.UpstreamError),
                                           (503, errors.UpstreamUnavailable), (401, errors.UpstreamAuthError)])
def test_write_errors_are_translated(requests_mock, client, status, error):
    requests_mock.put(f"{BASE}/api/v2/tickets/5.json", status_code=status,
                      json={"error": "Something", "description": "went wrong"})
    with pytest.raises(error) as info:
        client.update_ticket(5, custom_fields={"1": 1}, add_tags=[], note=None)
    assert info.value.upstream_status == status


def test_read_ticket_carries_what_decides_who_may_see_it(requests_mock, client):
    requests_mock.get(f"{BASE}/api/v2/tickets/5.json", json={
        "ticket": {"id": 5, "requester_id": 11, "assignee_id": 7, "group_id": 20, "organization_id": 500},
        "users": [{"id": 11, "name": "Jane", "organization_id": 500}]})
    ticket = client.read_ticket(5)
    assert (ticket.requester_id, ticket.assignee_id, ticket.group_id, ticket.organization_id) == (11, 7, 20, 500)
    assert ticket.requester.organization_id == 500


def test_read_agent_is_one_get_of_the_user(requests_mock, client):
    requests_mock.get(f"{BASE}/api/v2/users/6.json", json={"user": {
        "id": 6, "role": "agent", "ticket_restriction": "groups", "role_type": 0, "custom_role_id": 360100,
        "organization_id": None, "active": True, "suspended": False, "email": "grace@acme.example"}})
    agent = client.read_agent(6)
    (sent,) = requests_mock.request_history
    assert sent.method == "GET" and sent.headers["Authorization"] == AUTH and sent.qs == {}
    assert agent == ZendeskAgent(id=6, role="agent", ticket_restriction="groups", role_type=0,
                                 custom_role_id=360100, organization_id=None, active=True, suspended=False)


def test_read_agent_of_a_suspended_end_user(requests_mock, client):
    requests_mock.get(f"{BASE}/api/v2/users/9.json", json={"user": {"id": 9, "role": "end-user",
                                                                     "suspended": True, "active": False}})
    agent = client.read_agent(9)
    assert (agent.role, agent.ticket_restriction, agent.suspended, agent.active) == ("end-user", None, True, False)


def test_group_ids_follow_the_cursor_on_our_own_base_url(requests_mock, client):
    url = f"{BASE}/api/v2/users/6/group_memberships.json"
    requests_mock.get(url, [
        {"json": {"group_memberships": [{"id": 1, "user_id": 6, "group_id": 10}],
                  "meta": {"has_more": True, "after_cursor": "c1"}, "links": {"next": "https://evil.example/x"}}},
        {"json": {"group_memberships": [{"id": 2, "user_id": 6, "group_id": 20}],
                  "meta": {"has_more": False, "after_cursor": None}}},
    ])
    assert client.group_ids(6) == frozenset({10, 20})
    first, second = requests_mock.request_history
    assert first.qs == {"page[size]": ["100"]}
    assert second.url.startswith(url) and second.qs == {"page[size]": ["100"], "page[after]": ["c1"]}


def test_an_unknown_agent_is_a_404_upstream_error(requests_mock, client):
    requests_mock.get(f"{BASE}/api/v2/users/404.json", status_code=404,
                      json={"error": "RecordNotFound", "description": "Not found"})
    with pytest.raises(errors.UpstreamError) as info:
        client.read_agent(404)
    assert info.value.upstream_status == 404


def test_list_webhooks_follows_the_cursor_pages(requests_mock, client):
    url = f"{BASE}/api/v2/webhooks"
    requests_mock.get(url, [
        {"json": {"webhooks": [{"id": "01A"}, {"id": "01B"}], "links": {"next": f"{url}?page[after]=01B"},
                  "meta": {"has_more": True, "after_cursor": "01B", "before_cursor": None}}},
        {"json": {"webhooks": [{"id": "01C", "name": "AEP connector"}], "links": {"next": None},
                  "meta": {"has_more": False, "after_cursor": None, "before_cursor": None}}},
    ])
    assert [h["id"] for h in client.list_webhooks()] == ["01A", "01B", "01C"]
    first, second = requests_mock.request_history
    assert first.method == "GET" and first.path == "/api/v2/webhooks" and first.qs == {"page[size]": ["100"]}
    assert second.url == f"{url}?page%5Bsize%5D=100&page%5Bafter%5D=01B"  # the cursor as given, case kept
    assert first.headers["Authorization"] == AUTH and second.headers["Authorization"] == AUTH


def test_list_webhooks_refuses_an_endless_listing(requests_mock, client):
    from connector.adapters.zendesk import WEBHOOK_PAGES_MAX

    requests_mock.get(f"{BASE}/api/v2/webhooks", json={"webhooks": [{"id": "01A"}], "meta": {
        "has_more": True, "after_cursor": "01A", "before_cursor": None}})
    with pytest.raises(errors.UpstreamError, match="more than"):
        client.list_webhooks()
    assert len(requests_mock.request_history) == WEBHOOK_PAGES_MAX
