"""Zendesk write-back against stricter emulators: values fit the field metadata or are skipped and
recorded, `check` names every mapping Zendesk cannot take, and a sandbox without CRMID still matches."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import main
from connector.config import DEFAULT_MAPPING
from connector.core.models import Contact
from connector.runtime import build_runtime
from connector.sandbox import seed
from tests.integration.test_zendesk_enrichment import REQUESTER, enrich_ticket

PREFIXED = [{"name": n.title(), "value": f"churn_{n}"} for n in ("high", "medium", "low")]
TAGGER_LINE = ("FAIL Zendesk fields: writeback.zendesk ticket.custom_fields.360002 (churn_propensity.badge): "
               "Zendesk field 'AEP churn risk' is tagger; mapped values high, medium, low are not among its options "
               "(churn_high, churn_medium, churn_low)")


def churn_tagger(zd) -> dict:
    return next(f for f in zd.world.ticket_fields if f["id"] == 360002)


def sent_fields(zd, ticket_id) -> dict:
    (sent,) = zd.world.ticket_updates[ticket_id]
    return {f["id"]: f["value"] for f in sent.get("custom_fields") or []}


def ledger(runtime, ticket_id) -> dict[str, tuple]:
    return {r["target"]: (r["policy"], r["value"]) for r in runtime.store.audit_rows(f"zendesk:ticket:{ticket_id}")}


def check(zsettings, **extra: str):
    s = zsettings
    env = {"CONNECTOR_AEP_IMS_URL": s.aep_ims_url, "CONNECTOR_AEP_PLATFORM_URL": s.aep_platform_url,
           "CONNECTOR_AEP_CLIENT_ID": s.aep_client_id, "CONNECTOR_AEP_CLIENT_SECRET": s.aep_client_secret,
           "CONNECTOR_AEP_ORG_ID": s.aep_org_id, "CONNECTOR_ZENDESK_URL": s.zendesk_url,
           "CONNECTOR_ZENDESK_EMAIL": s.zendesk_email, "CONNECTOR_ZENDESK_API_TOKEN": s.zendesk_api_token,
           "CONNECTOR_ZENDESK_WEBHOOK_SECRET": "whsec", "CONNECTOR_DATABASE_URL": s.database_url,
           "CONNECTOR_QUEUE_URL": s.queue_url, **extra}
    clean = {k: None for k in os.environ if k.startswith("CONNECTOR_")}
    return CliRunner().invoke(main, ["check"], env={**clean, **env})


def test_a_value_that_is_no_option_of_a_tagger_is_skipped_recorded_and_named_by_check(zd, aep, zruntime, installed,
                                                                                     zsettings):
    churn_tagger(zd)["custom_field_options"] = PREFIXED  # the account's tag values carry a prefix
    zruntime.start_workers()
    ticket, job = enrich_ticket(zd, zruntime)
    tid = ticket["id"]
    profile = seed.profile_entity(1)

    assert job.status == "done" and job.outcome == "written"
    assert sent_fields(zd, tid) == {360001: profile["_acme"]["lifetimeValue"], 360003: profile["loyalty"]["tier"]}
    assert len(zd.world.notes(tid)) == 1 and "aep_enriched" in zd.world.tickets[tid]["tags"]
    rows = ledger(zruntime, tid)
    assert rows["ticket.custom_fields.360002"] == ("skipped", "not an option of tagger field 'AEP churn risk'")
    assert rows["ticket.custom_fields.360001"][0] == "overwrite"

    result = check(zsettings)
    assert result.exit_code == 1
    assert TAGGER_LINE in result.stdout.splitlines()


def test_check_passes_the_shipped_manifest_against_the_sandbox(zd, aep, zsettings):
    result = check(zsettings)
    assert result.exit_code == 0, result.output
    assert "ok   Zendesk fields: every mapped ticket field id and user field key exists and takes its value" \
        in result.stdout


def manifest_with(tmp_path: Path, old: str, new: str) -> str:
    text = DEFAULT_MAPPING.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "mapping.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return str(path)


def test_unknown_user_field_key_is_a_check_failure_and_never_a_silent_no_op(zd, aep, zsettings, tmp_path):
    mapping = manifest_with(tmp_path, "user.user_fields.aep_loyalty_tier", "user.user_fields.aep_loyalty_teir")
    result = check(zsettings, CONNECTOR_MAPPING=mapping)
    assert result.exit_code == 1
    assert ("FAIL Zendesk fields: writeback.zendesk user.user_fields.aep_loyalty_teir (loyalty_tier): "
            "Zendesk has no user field key aep_loyalty_teir") in result.stdout.splitlines()

    runtime = build_runtime(zsettings.replace(mapping=mapping))
    try:
        runtime.store.accept(delivery_key="zendesk:x1", record_key="zendesk:ticket:3", provider="zendesk")
        assert runtime.jobs.run("zendesk:ticket:3") == "written"
        (user_put,) = [b for m, p, b in zd.world.calls("/api/v2/users/1003.json", "PUT")]
        assert "aep_loyalty_teir" not in user_put["user"]["user_fields"]
        assert ledger(runtime, 3)["user.user_fields.aep_loyalty_teir"] == ("skipped", "no such user field in the CRM")
    finally:
        runtime.close()


def test_check_names_a_type_that_cannot_take_the_mapped_value(zd, aep, zsettings, tmp_path):
    mapping = manifest_with(tmp_path, "{target: ticket.custom_fields.360001, value: lifetime_value",
                            "{target: ticket.custom_fields.360001, value: loyalty_tier")
    result = check(zsettings, CONNECTOR_MAPPING=mapping)
    assert ("FAIL Zendesk fields: writeback.zendesk ticket.custom_fields.360001 (loyalty_tier): Zendesk field "
            "'AEP lifetime value' is decimal; the mapped value is text") in result.stdout.splitlines()


def test_changed_options_refuse_the_put_then_fresh_metadata_skips_the_field(zd, aep, zruntime, installed):
    zruntime.start_workers()
    enrich_ticket(zd, zruntime)  # metadata read and cached
    churn_tagger(zd)["custom_field_options"] = PREFIXED  # an admin edits the field afterwards
    ticket, job = enrich_ticket(zd, zruntime, requester=1002)
    tid = ticket["id"]
    assert job.status == "done"
    puts = zd.world.calls(f"/api/v2/tickets/{tid}.json", "PUT")
    assert len(puts) == 2  # refused with 422 (stale options), then written without the field
    assert 360002 in {f["id"] for f in puts[0][2]["ticket"]["custom_fields"]}
    assert 360002 not in {f["id"] for f in puts[1][2]["ticket"]["custom_fields"]}
    assert len(zd.world.calls("/api/v2/ticket_fields.json")) == 2
    assert ledger(zruntime, tid)["ticket.custom_fields.360002"][0] == "skipped"


@pytest.fixture()
def without_crmid(aep):
    aep.world.absent_namespaces = {"CRMID"}
    yield aep


def test_without_crmid_the_requester_is_enriched_by_email_and_the_card_says_why(zd, without_crmid, zruntime,
                                                                                installed, zsettings):
    requester = zd.world.users[REQUESTER]
    assert requester["external_id"] and requester["email"]
    zruntime.start_workers()
    ticket, job = enrich_ticket(zd, zruntime)
    assert job.status == "done" and job.outcome == "written"
    (sent,) = zd.world.ticket_updates[ticket["id"]]
    assert sent["comment"]["body"].startswith("AEP customer profile\nMatched by Email")
    assert {r["namespace"] for r in zruntime.store.audit_rows(f"zendesk:ticket:{ticket['id']}")} == {"Email"}

    card = zruntime.lookup.by_contact(Contact(email=requester["email"], crm_id=requester["external_id"]))
    attempts = card.to_dict()["match"]["attempts"]
    assert card.status == "found"
    assert (attempts[0]["namespace"], attempts[0]["outcome"], attempts[0]["reason"]) == \
        ("CRMID", "namespace_unknown", "namespace unknown in this sandbox")
    assert (attempts[1]["namespace"], attempts[1]["outcome"]) == ("Email", "matched")
    crmid_calls = [c for c in without_crmid.world.calls("/data/core/ups/access/entities")
                   if ("entityIdNS", "CRMID") in c.args]
    assert len(crmid_calls) == 1  # the refusal is remembered: later lookups do not ask again

    result = check(zsettings)
    assert "FAIL AEP identity namespaces: not defined in AEP sandbox prod: CRMID" in result.stdout


def test_check_names_refused_scopes_and_an_unknown_merge_policy(zd, aep, zsettings):
    scopes = check(zsettings, CONNECTOR_AEP_SCOPES="openid,AdobeID,no_such_scope")
    assert scopes.exit_code == 1
    (line,) = [li for li in scopes.stdout.splitlines() if li.startswith("FAIL AEP token (IMS)")]
    assert line.startswith("FAIL AEP token (IMS): CONNECTOR_AEP_SCOPES (openid,AdobeID,no_such_scope) refused:")
    assert "invalid_scope" in line

    policy = check(zsettings, CONNECTOR_AEP_MERGE_POLICY_ID="no-such-policy")
    assert policy.exit_code == 1
    assert ("FAIL AEP merge policy: CONNECTOR_AEP_MERGE_POLICY_ID no-such-policy: AEP sandbox prod has no such "
            "merge policy") in policy.stdout.splitlines()
