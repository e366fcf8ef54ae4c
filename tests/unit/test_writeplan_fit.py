"""Write plans over fitted values: compared as the CRM stores them, skipped when the field cannot take them."""
from __future__ import annotations

from connector.core.fieldfit import FieldMeta, fit
from connector.core.manifest import Writeback, WriteRule
from connector.core.writeplan import RecordState, plan
from tests.helpers import target
from tests.unit.test_writeplan import card

FIELDS = {"LTV": FieldMeta("LTV", "number", precision=16, scale=2),
          "Tier": FieldMeta("Tier", "text", length=3),
          "Risk": FieldMeta("Risk", "choice", choices=(("low", "Low"),), restricted=True),
          "At": FieldMeta("At", "datetime")}
SPEC = Writeback(rules=(WriteRule(target("Case.LTV"), "lifetime_value", "overwrite"),
                        WriteRule(target("Case.Tier"), "loyalty_tier", "never_overwrite_human_edit"),
                        WriteRule(target("Case.Risk"), "churn_propensity.badge", "overwrite"),
                        WriteRule(target("Case.At"), "enriched_at", "overwrite")))
NOW = "2026-11-30T10:00:00Z"


def fitter(target, value):
    return fit(FIELDS[target.name], value)


def test_values_are_planned_as_the_field_stores_them_and_misfits_are_skipped():
    c = card()  # lifetime value 2450.5, tier "gold", churn badge "high"
    result = plan(card=c, spec=SPEC, state=RecordState(), last_written={}, note_needed=False, now=NOW, fit=fitter)
    assert result.fields == {"LTV": 2450.5, "Tier": "go…", "At": "2026-11-30T10:00:00.000+0000"}
    assert result.skipped == [("Case.Risk", "not an active value of the picklist")]
    assert ("Case.Tier", "go…", "never_overwrite_human_edit") in result.audit  # the ledger holds what was written


def test_a_record_holding_the_fitted_values_is_unchanged():
    state = RecordState(fields={"LTV": 2450.5, "Tier": "go…", "At": "2026-11-29T10:00:00.000+0000"})
    result = plan(card=card(), spec=SPEC, state=state, last_written={"Case.Tier": "go…"}, note_needed=False,
                  now=NOW, fit=fitter)
    assert result.fields == {} and result.reason == "unchanged"


def test_without_fit_the_raw_value_differs_from_what_the_crm_stored():
    state = RecordState(fields={"LTV": 2450.5, "Tier": "go…"})
    result = plan(card=card(), spec=SPEC, state=state, last_written={"Case.Tier": "go…"}, note_needed=False, now=NOW)
    assert result.fields["Tier"] == "gold"  # the old behaviour: a write on every run
