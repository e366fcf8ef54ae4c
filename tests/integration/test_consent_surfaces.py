"""A profile that refuses personalisation: churn propensity and audiences are hidden (with the reason)
on every agent surface and never written to the CRM; one that grants it shows and writes them.

Seed (connector/sandbox/seed.py): customer 23 refuses ``consents.personalize.content`` (``n``),
customer 4 grants it (``y``), customer 8 has no personalisation consent recorded.
"""
from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from connector.cli import main
from connector.sandbox import seed
from connector.sandbox.salesforce import record_id
from connector.web.verify import callout_signature
from tests.conftest import API_KEY, CALLOUT_SECRET

HIDDEN = "hidden: no personalisation consent"
DENIES, GRANTS, LACKS = 23, 4, 8


def churn_level(index: int) -> str:
    churn = seed.profile_entity(index)["_acme"]["churnPropensity"]
    return "high" if churn >= 0.7 else "medium" if churn >= 0.4 else "low"


def audience_names(index: int) -> list[str]:
    members = seed.profile_entity(index)["segmentMembership"]["ups"]
    return [seed.SEGMENTS[s] for s, info in members.items() if info["status"] in ("realized", "existing")]


def test_the_seed_has_customers_that_grant_refuse_and_lack_the_consent():
    assert seed.profile_entity(DENIES)["consents"]["personalize"]["content"]["val"] == "n"
    assert seed.profile_entity(GRANTS)["consents"]["personalize"]["content"]["val"] == "y"
    assert "personalize" not in seed.profile_entity(LACKS)["consents"]
    assert audience_names(DENIES) and audience_names(GRANTS)  # both have audiences to hide or show


def _sidebar_card(zclient, zd, ticket_id: int) -> str:
    page = zclient.post("/zendesk/sidebar?origin=https%3A%2F%2Facme.zendesk.com&app_guid=abc",
                        data={"token": zd.sidebar_token()}).get_data(as_text=True)
    session = page.split('data-session="', 1)[1].split('"', 1)[0]
    response = zclient.post("/zendesk/sidebar/card", json={"ticket_id": ticket_id},
                            headers={"Authorization": f"Bearer {session}"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("index", [DENIES, LACKS])
def test_sidebar_shows_hidden_lines_not_values(zclient, zd, index):
    html = _sidebar_card(zclient, zd, index)
    assert 'data-status="found"' in html
    assert f'<dd class="aep-hidden">{HIDDEN}</dd>' in html
    assert f'<p class="aep-muted aep-hidden">{HIDDEN}</p>' in html  # the audiences section
    churn = seed.profile_entity(index)["_acme"]["churnPropensity"]
    assert f"{round(churn * 100)}%" not in html.split("Churn propensity", 1)[1].split("</dd>", 1)[0]
    assert "risk</span>" not in html  # no churn badge
    for name in audience_names(index):
        assert name not in html


def test_sidebar_shows_churn_and_audiences_with_consent(zclient, zd):
    html = _sidebar_card(zclient, zd, GRANTS)
    assert HIDDEN not in html
    churn = seed.profile_entity(GRANTS)["_acme"]["churnPropensity"]
    assert f"{round(churn * 100)}%" in html
    for name in audience_names(GRANTS):
        assert name in html


def _get_profile(client, record):
    stamp = str(int(time.time()))
    path = f"/salesforce/profile?recordId={record}"
    signature = callout_signature(secret=CALLOUT_SECRET, method="GET", path=path, timestamp=stamp, body=b"")
    return client.get(path, headers={"X-Connector-Timestamp": stamp, "X-Connector-Signature": signature})


def _items(card: dict) -> dict:
    return {i["key"]: i for s in card["sections"] if s["kind"] == "attributes" for i in s["items"]}


@pytest.mark.parametrize("obj", ["Contact", "Case"])
def test_salesforce_card_json_hides_them_for_a_refusing_profile(sfclient, sf, obj):
    card = _get_profile(sfclient, record_id(obj, DENIES)).get_json()
    churn = _items(card)["churn_propensity"]
    assert churn["hidden"] is True and churn["value"] is None and churn["display"] == HIDDEN
    assert churn["hidden_reason"] == "no personalisation consent" and churn["badge"] is None
    audiences = next(s for s in card["sections"] if s["key"] == "audiences")
    assert audiences["items"] == [] and audiences["hidden"] == "no personalisation consent"
    assert audiences["notice"] == HIDDEN
    assert _items(card)["lifetime_value"]["value"] == seed.profile_entity(DENIES)["_acme"]["lifetimeValue"]


def test_salesforce_card_json_shows_them_with_consent(sfclient, sf):
    card = _get_profile(sfclient, record_id("Contact", GRANTS)).get_json()
    churn = _items(card)["churn_propensity"]
    assert "hidden" not in churn and churn["value"] == seed.profile_entity(GRANTS)["_acme"]["churnPropensity"]
    audiences = next(s for s in card["sections"] if s["key"] == "audiences")
    assert audiences["hidden"] is None and {i["name"] for i in audiences["items"]} == set(audience_names(GRANTS))


def test_api_card_and_cli_text_card_hide_them(client, settings, monkeypatch):
    customer = seed.customer(DENIES)
    card = client.get(f"/api/v1/profiles?namespace=CRMID&id={customer.crm_id}",
                      headers={"X-API-Key": API_KEY}).get_json()
    assert _items(card)["churn_propensity"]["display"] == HIDDEN
    for key, value in {"AEP_CLIENT_ID": settings.aep_client_id, "AEP_CLIENT_SECRET": settings.aep_client_secret,
                       "AEP_ORG_ID": settings.aep_org_id, "AEP_IMS_URL": settings.aep_ims_url,
                       "AEP_PLATFORM_URL": settings.aep_platform_url, "DATABASE_URL": settings.database_url,
                       "QUEUE_URL": settings.queue_url}.items():
        monkeypatch.setenv(f"CONNECTOR_{key}", value)
    result = CliRunner().invoke(main, ["lookup", "-n", "CRMID", "--id", customer.crm_id])
    assert result.exit_code == 0, result.output
    assert f"Churn propensity     {HIDDEN}" in result.output
    assert HIDDEN in result.output.split("Audiences", 1)[1]
    for name in audience_names(DENIES):
        assert name not in result.output


def test_zendesk_enrichment_writes_neither_and_the_note_says_hidden(zd, zruntime):
    ticket = zd.create_ticket(1000 + DENIES)
    zd.world.clear()
    key = f"zendesk:ticket:{ticket['id']}"
    zruntime.store.accept(delivery_key="t", record_key=key, provider="zendesk")
    assert zruntime.jobs.run(key) == "written"
    sent = zd.world.ticket_updates[ticket["id"]][0]
    assert [f["id"] for f in sent["custom_fields"]] == [360001, 360003]  # no churn field
    assert not [t for t in sent["additional_tags"] if t.startswith("aep_churn_")]
    note = sent["comment"]["body"]
    assert f"Churn propensity: {HIDDEN}" in note and f"Audiences: {HIDDEN}" in note
    for name in audience_names(DENIES):
        assert name not in note
    stored = zd.world.tickets[ticket["id"]]
    assert {f["id"]: f["value"] for f in stored["custom_fields"]}[360002] is None
    assert not [t for t in stored["tags"] if t.startswith("aep_churn_")]


def test_zendesk_enrichment_writes_them_with_consent(zd, zruntime):
    ticket = zd.create_ticket(1000 + GRANTS)
    key = f"zendesk:ticket:{ticket['id']}"
    zruntime.store.accept(delivery_key="t", record_key=key, provider="zendesk")
    assert zruntime.jobs.run(key) == "written"
    stored = zd.world.tickets[ticket["id"]]
    assert {f["id"]: f["value"] for f in stored["custom_fields"]}[360002] == churn_level(GRANTS)
    assert f"aep_churn_{churn_level(GRANTS)}" in stored["tags"]
    assert "Audiences: " + ", ".join(audience_names(GRANTS))[:20] in zd.world.notes(ticket["id"])[0]["body"]


def test_salesforce_enrichment_writes_neither(sfruntime, sf):
    case = record_id("Case", DENIES)
    sfruntime.store.accept(delivery_key="c", record_key=f"salesforce:Case:{case}", provider="salesforce")
    assert sfruntime.jobs.run(f"salesforce:Case:{case}") == "written"
    body = sf.world.calls("/composite/sobjects")[0][2]
    contact_write, case_write = body["records"]
    assert "AEP_Churn_Propensity__c" not in contact_write and "AEP_Audiences__c" not in contact_write
    assert "AEP_Churn_Risk__c" not in case_write
    assert contact_write["AEP_Lifetime_Value__c"] == seed.profile_entity(DENIES)["_acme"]["lifetimeValue"]
    contact = sf.world.records["Contact"][record_id("Contact", DENIES)]
    assert contact["AEP_Churn_Propensity__c"] is None and contact["AEP_Audiences__c"] is None
    assert sf.world.records["Case"][case]["AEP_Churn_Risk__c"] is None


def test_withdrawn_consent_blanks_what_was_written_with_a_ledger_entry(zd, aep, zruntime):
    ticket = zd.create_ticket(1000 + GRANTS)
    tid, key = ticket["id"], f"zendesk:ticket:{ticket['id']}"
    zruntime.store.accept(delivery_key="t1", record_key=key, provider="zendesk")
    assert zruntime.jobs.run(key) == "written"
    level = churn_level(GRANTS)
    assert f"aep_churn_{level}" in zd.world.tickets[tid]["tags"]

    aep.world.set_consent(GRANTS, "personalize.content", "n")  # the customer withdraws consent
    zruntime.lookup.cache.forget(next(iter_identities(zruntime, GRANTS)))
    zruntime.store.accept(delivery_key="t2", record_key=key, provider="zendesk", rerun=True)
    zd.world.clear()
    assert zruntime.jobs.run(key) == "written"
    put = [b for m, p, b in zd.world.calls(f"/api/v2/tickets/{tid}.json", "PUT")]
    assert put == [{"ticket": {"id": tid, "custom_fields": [{"id": 360002, "value": None}],
                               "remove_tags": [f"aep_churn_{level}"]}}]
    stored = zd.world.tickets[tid]
    assert {f["id"]: f["value"] for f in stored["custom_fields"]}[360002] is None
    assert f"aep_churn_{level}" not in stored["tags"] and "aep_enriched" in stored["tags"]
    withdrawn = [(r["target"], r["value"]) for r in zruntime.store.audit_rows(key) if r["policy"] == "withdrawn"]
    assert sorted(withdrawn) == [("ticket.custom_fields.360002", None), (f"ticket.tags.aep_churn_{level}", None)]


def iter_identities(runtime, index):
    from connector.core.models import Identity

    yield Identity("CRMID", seed.customer(index).crm_id)


def test_canvas_page_shows_hidden_lines_not_values(sfclient, sf):
    from connector.sandbox.salesforce import canvas_request

    html = sfclient.post("/salesforce/canvas",
                         data={"signed_request": canvas_request(record_id("Case", DENIES))}).get_data(as_text=True)
    assert f'<dd class="aep-hidden">{HIDDEN}</dd>' in html
    assert f'<p class="aep-muted aep-hidden">{HIDDEN}</p>' in html
    for name in audience_names(DENIES):
        assert name not in html
    granted = sfclient.post("/salesforce/canvas",
                            data={"signed_request": canvas_request(record_id("Case", GRANTS))}).get_data(as_text=True)
    assert HIDDEN not in granted and all(name in granted for name in audience_names(GRANTS))


def test_withdrawn_consent_blanks_salesforce_fields_the_connector_wrote(sfruntime, sf, aep):
    contact = record_id("Contact", GRANTS)
    key = f"salesforce:Contact:{contact}"
    sfruntime.store.accept(delivery_key="c1", record_key=key, provider="salesforce")
    assert sfruntime.jobs.run(key) == "written"
    stored = sf.world.records["Contact"][contact]
    assert stored["AEP_Churn_Propensity__c"] is not None and stored["AEP_Audiences__c"]

    aep.world.set_consent(GRANTS, "personalize.content", "n")
    sfruntime.lookup.cache.forget(next(iter_identities(sfruntime, GRANTS)))
    sfruntime.store.accept(delivery_key="c2", record_key=key, provider="salesforce", rerun=True)
    sf.world.clear()
    assert sfruntime.jobs.run(key) == "written"
    patch = sf.world.calls(f"/sobjects/Contact/{contact}", "PATCH")[0][2]
    assert patch["AEP_Churn_Propensity__c"] is None and patch["AEP_Audiences__c"] is None
    assert stored["AEP_Churn_Propensity__c"] is None and stored["AEP_Audiences__c"] is None
    assert stored["AEP_Lifetime_Value__c"] == seed.profile_entity(GRANTS)["_acme"]["lifetimeValue"]
    withdrawn = {r["target"] for r in sfruntime.store.audit_rows(key) if r["policy"] == "withdrawn"}
    assert withdrawn == {"Contact.AEP_Churn_Propensity__c", "Contact.AEP_Audiences__c"}
