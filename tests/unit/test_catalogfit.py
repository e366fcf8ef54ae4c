"""Fitting planned values to Zendesk field metadata, and naming the mappings that can never fit."""
from __future__ import annotations

import pytest

from connector.core.manifest import WriteRule
from connector.core.writeplan import Plan
from connector.services.zendesk.catalog import FieldCatalog, FieldMeta, Unfit, fit, fit_plan, mapping_problems
from tests.helpers import default_manifest, target

TAGGER = FieldMeta("tagger", "Churn", ("high", "medium", "low"))


@pytest.mark.parametrize(("meta", "value", "expected"), [
    (TAGGER, "high", "high"),
    (TAGGER, "High", "high"),                      # tag values are lower-case
    (FieldMeta("dropdown", "Tier", ("gold_tier",)), "Gold Tier", "gold_tier"),
    (FieldMeta("multiselect", "A", ("a", "b")), "a; b", ["a", "b"]),
    (FieldMeta("decimal", "LTV"), "1,234.50", 1234.5),
    (FieldMeta("decimal", "LTV"), 12, 12),
    (FieldMeta("integer", "Points"), 42.0, 42),
    (FieldMeta("checkbox", "Consent"), "y", True),
    (FieldMeta("checkbox", "Consent"), False, False),
    (FieldMeta("date", "Since"), "2024-03-01T10:00:00Z", "2024-03-01"),
    (FieldMeta("text", "Tier"), 3.5, "3.5"),
    (FieldMeta("regexp", "Code", regexp=r"[A-Z]{3}"), "ABC", "ABC"),
])
def test_values_are_fitted_to_the_field(meta, value, expected):
    assert fit(meta, value) == expected


@pytest.mark.parametrize(("meta", "value", "reason"), [
    (TAGGER, "High risk", "not an option of tagger field 'Churn'"),
    (FieldMeta("decimal", "LTV"), "a lot", "not a number for decimal field 'LTV'"),
    (FieldMeta("decimal", "LTV"), True, "not a number for decimal field 'LTV'"),
    (FieldMeta("integer", "Points"), 4.5, "not a whole number for integer field 'Points'"),
    (FieldMeta("checkbox", "Consent"), "maybe", "not true or false for checkbox field 'Consent'"),
    (FieldMeta("date", "Since"), "soon", "not a date for date field 'Since'"),
    (FieldMeta("regexp", "Code", regexp=r"[A-Z]{3}"), "abcd", "does not match the pattern of field 'Code'"),
])
def test_values_that_cannot_fit_say_why_without_the_value(meta, value, reason):
    with pytest.raises(Unfit) as info:
        fit(meta, value)
    assert str(info.value) == reason and str(value) not in reason


def test_fit_plan_keeps_what_fits_and_lists_the_rest():
    catalog = FieldCatalog(ticket={"1": FieldMeta("decimal", "LTV"), "2": TAGGER},
                           user={"tier": FieldMeta("text", "Tier")})
    planned = Plan(fields={"1": "12.5", "2": "unknown", "9": "x"}, person_fields={"tier": "gold", "typo": 1},
                   add_tags=["aep_enriched"], note="n",
                   audit=[("ticket.custom_fields.1", "12.5", "overwrite"),
                          ("ticket.custom_fields.2", "unknown", "overwrite"),
                          ("user.user_fields.typo", "1", "overwrite"), ("ticket.note", None, "once")])
    fitted, skips = fit_plan(planned, catalog)
    assert fitted.fields == {"1": 12.5} and fitted.person_fields == {"tier": "gold"}
    assert fitted.add_tags == ["aep_enriched"] and fitted.note == "n"
    assert [a[0] for a in fitted.audit] == ["ticket.custom_fields.1", "ticket.note"]
    assert [(s.target, s.reason) for s in skips] == [
        ("ticket.custom_fields.2", "not an option of tagger field 'Churn'"),
        ("ticket.custom_fields.9", "no such ticket field in the CRM"),
        ("user.user_fields.typo", "no such user field in the CRM")]


def test_a_plan_left_empty_by_skips_says_so():
    fitted, skips = fit_plan(Plan(fields={"2": "nope"}), FieldCatalog(ticket={"2": TAGGER}))
    assert fitted.empty and fitted.reason == "skipped" and len(skips) == 1


def test_mapping_problems_name_the_rule_and_what_zendesk_says():
    manifest = default_manifest()
    catalog = FieldCatalog(ticket={"360001": FieldMeta("decimal", "LTV"),
                                   "360002": FieldMeta("tagger", "Churn", ("churn_high",))},
                           user={"aep_loyalty_tier": FieldMeta("text", "Tier")})
    rules = (WriteRule(target("ticket.custom_fields.360001"), "lifetime_value"),
             WriteRule(target("ticket.custom_fields.360002"), "churn_propensity.badge"),
             WriteRule(target("ticket.custom_fields.360009"), "loyalty_tier"),
             WriteRule(target("ticket.tags"), "loyalty_tier"),
             WriteRule(target("user.user_fields.aep_loyalty_tier"), "loyalty_tier"),
             WriteRule(target("user.user_fields.nope"), "loyalty_tier"))
    assert mapping_problems(manifest, rules, catalog) == [
        "ticket.custom_fields.360002 (churn_propensity.badge): Zendesk field 'Churn' is tagger; mapped values "
        "high, medium, low are not among its options (churn_high)",
        "ticket.custom_fields.360009 (loyalty_tier): Zendesk has no ticket field id 360009",
        "user.user_fields.nope (loyalty_tier): Zendesk has no user field key nope"]


def test_a_value_the_record_already_holds_as_stored_is_not_written_again():
    from connector.core.writeplan import RecordState

    catalog = FieldCatalog(ticket={"1": FieldMeta("decimal", "LTV"), "2": FieldMeta("dropdown", "Tier", ("gold",))})
    planned = Plan(fields={"1": "1,234.50", "2": "Gold"},
                   audit=[("ticket.custom_fields.1", "1,234.50", "overwrite"), ("ticket.custom_fields.2", "Gold", "x")])
    fitted, skips = fit_plan(planned, catalog, RecordState(fields={"1": "1234.5", "2": "gold"}))
    assert fitted.empty and fitted.reason == "unchanged" and fitted.audit == [] and skips == []
    changed, _ = fit_plan(planned, catalog, RecordState(fields={"1": "1000", "2": "gold"}))
    assert changed.fields == {"1": 1234.5} and [a[0] for a in changed.audit] == ["ticket.custom_fields.1"]
