"""Salesforce enrichment writes what the fields can take (describe), stores what Salesforce stores, and an
unchanged profile writes nothing the second time — against the emulator that checks field metadata."""
from __future__ import annotations

import pytest

from connector.sandbox import seed
from connector.sandbox.salesforce import record_id
from connector.sandbox.salesforce.fields import with_field

CASE = record_id("Case", 1)
CONTACT = record_id("Contact", 1)
TIER = "Summit Legends Circle — lifetime platinum plus, invitation only"  # 60+ characters
LONG_TIER = (TIER * 2)[:60]


@pytest.fixture()
def awkward_profile(aep, monkeypatch):
    """Customer 1's AEP profile with values no Salesforce field holds as they are."""
    profile = seed.profile_entity(1, aep.world.customers)
    monkeypatch.setitem(profile["loyalty"], "tier", LONG_TIER)
    monkeypatch.setitem(profile["_acme"], "lifetimeValue", 4321.987654)
    monkeypatch.setitem(profile["_acme"], "churnPropensity", 0.876543)
    return profile


def test_values_are_fitted_stored_as_salesforce_stores_them_and_not_written_twice(sfruntime, sf, awkward_profile):
    assert len(LONG_TIER) == 60
    key = f"salesforce:Case:{CASE}"
    sfruntime.store.accept(delivery_key="salesforce:fit", record_key=key, provider="salesforce")
    assert sfruntime.jobs.run(key) == "written"
    contact, case = sf.world.records["Contact"][CONTACT], sf.world.records["Case"][CASE]
    cut = LONG_TIER[:39] + "…"
    assert (contact["AEP_Loyalty_Tier__c"], case["AEP_Loyalty_Tier__c"]) == (cut, cut)
    assert (contact["AEP_Lifetime_Value__c"], case["AEP_Lifetime_Value__c"]) == (4321.99, 4321.99)
    assert contact["AEP_Churn_Propensity__c"] == 0.8765 and case["AEP_Churn_Risk__c"] == "high"
    assert contact["AEP_Last_Enriched__c"].endswith(".000+0000")
    body = sf.world.calls("/composite/sobjects", "PATCH")[0][2]
    assert [r["AEP_Lifetime_Value__c"] for r in body["records"]] == [4321.99, 4321.99]  # sent already rounded
    assert sfruntime.store.job(key).status == "done"

    sf.world.clear()
    sfruntime.store.requeue(key)
    assert sfruntime.jobs.run(key) == "unchanged"
    assert sf.world.calls("", "PATCH") == [] and sf.world.calls("/describe") == []  # no write, describe kept
    assert [m for m, _, _ in sf.world.calls("/services/data/")] == ["GET", "GET"]  # the two reads only


def test_a_value_the_picklist_does_not_offer_is_skipped_and_the_rest_written(sfruntime, sf, awkward_profile):
    risk = sf.world.schema["Case"]["AEP_Churn_Risk__c"]
    sf.world.schema = with_field(sf.world.schema, "Case", "AEP_Churn_Risk__c",  # "high" retired by the admin
                                 picklist=tuple((v, lbl, v != "high") for v, lbl, _ in risk.picklist))
    key = f"salesforce:Case:{CASE}"
    sfruntime.store.accept(delivery_key="salesforce:skip", record_key=key, provider="salesforce")
    assert sfruntime.jobs.run(key) == "written"
    case = sf.world.records["Case"][CASE]
    assert case["AEP_Churn_Risk__c"] is None and case["AEP_Lifetime_Value__c"] == 4321.99
    skipped = [r for r in sfruntime.store.audit_rows(key) if r["policy"] == "skipped"]
    assert [(r["target"], r["value"]) for r in skipped] == [
        ("Case.*", "skipped Case.AEP_Churn_Risk__c: not an active value of the picklist")]
    sfruntime.store.requeue(key)
    assert sfruntime.jobs.run(key) == "unchanged"
    assert len([r for r in sfruntime.store.audit_rows(key) if r["policy"] == "skipped"]) == 1  # said once


def test_a_label_is_written_as_its_picklist_value(sfruntime, sf, awkward_profile):
    risk = sf.world.schema["Case"]["AEP_Churn_Risk__c"]
    sf.world.schema = with_field(sf.world.schema, "Case", "AEP_Churn_Risk__c",  # values renamed, labels kept
                                 picklist=tuple((f"RISK_{v.upper()}", lbl, True) for v, lbl, _ in risk.picklist))
    key = f"salesforce:Case:{CASE}"
    sfruntime.store.accept(delivery_key="salesforce:label", record_key=key, provider="salesforce")
    assert sfruntime.jobs.run(key) == "written"
    assert sf.world.records["Case"][CASE]["AEP_Churn_Risk__c"] == "RISK_HIGH"


def test_a_number_salesforce_rounded_is_not_written_again(sfruntime, sf, aep, monkeypatch):
    profile = seed.profile_entity(1, aep.world.customers)
    monkeypatch.setitem(profile["_acme"], "lifetimeValue", 4321.987654)
    monkeypatch.setitem(profile["_acme"], "churnPropensity", 0.876543)
    key = f"salesforce:Contact:{CONTACT}"
    sfruntime.store.accept(delivery_key="salesforce:round", record_key=key, provider="salesforce")
    assert sfruntime.jobs.run(key) == "written"
    sfruntime.store.requeue(key)
    assert sfruntime.jobs.run(key) == "unchanged"
    assert len(sf.world.calls("", "PATCH")) == 1


def test_forget_clears_the_fitted_values_it_wrote(sfruntime, sf, aep, monkeypatch):
    """The ledger holds what Salesforce stored, so a privacy request finds and clears every written field
    (rounded numbers and the date-time stamp included)."""
    from connector.services.privacy import forget

    profile = seed.profile_entity(1, aep.world.customers)
    monkeypatch.setitem(profile["_acme"], "lifetimeValue", 4321.987654)
    monkeypatch.setitem(profile["_acme"], "churnPropensity", 0.876543)

    key = f"salesforce:Contact:{CONTACT}"
    sfruntime.store.accept(delivery_key="salesforce:forget", record_key=key, provider="salesforce")
    assert sfruntime.jobs.run(key) == "written"
    report = forget(lookup=sfruntime.lookup, store=sfruntime.store, namespace="Email", value=seed.customer(1).email,
                    clear_crm=True, providers=sfruntime.providers)
    assert report.kept == []
    contact = sf.world.records["Contact"][CONTACT]
    assert [name for name, value in contact.items() if name.startswith("AEP_") and value is not None] == \
        (["AEP_CRM_Id__c"] if contact["AEP_CRM_Id__c"] else [])  # the CRM's own id stays
