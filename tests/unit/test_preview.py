"""The diff a write plan would make: one line per rule with its reason, and a token that signs it."""
from __future__ import annotations

import pytest

from connector.adapters.aep_bodies import profiles_from as _profiles
from connector.core.card import build_card
from connector.core.models import Attempt, EventPage
from connector.core.preview import Change, explain, plan_token, same_plan
from connector.core.writeplan import RecordState, plan
from connector.services.preview import parse_record
from tests.helpers import default_manifest, fixture, with_consent

MATCH = [Attempt("CRMID", "crm_id", "CRM***1", "matched", "AEP returned a profile", 1.0)]
KEY = "zendesk:ticket:42"


def card(val: str | None = "y"):
    body = with_consent(fixture("aep", "profile__tutorial_identitymap"), val)
    return build_card(manifest=default_manifest(), profile=_profiles(body)[0], match=MATCH, confidence=1.0,
                      segment_names={}, events=EventPage())


def rows_for(state: RecordState, *, val: str | None = "y", last: dict | None = None, note: bool = True):
    spec = default_manifest().writeback["zendesk"]
    c = card(val)
    changes = plan(card=c, spec=spec, state=state, last_written=last or {}, note_needed=note)
    return explain(record=KEY, card=c, spec=spec, state=state, changes=changes)


def by_target(rows: list[Change]) -> dict[str, Change]:
    return {r.target: r for r in rows if r.target != "ticket.tags"}


BLANK = RecordState(fields={"360001": None, "360002": None, "360003": None}, tags=frozenset(), person_fields={})


@pytest.mark.parametrize("state, target, action, policy, old, new", [
    (BLANK, "ticket.custom_fields.360001", "write", "overwrite", None, 2450.5),
    (BLANK, "ticket.custom_fields.360002", "write", "overwrite", None, "high"),
    (RecordState(fields={"360003": "silver"}), "ticket.custom_fields.360003", "keep", "fill_blank", "silver", "gold"),
    (RecordState(fields={"360001": "2450.50"}), "ticket.custom_fields.360001", "keep", "unchanged", "2450.50",
     2450.5),
    (RecordState(person_fields={"aep_loyalty_tier": "vip"}), "user.user_fields.aep_loyalty_tier", "keep",
     "never_overwrite_human_edit", "vip", "gold"),
    (BLANK, "ticket.note", "write", "once", None, None),
])
def test_each_rule_says_what_it_would_do_and_why(state, target, action, policy, old, new):
    row = by_target(rows_for(state))[target]
    assert (row.action, row.policy, row.old) == (action, policy, old)
    if new is not None:
        assert row.new == new
    assert row.record == KEY


def test_consent_lines_say_hidden_with_the_reason_and_withdrawals_say_remove():
    rows = rows_for(BLANK, val="n")
    churn = by_target(rows)["ticket.custom_fields.360002"]
    assert (churn.action, churn.policy, churn.reason, churn.new) == ("keep", "consent", "no personalisation consent",
                                                                     None)
    tags = [r for r in rows if r.target == "ticket.tags" and r.label == "Churn propensity"]
    assert [(t.action, t.policy) for t in tags] == [("keep", "consent")]
    written = RecordState(fields={"360002": "high"}, tags=frozenset({"aep_churn_high"}))
    rows = rows_for(written, val="n", last={"ticket.custom_fields.360002": "high",
                                            "ticket.tags.aep_churn_high": "aep_churn_high"})
    churn = by_target(rows)["ticket.custom_fields.360002"]
    assert (churn.action, churn.old, churn.new) == ("remove", None, None)  # the hidden value is not shown
    tags = [r for r in rows if r.target == "ticket.tags" and r.action == "remove"]
    assert [(t.old, t.new, t.policy) for t in tags] == [(None, None, "consent")]  # nor the tag naming it
    assert "high" not in repr([r.to_dict() for r in rows if r.policy == "consent"])
    kept = rows_for(RecordState(fields={"360002": "medium"}), val="n")  # an agent's value stays, unshown
    assert by_target(kept)["ticket.custom_fields.360002"].old is None


def test_the_token_signs_the_changes_not_the_kept_lines_nor_the_write_time():
    rows = rows_for(BLANK)
    token = plan_token(rows, secret="s")
    assert same_plan(token, rows, secret="s")
    assert not same_plan(token, rows, secret="other")
    kept_differs = rows + [Change(KEY, "ticket.custom_fields.9", "x", "a", "b", "keep", "fill_blank")]
    assert plan_token(kept_differs, secret="s") == token
    stamp = Change(KEY, "Case.AEP_Last_Enriched__c", "enriched_at", None, "2026-11-30T10:00:00Z", "write",
                   "overwrite", stamp=True)
    later = Change(KEY, "Case.AEP_Last_Enriched__c", "enriched_at", None, "2026-11-30T10:00:07Z", "write",
                   "overwrite", stamp=True)
    assert plan_token(rows + [stamp], secret="s") == plan_token(rows + [later], secret="s")


def test_the_token_changes_when_the_diff_does():
    token = plan_token(rows_for(BLANK), secret="s")
    assert plan_token(rows_for(BLANK, val="n"), secret="s") != token  # consent withdrawn: churn not written
    other = RecordState(fields={"360001": 1.0, "360002": None, "360003": None})
    assert plan_token(rows_for(other), secret="s") != token  # the ticket changed: old value differs
    assert plan_token(rows_for(BLANK, note=False), secret="s") != token  # the note was written meanwhile


@pytest.mark.parametrize("key, ok", [
    ("zendesk:ticket:42", True), ("salesforce:Case:5005g0000000001AAA", True),
    ("salesforce:Contact:0035g0000000001", True), ("zendesk:ticket:abc", False), ("zendesk:user:1", False),
    ("salesforce:Account:0015g0000000001AAA", False), ("salesforce:Case:500", False), ("42", False),
])
def test_record_keys(key, ok):
    if ok:
        assert parse_record(key).provider in ("zendesk", "salesforce")
    else:
        with pytest.raises(Exception, match="not a record"):
            parse_record(key)


def test_the_note_row_says_it_is_the_note_whatever_the_crm_calls_it():
    rows = rows_for(BLANK)
    assert [r.target for r in rows if r.is_note] == ["ticket.note"]  # the provider's wire name, flagged once
    assert all(r.to_dict()["is_note"] is (r.target == "ticket.note") for r in rows)
    assert not any(r.is_note for r in rows_for(BLANK, note=False))
