"""Writes the agent approves: the diff before the write (CLI and sidebar), and a confirm that writes
exactly that diff — or answers 409 with the new diff when the profile or the record changed since."""
from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner

from connector.cli import main
from connector.sandbox import seed
from connector.sandbox.salesforce import record_id

GRANTS, DENIES = 4, 23  # seed: customer 4 grants personalisation consent, 23 refuses it


def level(index: int) -> str:
    churn = seed.profile_entity(index)["_acme"]["churnPropensity"]
    return "high" if churn >= 0.7 else "medium" if churn >= 0.4 else "low"


def run(env: dict, *args: str):
    clean = {k: None for k in os.environ if k.startswith("CONNECTOR_")}
    return CliRunner().invoke(main, list(args), env={**clean, **env})


@pytest.fixture()
def zenv(zsettings):
    names = ("aep_ims_url", "aep_platform_url", "aep_client_id", "aep_client_secret", "aep_org_id", "database_url",
             "queue_url", "zendesk_url", "zendesk_email", "zendesk_api_token", "session_secret")
    return {f"CONNECTOR_{n.upper()}": str(getattr(zsettings, n)) for n in names}


@pytest.fixture()
def sfenv(sfsettings):
    names = ("aep_ims_url", "aep_platform_url", "aep_client_id", "aep_client_secret", "aep_org_id", "database_url",
             "queue_url", "salesforce_instance_url", "salesforce_client_id", "salesforce_client_secret",
             "salesforce_org_id", "ca_bundle")
    return {f"CONNECTOR_{n.upper()}": str(getattr(sfsettings, n)) for n in names}


def zendesk_writes(zd) -> list:
    return [(m, p) for m, p, _ in zd.world.calls() if m in ("PUT", "POST", "PATCH", "DELETE")]


def test_cli_dry_run_prints_the_zendesk_diff_and_writes_nothing(zenv, zd):
    profile = seed.profile_entity(GRANTS)
    result = run(zenv, "enrich", "--dry-run", f"zendesk:ticket:{GRANTS}")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"zendesk:ticket:{GRANTS}: dry run, nothing written")
    assert "record" in out and "target" in out and "old" in out and "new" in out and "why" in out
    ltv = re.escape(str(profile["_acme"]["lifetimeValue"]))
    assert re.search(rf"ticket:{GRANTS}\s+ticket\.custom_fields\.360001\s+—\s+{ltv}\s+overwrite\n", out)
    assert f"aep_churn_{level(GRANTS)}" in out and "(internal note, added once)" in out
    assert zendesk_writes(zd) == [] and zd.world.ticket_updates == {}  # the emulator recorded no write
    assert zd.world.notes(GRANTS) == []


def test_cli_dry_run_json_shows_policies_and_consent(zenv, zd):
    zd.world.tickets[DENIES]["custom_fields"][2]["value"] = "agent's tier"  # fill_blank keeps it
    result = run(zenv, "enrich", "--dry-run", "--json", f"zendesk:ticket:{DENIES}")
    assert result.exit_code == 0, result.output
    preview = json.loads(result.stdout)
    by_target = {c["target"]: c for c in preview["changes"] if c["target"] != "ticket.tags"}
    assert by_target["ticket.custom_fields.360001"]["action"] == "write"
    assert by_target["ticket.custom_fields.360001"]["new"] == seed.profile_entity(DENIES)["_acme"]["lifetimeValue"]
    churn = by_target["ticket.custom_fields.360002"]
    assert churn["action"] == "keep" and churn["policy"] == "consent"
    assert churn["reason"] == "no personalisation consent" and churn["new"] is None
    tier = by_target["ticket.custom_fields.360003"]
    assert (tier["action"], tier["policy"], tier["old"]) == ("keep", "fill_blank", "agent's tier")
    assert preview["writes"] == len([c for c in preview["changes"] if c["action"] != "keep"])
    assert zendesk_writes(zd) == []


def test_cli_dry_run_shows_never_overwrite_human_edit(zenv, zd):
    zd.world.users[1000 + GRANTS]["user_fields"]["aep_loyalty_tier"] = "vip"  # an agent typed it
    preview = json.loads(run(zenv, "enrich", "--dry-run", "--json", f"zendesk:ticket:{GRANTS}").stdout)
    tier = next(c for c in preview["changes"] if c["target"] == "user.user_fields.aep_loyalty_tier")
    assert (tier["action"], tier["policy"], tier["old"]) == ("keep", "never_overwrite_human_edit", "vip")


def test_cli_without_dry_run_enriches(zenv, zd):
    result = run(zenv, "enrich", f"zendesk:ticket:{GRANTS}")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"zendesk:ticket:{GRANTS}: written"
    assert len(zd.world.ticket_updates[GRANTS]) == 1 and len(zd.world.notes(GRANTS)) == 1


def test_cli_dry_run_salesforce_case_writes_nothing(sfenv, sf):
    case = record_id("Case", GRANTS)
    result = run(sfenv, "enrich", "--dry-run", "--json", f"salesforce:Case:{case}")
    assert result.exit_code == 0, result.output
    preview = json.loads(result.stdout)
    targets = {(c["record"], c["target"]): c for c in preview["changes"]}
    contact = record_id("Contact", GRANTS)
    assert targets[(f"salesforce:Case:{case}", "Case.AEP_Churn_Risk__c")]["new"] == level(GRANTS)
    assert targets[(f"salesforce:Contact:{contact}", "Contact.AEP_Lifetime_Value__c")]["action"] == "write"
    assert targets[(f"salesforce:Case:{case}", "Case.AEP_Last_Enriched__c")]["stamp"] is True
    assert sf.world.calls("", "PATCH") == [] and sf.world.patches == []
    assert sf.world.records["Case"][case]["AEP_Churn_Risk__c"] is None
    text = run(sfenv, "enrich", "--dry-run", f"salesforce:Case:{case}").stdout
    assert "Case.AEP_Churn_Risk__c" in text and "(write time)" in text


@pytest.mark.parametrize("record", ["zendesk:ticket:x", "salesforce:Account:0015g0000000001AAA", "ticket:42"])
def test_cli_refuses_what_is_not_a_record(zenv, record):
    result = run(zenv, "enrich", "--dry-run", record)
    assert result.exit_code == 1 and "not a record" in result.stderr


# -- the sidebar: preview, confirm, 409 -------------------------------------------------------------

def session(zclient, zd) -> str:
    page = zclient.post("/zendesk/sidebar?origin=https%3A%2F%2Facme.zendesk.com&app_guid=abc",
                        data={"token": zd.sidebar_token()}).get_data(as_text=True)
    return page.split('data-session="', 1)[1].split('"', 1)[0]


def call(zclient, path, token, body):
    return zclient.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_preview_then_confirm_writes_exactly_the_shown_diff(zclient, zd, zruntime):
    s = session(zclient, zd)
    preview = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS})
    assert preview.status_code == 200 and preview.headers["Cache-Control"] == "no-store"
    body = preview.get_json()
    assert zendesk_writes(zd) == []
    assert "Review changes" in body["html"] and 'data-action="confirm"' in body["html"]
    shown = {c["target"]: c["new"] for c in body["changes"] if c["action"] == "write" and c["target"] != "ticket.tags"}
    tags = [c["new"] for c in body["changes"] if c["action"] == "write" and c["target"] == "ticket.tags"]

    done = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": body["plan_token"]})
    assert done.status_code == 200 and done.get_json()["status"] == "written"
    puts = zd.world.ticket_updates[GRANTS]
    assert len(puts) == 1
    sent = puts[0]
    assert {f"ticket.custom_fields.{f['id']}": f["value"] for f in sent["custom_fields"]} == \
        {k: v for k, v in shown.items() if k.startswith("ticket.custom_fields.")}
    assert sent["additional_tags"] == tags
    assert sent["comment"]["body"] == shown["ticket.note"]
    user_put = [b for m, p, b in zd.world.calls(f"/api/v2/users/{1000 + GRANTS}.json", "PUT")]
    assert user_put[0]["user"]["user_fields"] == {k.split(".")[-1]: v for k, v in shown.items()
                                                  if k.startswith("user.user_fields.")}
    audit = {r["target"] for r in zruntime.store.audit_rows(f"zendesk:ticket:{GRANTS}")}
    assert "ticket.note" in audit and "ticket.custom_fields.360001" in audit

    again = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": body["plan_token"]})
    assert again.status_code == 409  # that diff is written: the plan is now empty, the old token is stale
    assert again.get_json()["writes"] == 0 and len(zd.world.ticket_updates[GRANTS]) == 1


def test_a_profile_change_since_the_review_answers_409_with_the_new_diff(zclient, zd, zruntime, aep):
    s = session(zclient, zd)
    body = call(zclient, "/zendesk/sidebar/preview", s, {"ticket_id": GRANTS}).get_json()
    assert any(c["target"] == "ticket.custom_fields.360002" and c["action"] == "write" for c in body["changes"])
    aep.world.set_consent(GRANTS, "personalize.content", "n")  # meanwhile the customer withdraws consent
    refresh = call(zclient, "/zendesk/sidebar/card", s, {"ticket_id": GRANTS, "refresh": True})
    assert refresh.status_code == 200
    stale = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": body["plan_token"]})
    assert stale.status_code == 409
    fresh = stale.get_json()
    assert fresh["error"] == "plan_changed" and "changed since you reviewed it" in fresh["html"]
    churn = next(c for c in fresh["changes"] if c["target"] == "ticket.custom_fields.360002")
    assert churn["action"] == "keep" and churn["policy"] == "consent"
    assert zendesk_writes(zd) == []  # nothing written on a stale confirmation
    done = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": fresh["plan_token"]})
    assert done.status_code == 200
    assert 360002 not in [f["id"] for f in zd.world.ticket_updates[GRANTS][0]["custom_fields"]]


@pytest.mark.parametrize("headers, body, status", [
    ({}, {"ticket_id": GRANTS}, 401),
    ({"Authorization": "Bearer forged"}, {"ticket_id": GRANTS}, 401),
    (None, {}, 400),
    (None, {"ticket_id": "abc"}, 400),
])
def test_preview_authenticates_then_parses(zclient, zd, headers, body, status):
    headers = headers if headers is not None else {"Authorization": f"Bearer {session(zclient, zd)}"}
    response = zclient.post("/zendesk/sidebar/preview", json=body, headers=headers)
    assert response.status_code == status and response.get_json()["error"]
    assert zd.world.calls("/api/v2/tickets") == []


def test_a_forged_plan_token_writes_nothing(zclient, zd):
    s = session(zclient, zd)
    response = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": "0" * 64})
    assert response.status_code == 409 and zendesk_writes(zd) == []
    bad = call(zclient, "/zendesk/sidebar/enrich", s, {"ticket_id": GRANTS, "plan_token": 7})
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_plan_token"


# -- Salesforce: signed preview + apply callouts ----------------------------------------------------

def signed_post(client, path: str, body: dict, *, secret: str | None = None):
    import time as _time

    from connector.web.verify import callout_signature
    from tests.conftest import CALLOUT_SECRET

    raw = json.dumps(body).encode()
    stamp = str(int(_time.time()))
    signature = callout_signature(secret=secret or CALLOUT_SECRET, method="POST", path=path, timestamp=stamp, body=raw)
    return client.post(path, data=raw, headers={"Content-Type": "application/json", "X-Connector-Timestamp": stamp,
                                                "X-Connector-Signature": signature})


def test_salesforce_preview_then_apply_writes_the_shown_diff(sfclient, sf):
    case = record_id("Case", GRANTS)
    preview = signed_post(sfclient, "/salesforce/preview", {"recordId": case})
    assert preview.status_code == 200
    body = preview.get_json()
    assert sf.world.calls("", "PATCH") == []
    shown = {(c["record"].split(":")[2], c["target"].split(".", 1)[1]): c["new"] for c in body["changes"]
             if c["action"] == "write" and not c["stamp"]}
    done = signed_post(sfclient, "/salesforce/apply", {"recordId": case, "planToken": body["plan_token"]})
    assert done.status_code == 200 and done.get_json()["status"] == "written"
    records = sf.world.calls("/composite/sobjects", "PATCH")[0][2]["records"]
    sent = {(r["id"], k): v for r in records for k, v in r.items()
            if k not in ("attributes", "id", "AEP_Last_Enriched__c")}
    assert sent == shown


def test_salesforce_apply_after_a_profile_change_is_409_and_writes_nothing(sfclient, sfruntime, sf, aep):
    contact = record_id("Contact", GRANTS)
    body = signed_post(sfclient, "/salesforce/preview", {"recordId": contact}).get_json()
    aep.world.set_consent(GRANTS, "personalize.content", "n")
    sfruntime.lookup.cache.forget(_crmid(GRANTS))
    stale = signed_post(sfclient, "/salesforce/apply", {"recordId": contact, "planToken": body["plan_token"]})
    assert stale.status_code == 409 and stale.get_json()["error"] == "plan_changed"
    churn = next(c for c in stale.get_json()["changes"] if c["target"] == "Contact.AEP_Churn_Propensity__c")
    assert (churn["action"], churn["policy"]) == ("keep", "consent")
    assert sf.world.calls("", "PATCH") == []


def _crmid(index: int):
    from connector.core.models import Identity

    return Identity("CRMID", seed.customer(index).crm_id)


@pytest.mark.parametrize("path", ["/salesforce/preview", "/salesforce/apply"])
def test_salesforce_preview_and_apply_need_the_callout_signature(sfclient, sf, path):
    response = signed_post(sfclient, path, {"recordId": record_id("Case", GRANTS), "planToken": "x"},
                           secret="another-secret")
    assert response.status_code == 401 and sf.world.calls("/services/data") == []


@pytest.mark.parametrize("body, code", [({"recordId": "nope"}, "invalid_id"),
                                        ({"recordId": "0015g0000000001AAA"}, "unsupported_record"),
                                        ({"recordId": "0035g0000000001AAA"}, "invalid_plan_token")])
def test_salesforce_apply_refuses_bad_input(sfclient, sf, body, code):
    response = signed_post(sfclient, "/salesforce/apply", body)
    assert response.status_code in (400, 422) and response.get_json()["error"] == code
    assert sf.world.calls("", "PATCH") == []
