"""The Salesforce emulator refuses what Salesforce refuses, driven through simple-salesforce (the client the
connector uses): field metadata from the SFDX package, error lists with the reference's statuses (§2.2),
sObject Collections with allOrNone (§2.3), 15/18-character ids, case-insensitive SOQL, describe, JWT bearer."""
from __future__ import annotations

import shutil

import jwt
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from connector.adapters.http import pinned_session
from connector.sandbox import seed
from connector.sandbox.salesforce import CLIENT_ID, USERNAME, record_id
from connector.sandbox.salesforce.fields import load_schema, sfdx_objects_dir, with_field
from connector.sandbox.salesforce.records import canonical_id

CONTACT = record_id("Contact", 1)
CASE = record_id("Case", 1)


@pytest.fixture()
def client(sf):
    session = pinned_session(timeout=10, verify=sf.ca_bundle)  # the env's CA bundle must not win (reference §10)
    return Salesforce(session_id=sf.world.issue_token(), instance_url=sf.url, session=session, version="59.0")


def refused(call, status: int = 400) -> list[dict]:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        call()
    assert caught.value.status == status
    return caught.value.content


def stored(sf, field: str, obj: str = "Contact", rid: str = CONTACT):
    return sf.world.records[obj][rid][field]


def test_text_longer_than_the_field_is_string_too_long(client, sf):
    body = refused(lambda: client.Contact.update(CONTACT, {"AEP_Loyalty_Tier__c": "x" * 41}))
    assert len(body) == 1 and body[0]["errorCode"] == "STRING_TOO_LONG"
    assert body[0]["fields"] == ["AEP_Loyalty_Tier__c"] and "max length=40" in body[0]["message"]
    assert stored(sf, "AEP_Loyalty_Tier__c") is None
    assert client.Contact.update(CONTACT, {"AEP_Loyalty_Tier__c": "x" * 40}) == 204


def test_restricted_picklist_takes_only_its_active_values(client, sf):
    body = refused(lambda: client.Case.update(CASE, {"AEP_Churn_Risk__c": "extreme"}))
    assert body == [{"errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["AEP_Churn_Risk__c"],
                     "message": "AEP Churn Risk: bad value for restricted picklist field: extreme"}]
    assert client.Case.update(CASE, {"AEP_Churn_Risk__c": "high"}) == 204
    meta = sf.world.schema["Case"]["AEP_Churn_Risk__c"]
    sf.world.schema = with_field(sf.world.schema, "Case", "AEP_Churn_Risk__c",
                                 picklist=tuple((v, lbl, v != "low") for v, lbl, _ in meta.picklist))
    assert refused(lambda: client.Case.update(CASE, {"AEP_Churn_Risk__c": "low"}))[0]["errorCode"] == \
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert client.Case.update(CASE, {"Status": "Waiting on customer"}) == 204  # unrestricted: any value


@pytest.mark.parametrize("field, value, kept", [
    ("AEP_Lifetime_Value__c", 1234.565, 1234.57),        # half-up, not banker's rounding
    ("AEP_Lifetime_Value__c", 987.123456, 987.12),
    ("AEP_Lifetime_Value__c", "250.5", 250.5),            # a numeric string is read as the number
    ("AEP_Churn_Propensity__c", 0.876543, 0.8765),
    ("AEP_Churn_Propensity__c", 0.87655, 0.8766),
    ("AEP_Lifetime_Value__c", 99_999_999_999_999.99, 99_999_999_999_999.99),
])
def test_numbers_are_rounded_half_up_to_the_scale_and_stored_rounded(client, sf, field, value, kept):
    assert client.Contact.update(CONTACT, {field: value}) == 204
    assert stored(sf, field) == kept
    assert client.Contact.get(CONTACT)[field] == kept


@pytest.mark.parametrize("field, value", [("AEP_Lifetime_Value__c", 10 ** 14), ("AEP_Churn_Propensity__c", 12.5),
                                          ("AEP_Churn_Propensity__c", -10)])
def test_too_many_integer_digits_are_outside_the_valid_range(client, sf, field, value):
    body = refused(lambda: client.Contact.update(CONTACT, {field: value}))
    assert [(e["errorCode"], e["fields"]) for e in body] == [("NUMBER_OUTSIDE_VALID_RANGE", [field])]
    assert stored(sf, field) is None


@pytest.mark.parametrize("value, kept", [
    ("2026-11-30T10:00:00Z", "2026-11-30T10:00:00.000+0000"),
    ("2026-11-30T12:00:00.5+02:00", "2026-11-30T10:00:00.500+0000"),
    ("2026-11-30T10:00:00.000+0000", "2026-11-30T10:00:00.000+0000"),
])
def test_datetimes_are_stored_in_utc_with_milliseconds(client, sf, value, kept):
    assert client.Contact.update(CONTACT, {"AEP_Last_Enriched__c": value}) == 204
    assert stored(sf, "AEP_Last_Enriched__c") == kept


@pytest.mark.parametrize("value", ["30/11/2026 10:00", "2026-13-01T00:00:00Z", "2026-11-30", 1764496800, True])
def test_datetimes_in_other_formats_are_json_parser_errors(client, sf, value):
    body = refused(lambda: client.Contact.update(CONTACT, {"AEP_Last_Enriched__c": value}))
    assert [e["errorCode"] for e in body] == ["JSON_PARSER_ERROR"]
    assert stored(sf, "AEP_Last_Enriched__c") is None


@pytest.mark.parametrize("value, code", [
    ([1, 2], "JSON_PARSER_ERROR"), ({"amount": 1}, "JSON_PARSER_ERROR"), (True, "JSON_PARSER_ERROR"),
    ("a lot", "INVALID_TYPE_ON_FIELD_IN_RECORD"),
])
def test_wrong_json_types_for_a_number(client, sf, value, code):
    body = refused(lambda: client.Contact.update(CONTACT, {"AEP_Lifetime_Value__c": value, "FirstName": "Kim"}))
    assert [e["errorCode"] for e in body] == [code]
    if code == "INVALID_TYPE_ON_FIELD_IN_RECORD":
        assert body[0]["fields"] == ["AEP_Lifetime_Value__c"]
    assert stored(sf, "FirstName") == seed.customer(1).first  # nothing of the refused write is kept


@pytest.mark.parametrize("field", ["Id", "LastModifiedById"])
def test_read_only_fields_are_invalid_for_update(client, sf, field):
    body = refused(lambda: client.Contact.update(CONTACT, {field: "0055g00000AGENTAAA"}))
    assert body[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE" and body[0]["fields"] == [field]
    assert body[0]["message"].startswith(f"Unable to create/update fields: {field}.")


def test_a_field_without_edit_access_is_invalid_for_update(client, sf):
    sf.world.schema = with_field(sf.world.schema, "Contact", "AEP_Profile_Id__c", updateable=False)
    body = refused(lambda: client.Contact.update(CONTACT, {"AEP_Profile_Id__c": "p-1"}))
    assert body[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_unknown_field_is_invalid_field(client):
    body = refused(lambda: client.Contact.update(CONTACT, {"AEP_Nope__c": 1}))
    assert body == [{"errorCode": "INVALID_FIELD", "fields": [],
                     "message": "No such column 'AEP_Nope__c' on sobject of type Contact"}]


def test_body_that_is_not_an_object_is_a_json_parser_error(client):
    body = refused(lambda: client.restful(f"sobjects/Contact/{CONTACT}", method="PATCH", json=[1]))
    assert body[0]["errorCode"] == "JSON_PARSER_ERROR"


def _collection(client, all_or_none: bool):
    return client.restful("composite/sobjects", method="PATCH", json={"allOrNone": all_or_none, "records": [
        {"attributes": {"type": "Contact"}, "id": CONTACT, "AEP_Loyalty_Tier__c": "gold"},
        {"attributes": {"type": "Case"}, "id": CASE, "AEP_Churn_Risk__c": "extreme"}]})


def test_all_or_none_rolls_the_good_records_back(client, sf):
    results = _collection(client, True)
    assert results[0] == {"success": False, "errors": [{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "fields": [],
        "message": "Record rolled back because not all records were valid and the request was using AllOrNone header"}]}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert stored(sf, "AEP_Loyalty_Tier__c") is None and sf.world.patches == []


def test_without_all_or_none_the_good_records_are_saved(client, sf):
    results = _collection(client, False)
    assert results[0] == {"id": CONTACT, "success": True, "errors": []} and results[1]["success"] is False
    assert stored(sf, "AEP_Loyalty_Tier__c") == "gold"


def test_fifteen_and_eighteen_character_ids_name_the_same_record(client, sf):
    short = CONTACT[:15]
    assert canonical_id(short) == CONTACT and canonical_id(CONTACT.upper()) == CONTACT
    assert client.Contact.get(short)["Id"] == CONTACT
    assert client.Contact.update(short, {"FirstName": "Ana"}) == 204
    assert client.Contact.get(CONTACT.lower()[:15] + CONTACT[15:])["FirstName"] == "Ana"
    results = client.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Contact"}, "id": short, "LastName": "Ruiz"}]})
    assert results == [{"id": CONTACT, "success": True, "errors": []}] and stored(sf, "LastName") == "Ruiz"
    with pytest.raises(SalesforceResourceNotFound):
        client.Contact.get("003-not-an-id")


def test_soql_is_case_insensitive(client, sf):
    email = seed.customer(1).crm_email.strip()
    result = client.query(f"select id, EMAIL from contact where Email = '{email.upper()}' limit 5")
    assert [(r["Id"], r["Email"]) for r in result["records"]] == [(CONTACT, email)]
    by_id = client.query(f"SELECT Id FROM Contact WHERE id IN ('{CONTACT[:15]}', '{record_id('Contact', 2)}')")
    assert {r["Id"] for r in by_id["records"]} == {CONTACT, record_id("Contact", 2)}
    with pytest.raises(SalesforceMalformedRequest) as caught:
        client.query("SELECT Nope__c FROM Contact")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_describe_returns_the_deployed_fields_metadata(client):
    fields = {f["name"]: f for f in client.Contact.describe()["fields"]}
    tier, value = fields["AEP_Loyalty_Tier__c"], fields["AEP_Lifetime_Value__c"]
    churn = fields["AEP_Churn_Propensity__c"]
    assert (tier["type"], tier["length"], tier["updateable"], tier["nillable"]) == ("string", 40, True, True)
    assert (value["type"], value["precision"], value["scale"]) == ("currency", 16, 2)
    assert (churn["type"], churn["precision"], churn["scale"]) == ("double", 5, 4)
    assert fields["AEP_Last_Enriched__c"]["type"] == "datetime" and fields["AEP_Audiences__c"]["length"] == 32768
    assert fields["Id"]["updateable"] is False and fields["LastModifiedById"]["createable"] is False
    risk = {f["name"]: f for f in client.Case.describe()["fields"]}["AEP_Churn_Risk__c"]
    assert risk["type"] == "picklist" and risk["restrictedPicklist"] is True
    assert [(v["value"], v["label"], v["active"]) for v in risk["picklistValues"]] == [
        ("high", "High", True), ("medium", "Medium", True), ("low", "Low", True)]


def test_the_metadata_is_read_from_the_sfdx_package(tmp_path):
    copy = tmp_path / "objects"
    shutil.copytree(sfdx_objects_dir(), copy)
    path = copy / "Contact" / "fields" / "AEP_Loyalty_Tier__c.field-meta.xml"
    path.write_text(path.read_text().replace("<length>40</length>", "<length>80</length>"))
    assert load_schema(copy)["Contact"]["AEP_Loyalty_Tier__c"].length == 80
    assert load_schema()["Contact"]["AEP_Loyalty_Tier__c"].length == 40


def _assertion(key: str, **claims) -> str:
    import time

    payload = {"iss": CLIENT_ID, "sub": USERNAME, "aud": "https://login.salesforce.com",
               "exp": str(int(time.time()) + 180)} | claims
    return jwt.encode(payload, key, algorithm="RS256")


def _other_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize("make, status, description", [
    (lambda sf: _assertion(sf.jwt_private_key), 200, None),
    (lambda sf: _assertion(sf.jwt_private_key, aud="https://test.salesforce.com"), 200, None),
    (lambda sf: _assertion(_other_key()), 400, "invalid assertion"),
    (lambda sf: _assertion(sf.jwt_private_key, aud=sf.url), 400, "audience is invalid"),
    (lambda sf: _assertion(sf.jwt_private_key, exp="1"), 400, "expired authorization code"),
    (lambda sf: _assertion(sf.jwt_private_key, sub="someone@else.example"), 400,
     "user hasn't approved this consumer"),
], ids=["login", "test", "other-key", "other-aud", "expired", "other-user"])
def test_jwt_bearer_checks_the_signature_and_audience(sf, make, status, description):
    response = requests.post(sf.url + "/services/oauth2/token", verify=sf.ca_bundle, timeout=10, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": make(sf)})
    assert response.status_code == status
    if description:
        assert response.json() == {"error": "invalid_grant", "error_description": description}


def test_the_connector_logs_in_with_the_connected_apps_key(sfsettings, sf):
    from connector.adapters.salesforce import SalesforceClient

    client = SalesforceClient(sfsettings.replace(**sf.jwt_overrides()))
    assert client.get("Contact", CONTACT, ["Id"])["Id"] == CONTACT
    assert sf.world.calls("/services/oauth2/token")[0][2] is None  # a form post, not JSON


@pytest.mark.parametrize("kind, value, outcome", [
    ("date", "2026-11-30", "2026-11-30"),
    ("date", "2026-11-30T10:00:00Z", "JSON_PARSER_ERROR"),
    ("date", "2026-02-30", "JSON_PARSER_ERROR"),
    ("boolean", True, True),
    ("boolean", "false", False),
    ("boolean", "yes", "INVALID_TYPE_ON_FIELD_IN_RECORD"),
])
def test_date_and_checkbox_fields(client, sf, kind, value, outcome):
    sf.world.schema = with_field(sf.world.schema, "Contact", "AEP_Last_Enriched__c", type=kind)
    if isinstance(outcome, str) and outcome.isupper():
        assert [e["errorCode"] for e in refused(
            lambda: client.Contact.update(CONTACT, {"AEP_Last_Enriched__c": value}))] == [outcome]
    else:
        assert client.Contact.update(CONTACT, {"AEP_Last_Enriched__c": value}) == 204
        assert stored(sf, "AEP_Last_Enriched__c") == outcome
