"""The provider contract, proven end to end: a signed inbound event → a durable job → lookup → a
neutral write plan → the write → the ledger → forget — for a third CRM defined only under tests/
(``fakecrm``) and, through the same contract and the same tests, for Zendesk and Salesforce."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from connector import create_app, providers
from connector.config import DEFAULT_MAPPING
from connector.core import targets
from connector.core.jobkey import JobKey
from connector.runtime import build_runtime
from connector.sandbox import seed
from connector.sandbox.server import ServerThread
from connector.services.privacy import forget
from connector.web.verify import callout_signature
from tests.contract import fakecrm
from tests.zendesk_helpers import signed_headers

WEBHOOK_SECRET, CALLOUT_SECRET, FAKE_SECRET = "contract-webhook-secret", "contract-callout-secret", "fake-secret"
FAKE_RULES = {"note": True, "rules": [
    {"target": "record.fields.tier", "value": "loyalty_tier", "policy": "fill_blank"},
    {"target": "person.fields.ltv", "value": "lifetime_value", "policy": "overwrite"},
    {"target": "record.tags", "value": "churn_propensity.badge", "prefix": "aep_churn_"}]}


@pytest.fixture(scope="module", autouse=True)
def registered():
    """The third CRM is plugged in from here, and only for these tests."""
    providers.register(fakecrm.PROVIDER)
    yield
    providers.unregister(fakecrm.NAME)


@pytest.fixture()
def mapping(tmp_path) -> str:
    document = yaml.safe_load(Path(DEFAULT_MAPPING).read_text(encoding="utf-8"))
    document["writeback"][fakecrm.NAME] = FAKE_RULES
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


class Zendesk:
    name = "zendesk"

    def __init__(self, zd) -> None:
        self.crm = zd

    def settings(self, base):
        return base.replace(**self.crm.settings_overrides(), zendesk_webhook_secret=WEBHOOK_SECRET)

    def record(self) -> JobKey:
        return JobKey("zendesk", "ticket", "7")  # requester 1007, seed customer 7

    def deliver(self, client, key: JobKey, *, signed: bool = True):
        body = json.dumps({"event": "ticket_created", "ticket_id": key.id, "requester_id": "1007",
                           "actor_id": "1007"}).encode()
        headers = signed_headers(WEBHOOK_SECRET if signed else "not-the-secret", body)
        return client.post("/zendesk/webhooks", data=body, headers=headers)

    def held(self, key: JobKey) -> dict:
        ticket = self.crm.world.tickets[int(key.id)]
        user = self.crm.world.users[ticket["requester_id"]]
        fields = {f"ticket.custom_fields.{f['id']}": f["value"] for f in ticket["custom_fields"]}
        return {k: v for k, v in {**fields, **{f"user.user_fields.{k}": v for k, v in
                                               user.get("user_fields", {}).items()}}.items() if v not in (None, "")}


class Salesforce:
    name = "salesforce"

    def __init__(self, sf) -> None:
        self.crm = sf

    def settings(self, base):
        return base.replace(**self.crm.settings_overrides(), salesforce_callout_secret=CALLOUT_SECRET)

    def record(self) -> JobKey:
        return JobKey("salesforce", "Case", self.crm.world.create_case(2, subject="Refund")["Id"])

    def deliver(self, client, key: JobKey, *, signed: bool = True):
        body = json.dumps({"event": "case_created", "recordId": key.id, "eventId": f"contract-{key.id}"}).encode()
        stamp = str(int(time.time()))
        signature = callout_signature(secret=CALLOUT_SECRET if signed else "nope", method="POST",
                                      path="/salesforce/events", timestamp=stamp, body=body)
        return client.post("/salesforce/events", data=body, headers={
            "Content-Type": "application/json", "X-Connector-Timestamp": stamp, "X-Connector-Signature": signature})

    def held(self, key: JobKey) -> dict:
        case = self.crm.world.records["Case"][key.id]
        contact = self.crm.world.records["Contact"][case["ContactId"]]
        return {f"{obj}.{k}": v for obj, record in (("Case", case), ("Contact", contact))
                for k, v in record.items() if k.startswith("AEP_") and k != "AEP_CRM_Id__c" and v not in (None, "")}


class Fake:
    name = fakecrm.NAME

    def __init__(self) -> None:
        self.issues: dict[str, dict] = {}
        self.server = ServerThread(fakecrm.emulator(self.issues)).start()

    def settings(self, base):
        return base.replace(fakecrm_url=self.server.url, fakecrm_secret=FAKE_SECRET)

    def record(self) -> JobKey:
        self.issues["1"] = {"id": "1", "fields": {}, "tags": ["web"], "notes": [],
                            "person": {"email": seed.customer(3).crm_email, "fields": {}}}
        return JobKey(fakecrm.NAME, "issue", "1")

    def deliver(self, client, key: JobKey, *, signed: bool = True):
        body = json.dumps({"issue": key.id}).encode()
        return client.post("/fakecrm/events", data=body, headers={
            "X-Fake-Signature": fakecrm.sign(FAKE_SECRET if signed else "nope", body), "X-Fake-Delivery": "d-1"})

    def held(self, key: JobKey) -> dict:
        issue = self.issues[key.id]
        return {**{f"record.fields.{k}": v for k, v in issue["fields"].items() if v is not None},
                **{f"person.fields.{k}": v for k, v in issue["person"]["fields"].items() if v is not None}}

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(params=["fakecrm", "zendesk", "salesforce"])
def crm(request):
    if request.param == "fakecrm":
        driver = Fake()
        yield driver
        driver.stop()
    else:
        yield Zendesk(request.getfixturevalue("zd")) if request.param == "zendesk" else \
            Salesforce(request.getfixturevalue("sf"))


@pytest.fixture()
def connected(crm, settings, mapping):
    runtime = build_runtime(crm.settings(settings.replace(mapping=mapping)))
    yield runtime, create_app(runtime=runtime).test_client()
    runtime.close()


def test_the_provider_is_registered_and_names_its_records(crm, connected):
    runtime, _ = connected
    key = crm.record()
    assert providers.parse_key(str(key)) == key  # one parse, one format
    assert set(runtime.providers) >= {crm.name}
    with pytest.raises(ValueError, match="not a record"):
        providers.parse_key(f"{crm.name}:nosuchobject:1")


def test_a_signed_event_is_a_durable_job_then_a_neutral_plan_written_audited_and_forgotten(crm, connected):
    runtime, client = connected
    key = crm.record()
    response = crm.deliver(client, key)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert runtime.store.job(str(key)).status == "pending"  # durable before it is acknowledged

    draft = runtime.providers[crm.name].draft(key)
    assert draft.card is not None and draft.card.status == "found" and draft.writes
    for part in draft.parts:  # the plan speaks the neutral grammar whatever the CRM calls its fields
        assert all(isinstance(r.target, targets.Target) and r.target.scope in (targets.RECORD, targets.PERSON)
                   for r in part.spec.rules)
        assert set(part.plan.fields) | set(part.plan.person_fields) <= {r.target.name for r in part.spec.rules}

    assert runtime.jobs.run(str(key)) == "written"
    held = crm.held(key)
    rows = [r for k in {str(key), *(str(p.key) for p in draft.parts)} for r in runtime.store.audit_rows(k)]
    written = {r["target"] for r in rows if not r["target"].startswith("identity:")}
    assert held and set(held) <= written  # every value the CRM now holds is in the ledger
    assert any(r["target"].startswith("identity:") for r in rows)  # forget finds the person by it

    runtime.store.accept(delivery_key=f"again:{key}", record_key=str(key), provider=key.provider, rerun=True)
    assert runtime.jobs.run(str(key)) == "unchanged"  # the second run writes nothing

    email = {"zendesk": seed.customer(7), "salesforce": seed.customer(2), fakecrm.NAME: seed.customer(3)}[crm.name]
    report = forget(lookup=runtime.lookup, store=runtime.store, namespace="Email", value=email.email,
                    clear_crm=True, providers=runtime.providers)
    assert report.cleared and report.audit_rows > 0
    assert all(r["value"] is None and r["profile_id"] is None for r in runtime.store.audit_rows(str(key)))
    assert not set(crm.held(key)) & {c.split("/", 1)[1] for c in report.cleared}  # what it wrote is blank again


def test_an_unsigned_event_queues_nothing(crm, connected):
    runtime, client = connected
    key = crm.record()
    response = crm.deliver(client, key, signed=False)
    assert response.status_code in (401, 403) and response.get_json()["error"]
    assert runtime.store.job(str(key)) is None


def test_check_asks_the_provider(crm, connected):
    from connector.checks import run_checks

    runtime, _ = connected
    lines: list[str] = []
    run_checks(runtime, echo=lines.append)
    title = providers.get(crm.name).title
    assert not any(line.startswith("--") and title in line for line in lines)  # configured: checked, not skipped


def test_the_api_document_describes_the_plugged_in_crm_with_the_built_in_ones(settings, mapping):
    driver = Fake()
    runtime = build_runtime(driver.settings(settings.replace(mapping=mapping)))
    try:
        client = create_app(runtime=runtime).test_client()
        document = client.get("/api/v1/openapi.json").get_json()
    finally:
        runtime.close()
        driver.stop()
    validate(document)  # raises OpenAPIValidationError with the offending path
    events = document["paths"]["/fakecrm/events"]["post"]
    assert events["security"] == [{"fakeSignature": []}]
    assert "fakeSignature" in document["components"]["securitySchemes"]
    assert {"/zendesk/webhooks", "/salesforce/events", "/api/v1/profiles"} <= set(document["paths"])
    assert "Fake CRM" in document["info"]["description"]
    served = {rule.rule for rule in client.application.url_map.iter_rules() if rule.endpoint != "static"}
    assert served <= set(document["paths"])  # every route of the app, the plugged-in CRM's included
