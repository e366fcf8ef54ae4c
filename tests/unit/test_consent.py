"""Consent- and label-aware rendering and write-back: the pure core, table-driven."""
from __future__ import annotations

import copy

import pytest

from connector.adapters.aep_bodies import profiles_from as _profiles
from connector.core.card import build_card
from connector.core.consent import consent_state, consent_value, evaluate
from connector.core.manifest import AgentPolicy, Requirement
from connector.core.models import Attempt, EventPage
from connector.core.writeplan import RecordState, note_text, plan
from connector.errors import ManifestError
from connector.schemas.manifest import parse_manifest
from connector.textcard import render
from tests.helpers import default_manifest, fixture, with_consent

MATCH = [Attempt("CRMID", "crm_id", "CRM***1", "matched", "AEP returned a profile", 1.0)]
NAMES = {"fea8d394-5a8c-4cea-bebc-df020ce37f5c": "Recent purchasers"}
CONSENTS = ["consents.personalize.content", "consents.marketing.email", "consents.marketing.any",
            "consents.share", "consents.collect"]
DENY, ALLOW = AgentPolicy(), AgentPolicy(missing_consent="allow")


def entity_with(path: str, val: str | None) -> dict:
    node: dict = {}
    if val is not None:
        cursor = node
        for part in path.split("."):
            cursor = cursor.setdefault(part, {})
        cursor["val"] = val
    return node


@pytest.mark.parametrize("val, state", [
    ("y", "granted"), ("dy", "granted"), ("Y", "granted"), ("LI", "granted"), ("VI", "granted"),
    ("n", "denied"), ("dn", "denied"),
    ("p", "undetermined"), ("u", "undetermined"), (None, "undetermined"), ("", "undetermined"),
    ("maybe", "undetermined"),
])
def test_consent_values_map_to_states(val, state):
    assert consent_state(val) == state


@pytest.mark.parametrize("path", CONSENTS)
@pytest.mark.parametrize("val, policy, shown", [
    ("y", DENY, True), ("dy", DENY, True),  # profiles that grant
    ("n", DENY, False), ("dn", DENY, False), ("n", ALLOW, False),  # profiles that deny, whatever the default
    (None, DENY, False), ("p", DENY, False), ("u", DENY, False),  # profiles that lack it: the default decides
    (None, ALLOW, True), ("u", ALLOW, True),
], ids=["grant-y", "grant-dy", "deny-n", "deny-dn", "deny-n-allow-default", "lack-deny-default",
        "pending-deny-default", "unknown-deny-default", "lack-allow-default", "unknown-allow-default"])
def test_each_consent_granted_denied_or_lacking(path, val, policy, shown):
    entity = entity_with(path, val)
    assert consent_value(entity, path) == val
    verdict = evaluate(Requirement(consents=(path,)), {path: consent_value(entity, path)}, policy)
    assert (verdict is None) is shown
    if not shown:
        assert verdict.cause == "consent" and verdict.detail == path and verdict.reason.startswith("no ")


def test_the_reason_comes_from_the_policy_then_the_defaults():
    req = Requirement(consents=("consents.personalize.content",))
    assert evaluate(req, {}, DENY).display == "hidden: no personalisation consent"
    custom = AgentPolicy(consent_reasons={"consents.personalize.content": "the customer opted out"})
    assert evaluate(req, {}, custom).reason == "the customer opted out"
    assert evaluate(Requirement(consents=("consents.custom.thing",)), {}, DENY).reason == "no consent (custom.thing)"


@pytest.mark.parametrize("labels, hidden, reason", [
    ((), {"S1": "sensitive"}, None),
    (("C9",), {"S1": "sensitive"}, None),
    (("C9", "S1"), {"S1": "sensitive"}, "sensitive"),
    (("C5",), {"C5": "no targeting data for agents"}, "no targeting data for agents"),
])
def test_labels_the_policy_lists_are_hidden_whatever_the_consent(labels, hidden, reason):
    req = Requirement(consents=("consents.personalize.content",), labels=labels)
    verdict = evaluate(req, {"consents.personalize.content": "y"}, AgentPolicy(hidden_labels=hidden))
    assert (verdict.reason if verdict else None) == reason
    if verdict:
        assert verdict.cause == "label"


def _card(val: str | None, manifest=None):
    body = with_consent(fixture("aep", "profile__tutorial_identitymap"), val)
    return build_card(manifest=manifest or default_manifest(), profile=_profiles(body)[0], match=MATCH,
                      confidence=1.0, segment_names=NAMES, events=EventPage())


def _item(card, key):
    return next(i for s in card.to_dict()["sections"] for i in s["items"] if s["kind"] == "attributes"
                and i["key"] == key)


def _section(card, key):
    return next(s for s in card.to_dict()["sections"] if s["key"] == key)


@pytest.mark.parametrize("val", ["n", "dn", None, "p"], ids=["deny", "default-no", "lack", "pending"])
def test_card_hides_churn_and_audiences_without_personalisation_consent(val):
    card = _card(val)
    churn = _item(card, "churn_propensity")
    assert churn == {"key": "churn_propensity", "label": "Churn propensity", "value": None,
                     "display": "hidden: no personalisation consent", "format": "percent", "badge": None,
                     "hidden": True, "hidden_reason": "no personalisation consent"}
    audiences = _section(card, "audiences")
    assert audiences["items"] == [] and audiences["hidden"] == "no personalisation consent"
    assert audiences["notice"] == "hidden: no personalisation consent"
    assert _item(card, "lifetime_value")["value"] == 2450.5  # what needs no consent stays
    text = render(card.to_dict())
    assert "0.82" not in text and "82%" not in text and "Recent purchasers" not in text
    assert "hidden: no personalisation consent" in text


def test_card_shows_churn_and_audiences_with_consent():
    card = _card("y")
    assert _item(card, "churn_propensity")["display"] == "82%"
    assert "hidden" not in _item(card, "churn_propensity")
    audiences = _section(card, "audiences")
    assert audiences["hidden"] is None and [i["name"] for i in audiences["items"]][0] == "Recent purchasers"


def test_note_says_hidden_and_never_the_value():
    note = note_text(_card("n"))
    assert "Churn propensity: hidden: no personalisation consent" in note
    assert "Audiences: hidden: no personalisation consent" in note
    assert "82%" not in note and "Recent purchasers" not in note and "High risk" not in note
    granted = note_text(_card("y"))
    assert "Churn propensity: 82% (High risk)" in granted and "Audiences: Recent purchasers" in granted


ZENDESK_STATE = RecordState(fields={"360001": None, "360002": None, "360003": None}, tags=frozenset({"web"}),
                            person_fields={})


def test_plan_writes_neither_churn_nor_audiences_when_consent_is_denied():
    manifest = default_manifest()
    changes = plan(card=_card("n"), spec=manifest.writeback["zendesk"], state=ZENDESK_STATE, last_written={},
                   note_needed=True)
    assert "360002" not in changes.fields and changes.fields["360001"] == 2450.5
    assert not [t for t in changes.add_tags if t.startswith("aep_churn_")]
    assert changes.withheld["ticket.custom_fields.360002"] == "no personalisation consent"
    sf = plan(card=_card("n"), spec=manifest.writeback["salesforce"],
              state=RecordState(fields={}), last_written={}, note_needed=False)
    assert "AEP_Churn_Propensity__c" not in sf.fields and "AEP_Audiences__c" not in sf.fields
    assert "AEP_Churn_Risk__c" not in sf.fields and sf.fields["AEP_Lifetime_Value__c"] == 2450.5


def test_plan_removes_what_the_connector_wrote_before_consent_was_withdrawn():
    spec = default_manifest().writeback["zendesk"]
    state = RecordState(fields={"360001": 2450.5, "360002": "high", "360003": "gold"},
                        tags=frozenset({"web", "aep_churn_high", "aep_tier_gold", "aep_enriched"}), person_fields={})
    last = {"ticket.custom_fields.360002": "high", "ticket.tags.aep_churn_high": "aep_churn_high",
            "ticket.custom_fields.360001": "2450.5"}
    changes = plan(card=_card("n"), spec=spec, state=state, last_written=last, note_needed=False)
    assert changes.fields == {"360002": None}
    assert changes.remove_tags == ["aep_churn_high"]
    assert ("ticket.custom_fields.360002", None, "withdrawn") in changes.audit
    assert ("ticket.tags.aep_churn_high", None, "withdrawn") in changes.audit
    assert changes.record_changes


def test_plan_keeps_an_agents_edit_of_a_withheld_field():
    spec = default_manifest().writeback["zendesk"]
    state = RecordState(fields={"360001": 2450.5, "360002": "medium", "360003": "gold"},
                        tags=frozenset({"aep_churn_medium"}), person_fields={})
    last = {"ticket.custom_fields.360002": "high"}  # the agent changed high → medium; the tag was theirs
    changes = plan(card=_card("n"), spec=spec, state=state, last_written=last, note_needed=False)
    assert "360002" not in changes.fields and changes.remove_tags == []
    assert not [a for a in changes.audit if a[2] == "withdrawn"]


def _manifest_with(**changes) -> dict:
    import yaml

    from connector.config import DEFAULT_MAPPING

    with open(DEFAULT_MAPPING, encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    document = copy.deepcopy(document)
    for path, value in changes.items():
        node = document
        *parents, last = path.split("/")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    return document


def test_a_write_rule_can_require_a_consent_of_its_own():
    document = _manifest_with(**{"writeback/zendesk/rules/0/consent": ["consents.marketing.email"]})
    manifest = parse_manifest(document)
    assert manifest.writeback["zendesk"].rules[0].requires.consents == ("consents.marketing.email",)
    card = _card("y", manifest)  # the fixture has no marketing consent: missing → deny
    changes = plan(card=card, spec=manifest.writeback["zendesk"], state=ZENDESK_STATE, last_written={},
                   note_needed=False)
    assert "360001" not in changes.fields and changes.withheld["ticket.custom_fields.360001"] == \
        "no e-mail marketing consent"
    assert _item(card, "lifetime_value")["value"] == 2450.5  # the card still shows it


def test_a_field_label_the_policy_hides_is_hidden_and_not_written():
    document = _manifest_with(**{"card/1/fields/0/labels": ["S1"]})
    manifest = parse_manifest(document)
    card = _card("y", manifest)
    assert _item(card, "lifetime_value")["display"] == "hidden: sensitive data (S1)"
    changes = plan(card=card, spec=manifest.writeback["zendesk"], state=ZENDESK_STATE, last_written={},
                   note_needed=False)
    assert "360001" not in changes.fields


def test_missing_consent_default_can_be_allow():
    manifest = parse_manifest(_manifest_with(**{"agent_policy/missing_consent": "allow"}))
    assert _item(_card(None, manifest), "churn_propensity")["display"] == "82%"
    assert _item(_card("n", manifest), "churn_propensity")["hidden"] is True


@pytest.mark.parametrize("change, message", [
    ({"agent_policy/missing_consent": "maybe"}, "agent_policy.missing_consent"),
    ({"agent_policy/hidden_labels": {"s1": "x"}}, "agent_policy.hidden_labels"),
    ({"agent_policy/typo": 1}, "agent_policy.typo"),
    ({"card/1/fields/0/consent": "personalize.content"}, "card.1.fields.0.consent"),
    ({"audiences/consent": ["consents.bad path"]}, "audiences.consent"),
])
def test_bad_policy_keys_fail_at_start(change, message):
    with pytest.raises(ManifestError) as exc:
        parse_manifest(_manifest_with(**change))
    assert message in str(exc.value)


def test_the_profile_projection_asks_aep_for_the_consents():
    assert "consents.personalize.content.val" in default_manifest().profile_fields()


def test_an_event_section_can_require_a_consent():
    manifest = parse_manifest(_manifest_with(**{"events/sections/1/consent": "consents.marketing.email"}))
    card = _card("y", manifest)  # the fixture records no e-mail marketing consent
    campaigns = _section(card, "campaigns")
    assert campaigns["items"] == [] and campaigns["hidden"] == "no e-mail marketing consent"
    assert _section(card, "purchases")["hidden"] is None
