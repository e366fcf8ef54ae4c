"""The "review changes, then confirm" writes under attack: one writer per record, no withheld value in
the diff, previews paced and audited like cards, bounded key-queued writes, well-formed and bound
plan tokens, and the Salesforce usage pause honoured by a confirmed write."""
from __future__ import annotations

import threading
import time

import pytest
import requests

from connector.sandbox.salesforce import record_id
from tests.integration.test_preview import GRANTS, call, session, signed_post, zendesk_writes

CONFIRMS = 6


def _confirm(url: str, s: str, ticket: int, token: str, out: list, barrier: threading.Barrier) -> None:
    barrier.wait()
    response = requests.post(url + "/zendesk/sidebar/enrich", json={"ticket_id": ticket, "plan_token": token},
                             headers={"Authorization": f"Bearer {s}"}, timeout=60)
    out.append((response.status_code, response.json()))


# -- 1. one confirmed review writes once ------------------------------------------------------------

def test_concurrent_confirms_of_one_review_write_once(zclient, zd, connector_server):
    s = session(zclient, zd)
    token = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).get_json()["plan_token"]
    zd.world.clear()
    out: list = []
    barrier = threading.Barrier(CONFIRMS)
    threads = [threading.Thread(target=_confirm, args=(connector_server.url, s, GRANTS, token, out, barrier))
               for _ in range(CONFIRMS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(code for code, _ in out)
    assert statuses.count(200) == 1 and statuses.count(409) == CONFIRMS - 1, out
    assert {body.get("error") for code, body in out if code == 409} <= {"write_in_progress", "plan_changed"}
    assert len(zd.world.ticket_updates.get(GRANTS, [])) == 1 and len(zd.world.notes(GRANTS)) == 1


def test_a_confirm_while_the_job_holds_the_record_is_refused(zclient, zd, zruntime):
    s = session(zclient, zd)
    token = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).get_json()["plan_token"]
    key = f"zendesk:ticket:{GRANTS}"
    zruntime.store.accept(delivery_key="zendesk:test:1", record_key=key, provider="zendesk")
    assert zruntime.store.claim(key) is not None  # a queue worker is writing this ticket right now
    busy = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": token})
    assert busy.status_code == 409 and busy.get_json()["error"] == "write_in_progress"
    assert zendesk_writes(zd) == []


def test_a_confirm_then_the_queued_job_writes_one_note(zclient, zd, zruntime):
    s = session(zclient, zd)
    token = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).get_json()["plan_token"]
    key = f"zendesk:ticket:{GRANTS}"
    zruntime.store.accept(delivery_key="zendesk:test:1", record_key=key, provider="zendesk")  # ticket_created
    done = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": token})
    assert done.status_code == 200 and done.get_json()["status"] == "written"
    job = zruntime.store.job(key)
    assert job is not None and job.status == "done" and job.note_written
    assert zruntime.jobs.run(key) == "skipped"  # the confirmation did the job's work
    assert len(zd.world.notes(GRANTS)) == 1 and len(zd.world.ticket_updates[GRANTS]) == 1


def test_a_confirm_takes_the_zendesk_request_budget(zclient, zd, zruntime):
    s = session(zclient, zd)
    token = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).get_json()["plan_token"]
    budget = zruntime.provider("zendesk").client._budget
    now = time.time()
    budget._clock = lambda: now  # one window for the whole test
    budget.take(0)
    budget.limit = budget._used + 2  # the workers left two calls: a read and one PUT, not a whole write
    zd.world.clear()
    spent = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": token})
    assert spent.status_code in (429, 503) and int(spent.headers["Retry-After"]) >= 1
    assert zd.world.calls() == []  # not even the read
    job = zruntime.store.job(f"zendesk:ticket:{GRANTS}")
    assert job is None  # the lease is given back: nothing left running


# -- 5. a plan token is hex of a fixed length, checked before anything is read -----------------------

@pytest.mark.parametrize("token", ["\udfff", "x", "0" * 63, "G" * 64, "0" * 64 + "\udfff", "ab" * 40])
def test_a_malformed_plan_token_is_400_before_any_read(zclient, zd, token):
    s = session(zclient, zd)
    zd.world.clear()
    response = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": token})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_plan_token"
    assert zd.world.calls() == []  # not the agent, not the ticket


@pytest.mark.parametrize("token", ["\udfff", "x", "0" * 65, "ab" * 40])
def test_a_malformed_salesforce_plan_token_is_400_before_any_read(sfclient, sf, token):
    response = signed_post(sfclient, "/salesforce/apply", {"recordId": record_id("Case", GRANTS), "planToken": token})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_plan_token"
    assert sf.world.calls("/services/data") == []


# -- 7. a plan token is bound to its record and (Zendesk) to the session that saw the diff ------------

SHARED = 10  # a ticket that agents 5 and 7 may both see


def agent_session(zclient, zd, agent_id: int) -> str:
    page = zclient.post("/zendesk/sidebar?origin=https%3A%2F%2Facme.zendesk.com&app_guid=abc",
                        data={"token": zd.sidebar_token(agent_id=agent_id)}).get_data(as_text=True)
    return page.split('data-session="', 1)[1].split('"', 1)[0]


def test_a_plan_token_is_good_in_its_own_session_only(zclient, zd):
    mine, theirs = agent_session(zclient, zd, 5), agent_session(zclient, zd, 7)
    preview = call(zclient, "/zendesk/sidebar/preview", mine, {"ticket_id": SHARED}).get_json()
    assert preview["writes"] > 0
    other = call(zclient, "/zendesk/sidebar/enrich", theirs, {"ticket_id": SHARED, "plan_token": preview["plan_token"]})
    assert other.status_code == 409 and other.get_json()["error"] == "plan_changed"
    assert zendesk_writes(zd) == []
    own = call(zclient, "/zendesk/sidebar/enrich", mine, {"ticket_id": SHARED, "plan_token": preview["plan_token"]})
    assert own.status_code == 200 and own.get_json()["status"] == "written"


def test_empty_plans_of_two_records_have_different_tokens(sfclient, sf):
    from connector.core.preview import plan_token
    from tests.conftest import CALLOUT_SECRET

    tokens = set()
    for record in (record_id("Contact", GRANTS), record_id("Contact", SHARED)):
        preview = signed_post(sfclient, "/salesforce/preview", {"recordId": record}).get_json()
        signed_post(sfclient, "/salesforce/apply", {"recordId": record, "planToken": preview["plan_token"]})
        empty = signed_post(sfclient, "/salesforce/preview", {"recordId": record}).get_json()
        assert empty["writes"] == 0
        tokens.add(empty["plan_token"])
    assert len(tokens) == 2 and plan_token([], secret=CALLOUT_SECRET) not in tokens


# -- 2. a row the consent policy withholds carries no value, old or new ------------------------------

def test_after_consent_is_withdrawn_the_review_shows_no_withheld_value(zclient, zd, zruntime, aep):
    s = session(zclient, zd)
    first = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).get_json()
    assert call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": first["plan_token"]}
                ).status_code == 200
    written = zd.world.ticket_updates[GRANTS][0]
    churn_value = next(f["value"] for f in written["custom_fields"] if f["id"] == 360002)
    churn_tag = next(t for t in written["additional_tags"] if t.startswith("aep_churn_"))
    aep.world.set_consent(GRANTS, "personalize.content", "n")
    zruntime.lookup.cache.clear()
    body = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).get_json()
    withheld = [c for c in body["changes"] if c["policy"] == "consent"]
    assert withheld and all(c["old"] is None and c["new"] is None and c["reason"] for c in withheld)
    assert any(c["action"] == "remove" for c in withheld)
    assert churn_tag not in str(body["changes"]) and churn_tag not in body["html"]
    assert f">{churn_value}<" not in body["html"]


def test_after_consent_is_withdrawn_the_salesforce_review_shows_no_withheld_value(sfclient, sfruntime, sf, aep):
    from tests.integration.test_preview import _crmid

    contact = record_id("Contact", GRANTS)
    first = signed_post(sfclient, "/salesforce/preview", {"recordId": contact}).get_json()
    assert signed_post(sfclient, "/salesforce/apply", {"recordId": contact, "planToken": first["plan_token"]}
                       ).status_code == 200
    aep.world.set_consent(GRANTS, "personalize.content", "n")
    sfruntime.lookup.cache.forget(_crmid(GRANTS))
    body = signed_post(sfclient, "/salesforce/preview", {"recordId": contact}).get_json()
    withheld = [c for c in body["changes"] if c["policy"] == "consent"]
    assert withheld and all(c["old"] is None and c["new"] is None and c["reason"] for c in withheld)


# -- 3. a review shows profile data: paced and audited like a card -----------------------------------

def test_a_preview_and_a_refused_confirm_are_recorded_as_card_views(zclient, zd, zruntime):
    s = session(zclient, zd)
    assert call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).status_code == 200
    views = zruntime.store.views.list(agent_id="5")
    assert [v.record_key for v in views] == [f"zendesk:ticket:{GRANTS}"] and views[0].profile_id
    bogus = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": "0" * 64})
    assert bogus.status_code == 409 and bogus.get_json()["changes"]
    assert len(zruntime.store.views.list(agent_id="5")) == 2


def test_previews_share_the_cards_pace(zclient, zd, zruntime):
    from connector.services.zendesk.sidebar import SessionPace

    zruntime.provider("zendesk").sidebar._pace = SessionPace(clock=lambda: 1000.0)  # one minute for the whole test
    s = session(zclient, zd)
    codes = [call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).status_code
             for _ in range(SessionPace.CARDS_PER_MINUTE)]
    assert codes == [200] * SessionPace.CARDS_PER_MINUTE
    zd.world.clear()
    over = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS})
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    card = call(zclient, "/zendesk/sidebar/card", s, {"ticket_id": GRANTS})
    assert card.status_code == 429  # one pace for the card, the review and a confirmation's diff
    confirm = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": "0" * 64})
    assert confirm.status_code == 429 and zd.world.calls() == []


# -- 6. a confirmed Salesforce write honours the daily API-usage pause -------------------------------

def test_salesforce_apply_waits_while_the_org_usage_pauses_enrichment(sfclient, sfruntime, sf):
    from connector.adapters.salesforce import Usage

    case = record_id("Case", GRANTS)
    preview = signed_post(sfclient, "/salesforce/preview", {"recordId": case}).get_json()
    assert preview["writes"] > 0
    sfruntime.provider("salesforce").client.usage = Usage(90, 100)  # the org is past the connector's share (80 %)
    sf.world.clear()
    paused = signed_post(sfclient, "/salesforce/apply", {"recordId": case, "planToken": preview["plan_token"]})
    assert paused.status_code in (429, 503) and int(paused.headers["Retry-After"]) >= 1
    assert sf.world.calls("", "PATCH") == [] and sf.world.calls("/services/data") == []
    assert sfruntime.store.job(f"salesforce:Case:{case}") is None  # the lease is given back


# -- 4. a write-scoped API key queues a bounded number of write-backs a minute -----------------------

def test_an_api_key_queues_at_most_its_budget_of_writes_a_minute(zsettings, zd):
    from connector import create_app
    from connector.runtime import build_runtime

    rt = build_runtime(zsettings.replace(api_keys=("app-key:write", "other-key:write"), api_key_writes_per_minute=3))
    client = create_app(runtime=rt).test_client()
    try:
        def enrich(key: str, ticket: int):
            return client.post("/zendesk/sidebar/enrich", json={"ticket_id": ticket}, headers={"X-API-Key": key})

        assert enrich("app-key", 10**12).status_code == 202
        for budget in rt._key_writes.values():
            budget._clock = lambda: 6000.0  # one minute for the rest of the test
        codes = [enrich("app-key", 10**12 + i).status_code for i in range(1, 4)]
        assert codes == [202, 202, 202]
        over = enrich("app-key", 10**12 + 99)
        assert over.status_code == 429 and over.get_json()["error"] == "too_many_requests"
        assert int(over.headers["Retry-After"]) >= 1
        assert rt.store.job(f"zendesk:ticket:{10**12 + 99}") is None  # nothing queued beyond the budget
        assert enrich("other-key", 10**12 + 100).status_code == 202  # each key has its own budget
        assert enrich("app-key", "abc").status_code == 400  # authenticated, then parsed, then counted
    finally:
        rt.close()
