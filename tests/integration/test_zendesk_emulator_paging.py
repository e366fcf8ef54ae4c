"""Cursor lists of the Zendesk emulator page as Zendesk's do (reference §1.1, §3.4): ``page[size]``,
``page[after]``, ``meta.has_more`` / ``after_cursor`` and a followable ``links.next`` (requests, as the
connector's own session calls them)."""
from __future__ import annotations

import requests

from connector.sandbox.zendesk import AGENT_EMAIL, API_TOKEN

AUTH = (f"{AGENT_EMAIL}/token", API_TOKEN)
HOOK = {"endpoint": "https://example.test/hook", "http_method": "POST", "request_format": "json",
        "status": "active", "subscriptions": ["conditional_ticket_events"]}


def create_hooks(zd, count: int) -> list[str]:
    return [requests.post(f"{zd.url}/api/v2/webhooks", auth=AUTH, timeout=5,
                          json={"webhook": {**HOOK, "name": f"hook {n}"}}).json()["webhook"]["id"]
            for n in range(count)]


def test_webhooks_are_listed_in_cursor_pages_with_a_next_link(zd):
    ids = create_hooks(zd, 5)
    first = requests.get(f"{zd.url}/api/v2/webhooks", params={"page[size]": "2"}, auth=AUTH, timeout=5).json()
    assert [h["id"] for h in first["webhooks"]] == ids[:2]
    assert first["meta"] == {"has_more": True, "after_cursor": ids[1], "before_cursor": None}
    seen, body = [], first
    while True:
        seen += [h["id"] for h in body["webhooks"]]
        if not body["meta"]["has_more"]:
            assert body["links"]["next"] is None and body["meta"]["after_cursor"] is None
            break
        assert body["links"]["next"].startswith(f"{zd.url}/api/v2/webhooks?") and "page%5Bsize%5D=2" in \
            body["links"]["next"]
        body = requests.get(body["links"]["next"], auth=AUTH, timeout=5).json()
    assert seen == ids
    by_cursor = requests.get(f"{zd.url}/api/v2/webhooks", params={"page[size]": "2", "page[after]": ids[3]},
                             auth=AUTH, timeout=5).json()
    assert [h["id"] for h in by_cursor["webhooks"]] == ids[4:] and by_cursor["meta"]["has_more"] is False


def test_webhooks_pages_hold_at_most_100(zd):
    create_hooks(zd, 101)
    body = requests.get(f"{zd.url}/api/v2/webhooks", params={"page[size]": "500"}, auth=AUTH, timeout=5).json()
    assert len(body["webhooks"]) == 100 and body["meta"]["has_more"] is True and body["links"]["next"]
    assert len(requests.get(f"{zd.url}/api/v2/webhooks", auth=AUTH, timeout=5).json()["webhooks"]) == 100


def test_an_unknown_cursor_is_a_client_error(zd):
    create_hooks(zd, 1)
    response = requests.get(f"{zd.url}/api/v2/webhooks", params={"page[after]": "nope"}, auth=AUTH, timeout=5)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "InvalidPaginationParameter"


def test_every_cursor_list_links_its_next_page(zd):
    url = f"{zd.url}/api/v2/groups.json"
    first = requests.get(url, params={"page[size]": "1"}, auth=AUTH, timeout=5).json()
    assert first["meta"]["has_more"] is True and first["links"]["next"]
    rest = requests.get(first["links"]["next"], auth=AUTH, timeout=5).json()
    assert rest["groups"] and rest["groups"][0]["id"] > first["groups"][0]["id"]
    memberships = requests.get(f"{zd.url}/api/v2/users/5/group_memberships.json", params={"page[size]": "1"},
                               auth=AUTH, timeout=5).json()
    assert memberships["meta"]["has_more"] is True and memberships["links"]["next"]
