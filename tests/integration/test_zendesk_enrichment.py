"""Ticket created → signed webhook → queue → enrichment → one PUT, over real HTTP end to end."""
from __future__ import annotations

import pytest
import requests

from connector.sandbox import seed
from connector.sandbox.faults import Scripted
from connector.sandbox.zendesk import AGENT_EMAIL, API_TOKEN, fire
from connector.store.db import LEASE, utcnow
from tests.zendesk_helpers import wait_for

REQUESTER = 1001  # seed customer 1: external_id CRM000001, in AEP


def job_done(runtime, ticket_id):
    def check():
        job = runtime.store.job(f"zendesk:ticket:{ticket_id}")
        return job if job and job.status in ("done", "dead") else None
    return check


def enrich_ticket(zd, runtime, requester=REQUESTER):
    ticket = zd.create_ticket(requester)
    return ticket, wait_for(job_done(runtime, ticket["id"]))


def test_ticket_created_is_enriched_with_one_ticket_put(zd, aep, zruntime, installed):
    zruntime.start_workers()
    ticket, job = enrich_ticket(zd, zruntime)
    tid = ticket["id"]
    assert job.status == "done" and job.outcome == "written" and job.note_written
    assert [i.statuses for i in zd.world.invocations] == [[202]]

    calls = [(m, p) for m, p, _ in zd.world.calls()]
    # the field metadata once per process, then one read and one write per record (users/me, the loop
    # guard's "who am I", was read when the app started: no request handler calls Zendesk for it)
    assert calls == [("GET", f"/api/v2/tickets/{tid}.json"),
                     ("GET", "/api/v2/ticket_fields.json"), ("GET", "/api/v2/user_fields.json"),
                     ("PUT", f"/api/v2/tickets/{tid}.json"), ("PUT", f"/api/v2/users/{REQUESTER}.json")]
    put_ticket = zd.world.ticket_updates[tid]
    assert len(put_ticket) == 1
    sent = put_ticket[0]
    customer = seed.customer(1)
    profile = seed.profile_entity(1)
    churn = profile["_acme"]["churnPropensity"]
    level = "high" if churn >= 0.7 else "medium" if churn >= 0.4 else "low"
    assert sent["id"] == tid
    assert sent["custom_fields"] == [{"id": 360001, "value": profile["_acme"]["lifetimeValue"]},
                                     {"id": 360002, "value": level},
                                     {"id": 360003, "value": profile["loyalty"]["tier"]}]
    assert sent["additional_tags"] == [f"aep_churn_{level}", f"aep_tier_{profile['loyalty']['tier']}", "aep_enriched"]
    assert sent["comment"]["public"] is False
    assert sent["comment"]["body"].startswith("AEP customer profile\nMatched by CRMID")
    assert f"{customer.first} {customer.last}" in sent["comment"]["body"]
    user_put = [b for m, p, b in zd.world.calls() if p == f"/api/v2/users/{REQUESTER}.json"]
    assert user_put == [{"user": {"id": REQUESTER, "name": f"{customer.first} {customer.last}", "user_fields": {
        "aep_loyalty_tier": profile["loyalty"]["tier"], "aep_lifetime_value": profile["_acme"]["lifetimeValue"]}}}]

    stored = zd.world.tickets[tid]
    assert "aep_enriched" in stored["tags"] and len(zd.world.notes(tid)) == 1
    audit = zruntime.store.audit_rows(f"zendesk:ticket:{tid}")
    targets = {r["target"] for r in audit}
    assert targets >= {"ticket.custom_fields.360001", "ticket.note", "user.user_fields.aep_loyalty_tier"}
    assert all(r["profile_id"] == customer.entity_id for r in audit)
    aep_profile_calls = [c for c in aep.world.calls("/data/core/ups/access/entities")
                         if ("schema.name", "_xdm.context.profile") in c.args]
    assert len(aep_profile_calls) == 1


def test_duplicate_deliveries_and_reruns_write_one_note(zd, zruntime, installed):
    zruntime.start_workers()
    ticket, _ = enrich_ticket(zd, zruntime)
    tid, key = ticket["id"], f"zendesk:ticket:{ticket['id']}"
    fire(zd.world, requests.Session(), zd.world.tickets[tid], actor_id=REQUESTER)  # Zendesk delivers again
    wait_for(lambda: len(zd.world.invocations) == 2)
    first, again = (i.statuses for i in zd.world.invocations)
    # A new invocation of the same content: 202 (the record is done), or 200 duplicate when Zendesk
    # signed it in the same second (the same signature, timestamp and body as the first).
    assert first == [202] and again in ([202], [200])
    assert len(zd.world.calls(f"/api/v2/tickets/{tid}.json", "GET")) == 1  # the record was done: no work
    zruntime.store.requeue(key)  # an agent presses "write to ticket"
    zruntime.queue.enqueue(key)
    wait_for(lambda: len(zd.world.calls(f"/api/v2/tickets/{tid}.json", "GET")) == 2
             and zruntime.store.job(key).status == "done")
    assert len(zd.world.notes(tid)) == 1
    assert len(zd.world.ticket_updates[tid]) == 1  # nothing left to write the second time


def test_worker_crash_after_the_write_leaves_one_note(zd, zruntime, installed):
    """A worker that dies between the ticket PUT and recording it: the lease runs out, the sweeper
    requeues the job, and the second run sees the marker tag and writes nothing again."""
    ticket = zd.create_ticket(REQUESTER)
    tid, key = ticket["id"], f"zendesk:ticket:{ticket['id']}"
    wait_for(lambda: zruntime.store.job(key))
    real_update_user = zruntime.provider("zendesk").client.update_user

    def dies(*args, **kwargs):
        raise KeyboardInterrupt("worker killed")

    zruntime.provider("zendesk").client.update_user = dies
    with pytest.raises(KeyboardInterrupt):
        zruntime.jobs.run(key)
    assert zruntime.store.job(key).status == "running" and len(zd.world.notes(tid)) == 1
    zruntime.provider("zendesk").client.update_user = real_update_user
    assert zruntime.store.due() == []  # the lease still holds
    zruntime.store.clock = lambda: utcnow() + LEASE * 2  # later: the dead worker's lease has run out
    assert zruntime.queue.sweep() == 1
    zruntime.start_workers()
    job = wait_for(job_done(zruntime, tid))
    assert job.status == "done"
    assert len(zd.world.notes(tid)) == 1 and len(zd.world.ticket_updates[tid]) == 1
    assert zd.world.users[REQUESTER]["user_fields"]["aep_loyalty_tier"]


@pytest.mark.parametrize("fault", [
    {"status": 429, "method": "PUT", "retry_after": 1},
    {"status": 409, "method": "PUT"},
    {"status": 503, "method": "PUT"},
    {"status": 500, "method": "GET", "times": 2},  # past the one in-call retry of reads
], ids=["zendesk-429", "zendesk-409", "zendesk-503", "zendesk-500-read"])
def test_zendesk_errors_are_retried_to_exactly_one_note(zd, zruntime, installed, fault):
    zruntime.start_workers()
    zd.faults.script(Scripted(path="/api/v2/tickets/", **fault))
    ticket, job = enrich_ticket(zd, zruntime)
    assert job.status == "done" and job.attempts == 2
    assert len(zd.world.notes(ticket["id"])) == 1
    assert job.outcome == "written"


@pytest.mark.parametrize("fault", [
    {"status": 429, "retry_after": 3, "times": 3},
    {"status": 500, "times": 8},  # past the in-call retries of the profile and events reads
], ids=["aep-429", "aep-500"])
def test_aep_errors_are_retried_to_exactly_one_note(zd, aep, zruntime, installed, fault):
    zruntime.warm()
    zruntime.start_workers()
    aep.faults.script(Scripted(path="/data/core/ups/access/entities", **fault))
    ticket, job = enrich_ticket(zd, zruntime)
    assert job.status == "done" and job.attempts >= 2
    assert len(zd.world.notes(ticket["id"])) == 1


def test_persistent_failure_goes_to_the_dead_letters_and_replays(zd, zruntime, installed):
    zruntime.start_workers()
    # a 422 makes the connector re-read the field metadata and try once more: refuse both
    zd.faults.script(Scripted(status=422, path="/api/v2/tickets/", method="PUT", times=2,
                              body={"error": "RecordInvalid", "description": "Record validation errors"}))
    ticket, job = enrich_ticket(zd, zruntime)
    key = f"zendesk:ticket:{ticket['id']}"
    assert job.status == "dead" and "HTTP 422" in job.last_error
    assert len(zd.world.calls("/api/v2/ticket_fields.json")) == 2
    assert [j.record_key for j in zruntime.store.list_jobs(status="dead")] == [key]
    assert zd.world.notes(ticket["id"]) == []
    assert zruntime.store.requeue(key)
    zruntime.queue.enqueue(key)
    job = wait_for(job_done(zruntime, ticket["id"]))
    assert job.status == "done" and len(zd.world.notes(ticket["id"])) == 1


def test_retries_stop_after_the_configured_attempts(zd, zsettings):
    from connector.runtime import build_runtime

    runtime = build_runtime(zsettings.replace(job_max_attempts=2))
    try:
        zd.faults.script(Scripted(status=503, path="/api/v2/tickets/", method="GET", times=10))
        ticket = zd.world.tickets[5]
        key = f"zendesk:ticket:{ticket['id']}"
        runtime.store.accept(delivery_key="zendesk:t1", record_key=key, provider="zendesk")
        runtime.queue.enqueue(key)
        runtime.start_workers()
        job = wait_for(job_done(runtime, ticket["id"]), timeout=20)
    finally:
        runtime.close()
    assert job.status == "dead" and job.attempts == 2


def test_requester_without_profile_is_done_without_writes(zd, zruntime, installed):
    zruntime.start_workers()
    zd.world.users[1001]["external_id"] = None
    zd.world.users[1001]["email"] = "stranger@example.org"
    zd.world.users[1001]["phone"] = None
    ticket, job = enrich_ticket(zd, zruntime)
    assert job.status == "done" and job.outcome == "no_profile"
    assert ticket["id"] not in zd.world.ticket_updates


def test_low_confidence_match_is_not_written(zd, zruntime, installed):
    zruntime.start_workers()
    user = zd.world.users[1001]
    user["external_id"], user["email"] = None, None
    user["phone"] = seed.customer(1).crm_phone
    ticket, job = enrich_ticket(zd, zruntime)
    assert job.status == "done" and job.outcome == "low_confidence"
    assert ticket["id"] not in zd.world.ticket_updates


def test_a_ticket_past_its_update_limit_is_rescheduled_and_other_tickets_go_on(zd, zruntime):
    zd.world.ticket_update_limit = 1  # the ticket's 30 updates in 10 minutes, scaled down
    spent = requests.put(f"{zd.url}/api/v2/tickets/1.json", json={"ticket": {"status": "open"}}, timeout=5,
                         auth=(f"{AGENT_EMAIL}/token", API_TOKEN))
    assert spent.status_code == 200  # someone else used the ticket's budget
    for key in ("zendesk:ticket:1", "zendesk:ticket:2"):
        zruntime.store.accept(delivery_key=f"zendesk:{key}", record_key=key, provider="zendesk")
    assert zruntime.jobs.run("zendesk:ticket:1") == "retry"
    job = zruntime.store.job("zendesk:ticket:1")
    assert job.status == "pending" and (job.last_error or "").startswith("upstream_rate_limited")
    assert job.next_attempt_at is not None
    assert (job.next_attempt_at - utcnow()).total_seconds() > 60  # the ticket's window, not a blind backoff
    assert zd.world.notes(1) == [] and zruntime.store.list_jobs(status="dead") == []
    # the refusal was about one ticket: the next ticket is enriched at once
    assert zruntime.jobs.run("zendesk:ticket:2") == "written" and len(zd.world.notes(2)) == 1
