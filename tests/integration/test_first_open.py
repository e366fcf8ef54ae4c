"""Instant on first open: the enrichment job that ran when the ticket was created filled the very cache
entries the sidebar reads, so the agent who opens the ticket next gets the card without an AEP call —
from the in-process cache (worker threads in the web process) or the shared Redis cache."""
from __future__ import annotations

import pytest

from connector import create_app
from connector.core.identity import candidates
from connector.core.models import Contact
from connector.runtime import build_runtime
from connector.sandbox import seed
from tests.zendesk_helpers import wait_for

REDIS = "redis://127.0.0.1:6379/0"


def sidebar_card(client, zd, **body) -> str:
    page = client.post("/zendesk/sidebar?origin=https%3A%2F%2Facme.zendesk.com&app_guid=abc",
                       data={"token": zd.sidebar_token()}).get_data(as_text=True)
    session = page.split('data-session="', 1)[1].split('"', 1)[0]
    response = client.post("/zendesk/sidebar/card", json=body, headers={"Authorization": f"Bearer {session}"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def aep_lookups(aep) -> int:
    return len(aep.world.calls("/data/core/ups/access/entities"))


def zaf_requester(zd, user_id: int) -> dict:
    """What ZAF's ``ticket.requester`` gives the page for this user."""
    user = zd.world.users[user_id]
    return {"email": user["email"], "phone": user["phone"], "externalId": user["external_id"]}


@pytest.mark.parametrize("how", ["ticket_id", "zaf_requester"])
def test_first_open_after_ticket_creation_needs_no_aep_call(zd, aep, zruntime, zclient, installed, how):
    zruntime.start_workers()
    index = 5
    ticket = zd.create_ticket(1000 + index)
    wait_for(lambda: (j := zruntime.store.job(f"zendesk:ticket:{ticket['id']}")) and j.status == "done")
    aep.world.clear()
    body = {"ticket_id": ticket["id"]}
    if how == "zaf_requester":
        body["requester"] = zaf_requester(zd, 1000 + index)
    html = sidebar_card(zclient, zd, **body)
    customer = seed.customer(index)
    assert f"<h1>{customer.first} {customer.last}</h1>" in html
    assert aep_lookups(aep) == 0  # profile, events and audience names all came from the cache


def test_first_open_after_an_in_process_enrichment_reads_no_ticket_from_zendesk(zd, aep, zruntime, zclient,
                                                                                  installed):
    zruntime.start_workers()
    ticket = zd.create_ticket(1006)
    wait_for(lambda: (j := zruntime.store.job(f"zendesk:ticket:{ticket['id']}")) and j.status == "done")
    zd.world.clear()
    html = sidebar_card(zclient, zd, ticket_id=ticket["id"])
    customer = seed.customer(6)
    assert f"<h1>{customer.first} {customer.last}</h1>" in html
    assert zd.world.calls(f"/api/v2/tickets/{ticket['id']}") == []  # the job's read served the sidebar


def test_cold_open_without_enrichment_does_call_aep(zd, aep, zclient):
    html = sidebar_card(zclient, zd, ticket_id=6)
    assert 'data-status="found"' in html and aep_lookups(aep) >= 1


def _forget(runtime, index: int) -> None:
    user = seed.customer(index)
    contact = Contact(email=user.crm_email.strip(), phone=user.crm_phone, crm_id=user.crm_id)
    for candidate in candidates(contact, runtime.manifest.identity)[0]:
        runtime.lookup.cache.forget(candidate.identity)


def test_shared_redis_cache_serves_a_web_process_what_a_separate_worker_fetched(zsettings, zd, aep):
    shared = zsettings.replace(cache_url=REDIS, worker_threads=0)
    worker, web = build_runtime(shared), build_runtime(shared)
    try:
        for index in (61, 62):
            _forget(web, index)
        client = create_app(runtime=web).test_client()
        cold = aep_lookups(aep)
        sidebar_card(client, zd, ticket_id=62)  # not enriched: the web process asks AEP
        assert aep_lookups(aep) > cold

        key = "zendesk:ticket:61"
        worker.store.accept(delivery_key="first-open", record_key=key, provider="zendesk")
        assert worker.jobs.run(key) == "written"  # the separate worker fetched the profile
        aep.world.clear()
        html = sidebar_card(client, zd, ticket_id=61)
        customer = seed.customer(61)
        assert f"<h1>{customer.first} {customer.last}</h1>" in html
        assert aep_lookups(aep) == 0
    finally:
        worker.close()
        web.close()


def test_the_job_reports_each_ticket_it_reads_to_the_requester_hook(zd, zruntime):
    seen = []
    zruntime.provider("zendesk").tickets.on_ticket_read = lambda ticket_id, ticket: seen.append(
        (ticket_id, ticket.requester.id))
    zruntime.store.accept(delivery_key="hook", record_key="zendesk:ticket:7", provider="zendesk")
    zruntime.jobs.run("zendesk:ticket:7")
    assert seen == [(7, 1007)]
