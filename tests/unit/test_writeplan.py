"""Write plans: diff only, per-field policy, note once, nothing below the match threshold."""
from __future__ import annotations

import pytest

from connector.adapters.aep_bodies import profiles_from as _profiles
from connector.core.card import build_card
from connector.core.manifest import Writeback, WriteRule
from connector.core.models import Attempt, Card, EventPage
from connector.core.writeplan import RecordState, plan, resolve, same, should_write, tag_of
from tests.helpers import default_manifest, fixture, target, wires, with_consent

MATCH = [Attempt("Email", "email", "j***@example.com", "matched", "AEP returned a profile", 0.95)]


def card(confidence: float = 0.95) -> Card:
    profile = _profiles(with_consent(fixture("aep", "profile__tutorial_identitymap")))[0]
    names = {"fea8d394-5a8c-4cea-bebc-df020ce37f5c": "Recent purchasers"}
    return build_card(manifest=default_manifest(), profile=profile, match=MATCH, confidence=confidence,
                      segment_names=names, events=EventPage())


@pytest.mark.parametrize("policy, current, new, last, expected", [
    ("overwrite", "silver", "gold", None, True),
    ("overwrite", "gold", "gold", None, False),
    ("overwrite", 2450.5, "2450.50", None, False),  # numbers compare as numbers
    ("fill_blank", None, "gold", None, True),
    ("fill_blank", "", "gold", None, True),
    ("fill_blank", "silver", "gold", None, False),
    ("never_overwrite_human_edit", None, "gold", None, True),
    ("never_overwrite_human_edit", "silver", "gold", "silver", True),  # still what we wrote: ours to update
    ("never_overwrite_human_edit", "platinum", "gold", "silver", False),  # an agent changed it: leave it
    ("never_overwrite_human_edit", "platinum", "gold", None, False),
])
def test_policies(policy, current, new, last, expected):
    assert should_write(policy, current, new, last) is expected


@pytest.mark.parametrize("a, b, equal", [(None, "", True), (1, "1.0", True), ("a", "A", False), ([], None, True)])
def test_same(a, b, equal):
    assert same(a, b) is equal


def test_tags_are_zendesk_safe():
    assert tag_of("aep_tier_", "Gold Plus") == "aep_tier_gold_plus"


def test_resolve_reads_values_badges_and_reserved_names():
    c = card()
    assert resolve(c, "lifetime_value") == 2450.5
    assert resolve(c, "churn_propensity.badge") == "high"
    assert resolve(c, "loyalty_tier.display") == "gold"
    assert resolve(c, "audiences") == "Recent purchasers; 54669488-03ab-4e0d-a694-37fe49e32be8"
    assert resolve(c, "profile_id") == "A29cgveD5y64ezlhxjUXNzcm"
    assert resolve(c, "nope") is None


ZENDESK = Writeback(note=True, marker_tag="aep_enriched", **wires(), rules=(
    WriteRule(target("ticket.custom_fields.1"), "lifetime_value", "overwrite"),
    WriteRule(target("ticket.tags"), "churn_propensity.badge", prefix="aep_churn_"),
    WriteRule(target("user.user_fields.tier"), "loyalty_tier", "fill_blank"),
))


def test_first_write_has_fields_tags_note_and_marker():
    p = plan(card=card(), spec=ZENDESK, state=RecordState(), last_written={}, note_needed=True)
    assert p.fields == {"1": 2450.5} and p.person_fields == {"tier": "gold"}
    assert p.add_tags == ["aep_churn_high", "aep_enriched"]
    assert p.note.startswith("AEP customer profile\nMatched by Email (j***@example.com), confidence 95%")
    assert ("ticket.note", None, "once") in p.audit and p.reason == "written"


def test_second_write_is_empty():
    state = RecordState(fields={"1": "2450.5"}, tags=frozenset({"aep_churn_high", "aep_enriched"}),
                        person_fields={"tier": "gold"})
    p = plan(card=card(), spec=ZENDESK, state=state, last_written={}, note_needed=False)
    assert p.empty and p.reason == "unchanged" and p.note is None


@pytest.mark.parametrize("confidence, status, reason", [
    (0.5, "found", "low_confidence"), (1.0, "not_found", "no_profile"), (1.0, "not_servable", "not_servable")])
def test_nothing_is_written_without_a_trusted_profile(confidence, status, reason):
    c = card(confidence)
    c.status = status
    p = plan(card=c, spec=ZENDESK, state=RecordState(), last_written={}, note_needed=True)
    assert p.empty and p.reason == reason


def test_enriched_at_only_stamps_a_real_change():
    spec = Writeback(rules=(WriteRule(target("Case.AEP_Lifetime_Value__c"), "lifetime_value", "overwrite"),
                            WriteRule(target("Case.AEP_Last_Enriched__c"), "enriched_at", "overwrite")))
    first = plan(card=card(), spec=spec, state=RecordState(), last_written={}, note_needed=False,
                 now="2026-11-28T18:00:00Z")
    assert first.fields == {"AEP_Lifetime_Value__c": 2450.5, "AEP_Last_Enriched__c": "2026-11-28T18:00:00Z"}
    again = plan(card=card(), spec=spec, state=RecordState(fields={"AEP_Lifetime_Value__c": 2450.5}),
                 last_written={}, note_needed=False, now="2026-11-28T19:00:00Z")
    assert again.empty
