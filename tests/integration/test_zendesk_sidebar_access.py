"""The sidebar is no lookup service: the server decides whose card it is, for an agent Zendesk lets see
the record, one record per session, a budget of records a minute, every view audited."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from connector import create_app
from connector.cli import main
from connector.runtime import build_runtime
from connector.sandbox import seed
from connector.sandbox.zendesk import INTEGRATION_USER_ID
from connector.sandbox.zendesk.agents import ASSIGNED_AGENT, GROUPS_AGENT, ORG_AGENT, SUSPENDED_AGENT
from tests.integration.test_zendesk_sidebar import card, open_sidebar, session_of


def session_for(zclient, zd, *, agent_id: int = 5, location: str = "ticket_sidebar") -> str:
    return session_of(open_sidebar(zclient, zd.sidebar_token(agent_id=agent_id, location=location)))


def shows(response, index: int) -> bool:
    customer = seed.customer(index)
    return f"<h1>{customer.first} {customer.last}</h1>" in response.get_data(as_text=True)


def enrich(zclient, session, ticket_id):
    return zclient.post("/zendesk/sidebar/enrich", json={"ticket_id": ticket_id},
                        headers={"Authorization": f"Bearer {session}"})


# -- whose card ---------------------------------------------------------------------------------

def test_the_card_is_the_ticket_requesters_whatever_the_body_names(zclient, zd):
    other = seed.customer(2)
    response = card(zclient, session_for(zclient, zd), ticket_id=1,
                    requester={"email": other.crm_email, "externalId": other.crm_id, "phone": other.crm_phone})
    assert response.status_code == 200
    assert shows(response, 1) and not shows(response, 2)


def test_a_request_naming_an_identity_gets_no_card(zclient, zruntime, zd):
    other = seed.customer(2)
    response = card(zclient, session_for(zclient, zd), requester={"email": other.crm_email})
    assert response.status_code == 400 and response.get_json()["error"] == "missing_parameter"
    assert other.crm_email not in response.get_data(as_text=True) and not shows(response, 2)
    assert zruntime.store.views.list(agent_id="5") == []


def test_the_user_sidebar_shows_that_user_not_a_named_identity(zclient, zd):
    other = seed.customer(3)
    response = card(zclient, session_for(zclient, zd, location="user_sidebar"), user_id=1002,
                    requester={"email": other.crm_email})
    assert response.status_code == 200 and shows(response, 2) and not shows(response, 3)


def test_the_requester_is_read_from_zendesk_once_for_a_burst(zclient, zd):
    for _ in range(3):
        assert card(zclient, session_for(zclient, zd), ticket_id=1).status_code == 200
    assert len(zd.world.calls("/api/v2/tickets/1.json", "GET")) == 1
    assert len(zd.world.calls("/api/v2/users/5.json", "GET")) == 1


# -- Zendesk's access model -----------------------------------------------------------------------

@pytest.mark.parametrize("agent, location, record, allowed", [
    (GROUPS_AGENT, "ticket_sidebar", {"ticket_id": 1}, False),   # Support's ticket, agent only in Billing
    (GROUPS_AGENT, "ticket_sidebar", {"ticket_id": 2}, True),    # Billing's ticket
    (ASSIGNED_AGENT, "ticket_sidebar", {"ticket_id": 10}, True),  # assigned to them
    (ASSIGNED_AGENT, "ticket_sidebar", {"ticket_id": 11}, False),
    (ORG_AGENT, "ticket_sidebar", {"ticket_id": 4}, True),       # their organization's ticket
    (ORG_AGENT, "ticket_sidebar", {"ticket_id": 1}, False),
    (SUSPENDED_AGENT, "ticket_sidebar", {"ticket_id": 1}, False),
    (1001, "ticket_sidebar", {"ticket_id": 1}, False),           # an end user is no agent, even their own ticket
    (GROUPS_AGENT, "user_sidebar", {"user_id": 1002}, False),
    (ORG_AGENT, "user_sidebar", {"user_id": 1004}, True),        # a member of their organization
    (ORG_AGENT, "user_sidebar", {"user_id": 1001}, False),
    (5, "user_sidebar", {"user_id": 1002}, True),
], ids=["groups-other-group", "groups-own-group", "assigned-own", "assigned-other", "org-own", "org-other",
        "suspended", "end-user", "groups-user-sidebar", "org-user-own", "org-user-other", "unrestricted-user"])
def test_only_agents_zendesk_lets_see_the_record_get_its_card(zclient, zruntime, zd, agent, location, record, allowed):
    response = card(zclient, session_for(zclient, zd, agent_id=agent, location=location), **record)
    if allowed:
        assert response.status_code == 200 and 'data-status="found"' in response.get_data(as_text=True)
    else:
        assert response.status_code == 403
        body = response.get_json()
        assert body["error"] == "forbidden" and body["message"]
        assert "<h1>" not in response.get_data(as_text=True)
    assert len(zruntime.store.views.list(agent_id=str(agent))) == (1 if allowed else 0)


def test_the_tickets_group_is_what_zendesk_says_now(zclient, zruntime, zd):
    zd.world.tickets[2]["group_id"] = 10
    response = card(zclient, session_for(zclient, zd, agent_id=GROUPS_AGENT), ticket_id=2)
    assert response.status_code == 403
    assert zd.world.calls(f"/api/v2/users/{GROUPS_AGENT}/group_memberships.json", "GET")


def test_a_ticket_zendesk_does_not_have_is_404(zclient, zd):
    response = card(zclient, session_for(zclient, zd), ticket_id=99_999)
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_a_card_from_the_wrong_location_is_refused(zclient, zd):
    response = card(zclient, session_for(zclient, zd, location="user_sidebar"), ticket_id=1)
    assert response.status_code == 400  # the user sidebar names a user_id
    response = card(zclient, session_for(zclient, zd, location="new_ticket_sidebar"), ticket_id=1)
    assert response.status_code == 403 and response.get_json()["error"] == "wrong_location"


# -- one record per session, a budget per agent ---------------------------------------------------

def test_a_session_is_bound_to_its_first_record(zclient, zd):
    session = session_for(zclient, zd)
    assert card(zclient, session, ticket_id=1).status_code == 200
    other = card(zclient, session, ticket_id=3)
    assert other.status_code == 403 and other.get_json()["error"] == "session_bound_elsewhere"
    assert not shows(other, 3)
    assert card(zclient, session, ticket_id=1, refresh=True).status_code == 200


def test_the_budget_refuses_the_record_beyond_it(zsettings, zd):
    runtime = build_runtime(zsettings.replace(sidebar_records_per_minute=3))
    try:
        client = create_app(runtime=runtime).test_client()
        for ticket_id in (1, 3, 5):
            assert card(client, session_for(client, zd), ticket_id=ticket_id).status_code == 200
        refused = card(client, session_for(client, zd), ticket_id=7)
        assert refused.status_code == 429 and refused.get_json()["error"] == "too_many_requests"
        assert int(refused.headers["Retry-After"]) == 60 and not shows(refused, 7)
        assert card(client, session_for(client, zd), ticket_id=1).status_code == 200  # not a new record
        other_agent = card(client, session_for(client, zd, agent_id=GROUPS_AGENT), ticket_id=8)
        assert other_agent.status_code == 200  # the budget is the agent's own
    finally:
        runtime.close()


# -- the audit of card views ------------------------------------------------------------------------

def test_every_card_view_is_audited_and_listed_by_the_cli(zclient, zruntime, zsettings, zd):
    session = session_for(zclient, zd)
    card(zclient, session, ticket_id=1)
    card(zclient, session, ticket_id=1, refresh=True)
    card(zclient, session_for(zclient, zd, location="user_sidebar"), user_id=1002)
    card(zclient, session_for(zclient, zd, agent_id=GROUPS_AGENT), ticket_id=1)  # refused: no view
    views = zruntime.store.views.list(agent_id="5")
    assert [v.record_key for v in views] == ["zendesk:user:1002", "zendesk:ticket:1", "zendesk:ticket:1"]
    assert all(v.profile_id and v.provider == "zendesk" for v in views)

    names = ("database_url", "queue_url", "aep_ims_url", "aep_platform_url", "aep_client_id", "aep_client_secret",
             "aep_org_id")
    env = {f"CONNECTOR_{name.upper()}": getattr(zsettings, name) for name in names}
    by_agent = CliRunner().invoke(main, ["audit", "views", "--agent", "5"], env=env)
    assert by_agent.exit_code == 0, by_agent.output
    lines = by_agent.stdout.strip().splitlines()
    assert len(lines) == 3 and all("agent=5" in line for line in lines)
    assert "zendesk:user:1002" in lines[0] and views[1].profile_id in lines[1]
    customer = seed.customer(1)
    assert customer.crm_email not in by_agent.stdout and customer.last not in by_agent.stdout
    by_record = CliRunner().invoke(main, ["audit", "views", "--record", "zendesk:ticket:1", "--json"], env=env)
    rows = [json.loads(line) for line in by_record.stdout.strip().splitlines()]
    assert [(r["agent"], r["record"]) for r in rows] == [("5", "zendesk:ticket:1")] * 2
    assert set(rows[0]) == {"at", "provider", "agent", "record", "profile_id"}
    neither = CliRunner().invoke(main, ["audit", "views"], env=env)
    assert neither.exit_code != 0


# -- "Write to ticket" ----------------------------------------------------------------------------

def test_write_to_ticket_from_a_user_sidebar_is_refused(zclient, zruntime, zd):
    response = enrich(zclient, session_for(zclient, zd, location="user_sidebar"), 3)
    assert response.status_code == 403 and response.get_json()["error"] == "wrong_location"
    assert zruntime.store.job("zendesk:ticket:3") is None


def test_write_to_another_ticket_than_the_sessions_is_refused(zclient, zruntime, zd):
    session = session_for(zclient, zd)
    assert card(zclient, session, ticket_id=1).status_code == 200
    response = enrich(zclient, session, 3)
    assert response.status_code == 403 and response.get_json()["error"] == "session_bound_elsewhere"
    assert zruntime.store.job("zendesk:ticket:3") is None


def test_write_to_a_ticket_the_agent_may_not_see_is_refused(zclient, zruntime, zd):
    response = enrich(zclient, session_for(zclient, zd, agent_id=GROUPS_AGENT), 1)
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert zruntime.store.job("zendesk:ticket:1") is None


def test_write_without_a_writable_match_is_refused(zclient, zruntime, zd):
    user = zd.world.users[1003]
    user["external_id"], user["email"], user["phone"] = None, "stranger@example.org", None
    response = enrich(zclient, session_for(zclient, zd), 3)
    assert response.status_code == 403 and response.get_json()["error"] == "not_writable"
    assert zruntime.store.job("zendesk:ticket:3") is None


def test_write_to_ticket_is_accepted_once_per_agent_and_ticket(zclient, zruntime, zd):
    session = session_for(zclient, zd)
    assert card(zclient, session, ticket_id=3).status_code == 200
    first = enrich(zclient, session, 3)
    assert first.status_code == 202
    zruntime.store.claim("zendesk:ticket:3")
    zruntime.store.dead("zendesk:ticket:3", error="boom")
    again = enrich(zclient, session_for(zclient, zd), 3)  # a new session of the same agent
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    assert zruntime.store.job("zendesk:ticket:3").status == "dead"  # a dead job is not re-run by every click
    admin = enrich(zclient, session_for(zclient, zd, agent_id=INTEGRATION_USER_ID), 3)
    assert admin.status_code == 202  # another agent's request is their own
    assert zruntime.store.job("zendesk:ticket:3").status == "pending"
