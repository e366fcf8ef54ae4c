"""The Zendesk emulator speaks what the real client library expects: zenpy against it over HTTP."""
from __future__ import annotations

import requests
from zenpy import Zenpy
from zenpy.lib.api import BaseApi
from zenpy.lib.api_objects import Ticket

from connector.sandbox.zendesk import AGENT_EMAIL, API_TOKEN


def zenpy_for(zd) -> Zenpy:
    host = zd.url.split("//", 1)[1]
    subdomain, _, domain = host.partition(".")
    client = Zenpy(subdomain=subdomain, domain=domain, email=AGENT_EMAIL, token=API_TOKEN, disable_cache=True)
    for api in vars(client).values():
        if isinstance(api, BaseApi):
            api.protocol = "http"
    return client


def test_zenpy_bulk_update_returns_a_job_status_that_completes(zd):
    client = zenpy_for(zd)
    job = client.tickets.update([Ticket(id=1, status="open"), Ticket(id=2, status="pending")])
    assert job.status == "queued"
    done = client.job_status(id=job.id)
    assert done.status == "completed" and done.total == 2
    # results as Zendesk reports updated tickets (§3.4)
    assert [(r.id, r.action, r.status) for r in done.results] == [(1, "updated", "Updated"), (2, "updated", "Updated")]
    assert (zd.world.tickets[1]["status"], zd.world.tickets[2]["status"]) == ("open", "pending")
    assert zd.world.calls("/api/v2/tickets/update_many.json", "PUT")[0][2] == {
        "tickets": [{"id": 1, "status": "open"}, {"id": 2, "status": "pending"}]}


def test_bulk_over_100_is_too_many_values(zd):
    response = requests.put(f"{zd.url}/api/v2/tickets/update_many.json", auth=(f"{AGENT_EMAIL}/token", API_TOKEN),
                            json={"tickets": [{"id": i} for i in range(1, 102)]}, timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "TooManyValues"


def test_rate_limit_of_a_plan_answers_429_with_retry_after(zd):
    zd.world.use_plan("team")
    zd.world.rate_limit = 3  # a spent Team budget, without 200 calls
    session = requests.Session()
    session.auth = (f"{AGENT_EMAIL}/token", API_TOKEN)
    answers = [session.get(f"{zd.url}/api/v2/tickets/1.json", timeout=5) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-Rate-Limit"] == "3" and answers[2].headers["X-Rate-Limit-Remaining"] == "0"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60


def test_bad_credentials_and_unknown_records_use_zendesk_error_bodies(zd):
    response = requests.get(f"{zd.url}/api/v2/tickets/1.json", auth=("x/token", "nope"), timeout=5)
    assert response.status_code == 401 and response.json() == {"error": "Couldn't authenticate you"}
    missing = requests.get(f"{zd.url}/api/v2/tickets/99999.json", auth=(f"{AGENT_EMAIL}/token", API_TOKEN), timeout=5)
    assert missing.status_code == 404 and missing.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_public_key_is_served_anonymously(zd):
    response = requests.get(f"{zd.url}/api/v2/apps/1000/public_key.pem", timeout=5)
    assert response.status_code == 200 and response.text.startswith("-----BEGIN PUBLIC KEY-----")


def test_agents_have_roles_restrictions_and_group_memberships_in_cursor_pages(zd):
    auth = (f"{AGENT_EMAIL}/token", API_TOKEN)
    grace = requests.get(f"{zd.url}/api/v2/users/6.json", auth=auth, timeout=5).json()["user"]
    assert (grace["role"], grace["ticket_restriction"], grace["role_type"], grace["custom_role_id"]) == (
        "agent", "groups", 0, 360100)
    url = f"{zd.url}/api/v2/users/5/group_memberships.json"
    first = requests.get(url, params={"page[size]": "1"}, auth=auth, timeout=5).json()
    assert [m["group_id"] for m in first["group_memberships"]] == [10] and first["meta"]["has_more"] is True
    second = requests.get(url, params={"page[size]": "1", "page[after]": first["meta"]["after_cursor"]},
                          auth=auth, timeout=5).json()
    assert [m["group_id"] for m in second["group_memberships"]] == [20] and second["meta"]["has_more"] is False
    ticket = requests.get(f"{zd.url}/api/v2/tickets/10.json", auth=auth, timeout=5).json()["ticket"]
    assert (ticket["group_id"], ticket["assignee_id"]) == (20, 7)
    role = requests.get(f"{zd.url}/api/v2/custom_roles/360100.json", auth=auth, timeout=5).json()["custom_role"]
    assert role["configuration"]["ticket_access"] == "within-groups"
    assert requests.get(f"{zd.url}/api/v2/groups.json", auth=auth, timeout=5).json()["groups"][0]["name"] == "Support"
    assert requests.get(f"{zd.url}/api/v2/users/99999/group_memberships.json", auth=auth,
                        timeout=5).status_code == 404
