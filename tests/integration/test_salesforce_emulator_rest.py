"""REST edges of the Salesforce emulator, driven through simple-salesforce as the connector drives it:
JSON errors for unknown routes and wrong methods (§2.1, §2.2), required fields on create (§2.2), and
sObject Collections records that must name their type (§2.3)."""
from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from connector.adapters.http import pinned_session
from connector.sandbox.salesforce import record_id

CONTACT = record_id("Contact", 1)


@pytest.fixture()
def client(sf):
    session = pinned_session(timeout=10, verify=sf.ca_bundle)
    return Salesforce(session_id=sf.world.issue_token(), instance_url=sf.url, session=session, version="59.0")


def refused(call) -> list[dict]:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        call()
    assert caught.value.status == 400
    return caught.value.content


def test_an_unknown_rest_route_is_a_json_not_found(client):
    with pytest.raises(SalesforceResourceNotFound) as caught:
        client.restful("no/such/resource/")
    assert caught.value.content == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def test_a_wrong_method_is_a_json_405(client, sf):
    url = f"{sf.url}/services/data/v59.0/sobjects/Contact/{CONTACT}"
    response = client.session.delete(url, headers=client.headers, timeout=5)
    assert response.status_code == 405 and response.headers["Content-Type"].startswith("application/json")
    (body,) = response.json()
    assert body["errorCode"] == "METHOD_NOT_ALLOWED" and "DELETE" in body["message"]
    assert set(response.headers["Allow"].split(", ")) == {"GET", "PATCH"}
    assert sf.world.records["Contact"][CONTACT]  # nothing was deleted


def test_routes_outside_the_rest_api_are_untouched(sf):
    response = requests.get(f"{sf.url}/no-such-page", verify=sf.ca_bundle, timeout=5)
    assert response.status_code == 404 and not response.headers["Content-Type"].startswith("application/json")


def test_creating_a_contact_without_last_name_is_required_field_missing(client, sf):
    before = len(sf.world.records["Contact"])
    (body,) = refused(lambda: client.Contact.create({"FirstName": "New"}))
    assert body == {"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING",
                    "fields": ["LastName"]}
    (lead,) = refused(lambda: client.Lead.create({"LastName": "Doe", "Company": ""}))
    assert lead["errorCode"] == "REQUIRED_FIELD_MISSING" and lead["fields"] == ["Company"]
    assert len(sf.world.records["Contact"]) == before
    created = client.Contact.create({"LastName": "New"})
    assert created["success"] is True and sf.world.records["Contact"][created["id"]]["LastName"] == "New"
    assert client.Case.create({"Subject": "no status given: the picklist default applies"})["success"] is True


def test_a_collections_record_without_its_type_refuses_the_request(client, sf):
    records = [{"attributes": {"type": "Contact"}, "id": CONTACT, "FirstName": "Kept"},
               {"id": record_id("Contact", 2), "FirstName": "Untyped"}]
    (body,) = refused(lambda: client.restful("composite/sobjects", method="PATCH",
                                             json={"allOrNone": False, "records": records}))
    assert body["errorCode"] and "attributes.type" in body["message"]
    assert sf.world.records["Contact"][CONTACT]["FirstName"] != "Kept"  # nothing of the request was saved
