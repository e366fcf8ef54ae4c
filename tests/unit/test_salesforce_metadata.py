"""Every Salesforce metadata file parses, and the fields the Python side writes exist with types and
lengths that hold what it writes (`sf project convert source` checks layout, not field XML)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from connector.adapters.salesforce import SalesforceClient
from connector.config import Settings
from connector.sandbox import seed
from tests.helpers import default_manifest

PROJECT = Path(__file__).resolve().parents[2] / "manifests" / "salesforce"
SOURCE = PROJECT / "force-app" / "main" / "default"
MD = "{http://soap.sforce.com/2006/04/metadata}"
XML_FILES = sorted(p for p in SOURCE.rglob("*.xml"))
RULES = default_manifest().writeback["salesforce"].rules


def field(target: str) -> ET.Element:
    obj, name = target.split(".", 1)
    return ET.parse(SOURCE / "objects" / obj / "fields" / f"{name}.field-meta.xml").getroot()


def text(element: ET.Element, tag: str) -> str | None:
    found = element.find(MD + tag)
    return found.text if found is not None else None


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_metadata_xml_is_well_formed_in_the_metadata_namespace(path):
    root = ET.parse(path).getroot()
    assert root.tag.startswith(MD)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: str(r.target))
def test_every_written_field_exists_with_a_fitting_type(rule):
    element = field(str(rule.target))
    assert text(element, "fullName") == rule.target.name
    kind = text(element, "type")
    if rule.value in ("lifetime_value",):
        assert kind == "Currency" and int(text(element, "scale")) == 2
    elif rule.value == "churn_propensity":  # a 0–1 probability with two decimals
        assert kind == "Number" and int(text(element, "scale")) >= 2
        assert int(text(element, "precision")) - int(text(element, "scale")) >= 1
    elif rule.value.endswith(".badge"):
        values = {v.text for v in element.iter(MD + "fullName")} - {text(element, "fullName")}
        assert kind == "Picklist" and values >= {"high", "medium", "low"}
    elif rule.value == "audiences":
        assert kind == "LongTextArea" and int(text(element, "length")) >= 4000
    elif rule.value == "enriched_at":
        assert kind == "DateTime"
    else:  # text values: tier names, the profile id
        assert kind == "Text"
        longest = max(len(seed.customer(i).entity_id) for i in range(50)) if rule.value == "profile_id" else 20
        assert int(text(element, "length")) >= longest


def test_identity_field_read_for_contacts_exists():
    assert text(field("Contact.AEP_CRM_Id__c"), "type") == "Text"


def test_permission_set_grants_edit_on_every_written_field_and_the_callout():
    root = ET.parse(SOURCE / "permissionsets" / "AEP_Connector.permissionset-meta.xml").getroot()
    editable = {text(p, "field") for p in root.iter(MD + "fieldPermissions") if text(p, "editable") == "true"}
    assert {str(r.target) for r in RULES} <= editable
    principals = {text(p, "externalCredentialPrincipal") for p in root.iter(MD + "externalCredentialPrincipalAccesses")}
    credential = ET.parse(SOURCE / "externalCredentials" / "AEP_Connector.externalCredential-meta.xml").getroot()
    principal = text(credential.find(MD + "principals"), "principalName")
    assert principals == {f"AEP_Connector-{principal}"}


def test_apex_calls_the_named_credential_and_the_routes_that_exist():
    apex = (SOURCE / "classes" / "AepConnector.cls").read_text()
    assert "callout:AEP_Connector" in apex
    assert (SOURCE / "namedCredentials" / "AEP_Connector.namedCredential-meta.xml").exists()
    controller = (SOURCE / "classes" / "AepProfileController.cls").read_text()
    assert "/salesforce/profile?recordId=" in controller
    assert "/salesforce/events" in (SOURCE / "classes" / "AepCaseEvents.cls").read_text()


def test_component_is_offered_on_contact_lead_and_case_record_pages():
    root = ET.parse(SOURCE / "lwc" / "aepProfileCard" / "aepProfileCard.js-meta.xml").getroot()
    assert {t.text for t in root.iter(MD + "target")} == {"lightning__RecordPage", "lightning__UtilityBar"}
    assert {o.text for o in root.iter(MD + "object")} == {"Contact", "Lead", "Case"}


def test_outbound_message_sends_what_the_endpoint_reads():
    root = ET.parse(SOURCE / "workflows" / "Case.workflow-meta.xml").getroot()
    message = root.find(MD + "outboundMessages")
    assert {f.text for f in message.iter(MD + "fields")} >= {"Id", "LastModifiedById"}
    assert text(message, "endpointUrl").endswith("/salesforce/outbound")
    assert text(message, "includeSessionId") == "true"  # the connector verifies the session with the org


def test_profile_controller_checks_the_users_access_before_the_callout():
    controller = (SOURCE / "classes" / "AepProfileController.cls").read_text()
    get_profile = controller[controller.index("getProfile("):controller.index("canRead(Id")]
    assert get_profile.index("canRead(recordId)") < get_profile.index("signedRequest(")
    check = controller[controller.index("canRead(Id"):]
    for obj in ("Contact", "Lead"):
        assert f"[SELECT Id FROM {obj} WHERE Id = :recordId WITH USER_MODE]" in check
    # a case shows its contact's card: the contact must be readable too (a hidden one comes back null)
    case_query = " ".join(check[check.index("when 'Case'"):check.index("rows = cases")].split())
    assert "SELECT Id, ContactId, Contact.Id FROM Case WHERE Id = :recordId WITH USER_MODE" in case_query
    assert "cases[0].ContactId != null && cases[0].Contact == null" in case_query
    tests = (SOURCE / "classes" / "AepConnectorTest.cls").read_text()
    without_access = tests[tests.index("aUserWhoCannotReadTheRecordGetsNoCalloutAndNoCard"):]
    assert "System.runAs(" in without_access and "mock.requests.size()" in without_access


def test_namespace_prefix_applies_to_the_packaged_fields():
    client = SalesforceClient(Settings(salesforce_instance_url="https://x.my.salesforce.com", salesforce_client_id="a",
                                       salesforce_client_secret="b", salesforce_namespace="aep"))
    assert client.api_name("AEP_Lifetime_Value__c") == "aep__AEP_Lifetime_Value__c"
    assert client.api_name("Email") == "Email" and client.api_name("other__AEP_X__c") == "other__AEP_X__c"
    assert client.local_name("aep__AEP_Lifetime_Value__c") == "AEP_Lifetime_Value__c"


def test_a_reviewed_write_to_a_case_needs_edit_access_on_its_contact_too():
    """The write of a Case also PATCHes its Contact: the Apex side checks both before the callout."""
    controller = (SOURCE / "classes" / "AepProfileController.cls").read_text()
    for method in ("previewUpdate(", "applyUpdate("):
        body = controller[controller.index(method):]
        assert body.index("if (!canWrite(recordId))") < body.index("send(")
    check = " ".join(controller[controller.index("Boolean canWrite(Id"):controller.index("Boolean canEdit(Id")].split())
    assert "!canRead(recordId) || !canEdit(recordId)" in check
    assert "SELECT ContactId FROM Case WHERE Id = :recordId WITH USER_MODE" in check
    assert "canEdit(cases[0].ContactId)" in check
