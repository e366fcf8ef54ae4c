"""The adapter reads each object's describe once, as neutral field metadata, and again after INVALID_FIELD."""
from __future__ import annotations

import pytest

from connector import errors
from connector.adapters.salesforce import SalesforceClient, field_meta
from connector.core.fieldfit import FieldMeta
from tests.unit.test_salesforce_adapter import DATA, SETTINGS, token  # noqa: F401 - the login fixture

DESCRIBE = {"name": "Case", "fields": [
    {"name": "Id", "type": "id", "length": 18, "updateable": False, "picklistValues": []},
    {"name": "aep__AEP_Churn_Risk__c", "type": "picklist", "length": 255, "updateable": True,
     "restrictedPicklist": True, "picklistValues": [
         {"value": "high", "label": "High", "active": True}, {"value": "old", "label": "Old", "active": False}]},
    {"name": "aep__AEP_Lifetime_Value__c", "type": "currency", "precision": 16, "scale": 2, "length": 0,
     "updateable": True, "picklistValues": []},
]}


@pytest.mark.parametrize("described, expected", [
    ({"name": "T", "type": "string", "length": 40}, FieldMeta("T", "text", length=40)),
    ({"name": "A", "type": "textarea", "length": 32768}, FieldMeta("A", "text", length=32768)),
    ({"name": "N", "type": "double", "precision": 5, "scale": 4}, FieldMeta("N", "number", precision=5, scale=4)),
    ({"name": "P", "type": "percent", "precision": 3, "scale": 0}, FieldMeta("P", "number", precision=3)),
    ({"name": "I", "type": "int", "digits": 9, "precision": 0}, FieldMeta("I", "number", precision=9)),
    ({"name": "D", "type": "datetime"}, FieldMeta("D", "datetime")),
    ({"name": "Y", "type": "date"}, FieldMeta("Y", "date")),
    ({"name": "B", "type": "boolean"}, FieldMeta("B", "boolean")),
    ({"name": "R", "type": "reference", "length": 18, "updateable": False},
     FieldMeta("R", "reference", length=18, updateable=False)),
    ({"name": "G", "type": "location"}, FieldMeta("G", "other")),
])
def test_describe_fields_become_neutral_metadata(described, expected):
    assert field_meta(described) == expected


def test_describe_is_read_once_with_local_names_and_active_values(requests_mock, token):  # noqa: F811
    describe = requests_mock.get(f"{DATA}/sobjects/Case/describe", json=DESCRIBE)
    client = SalesforceClient(SETTINGS.replace(salesforce_namespace="aep"))
    fields = client.field_metadata("Case")
    assert fields["AEP_Churn_Risk__c"] == FieldMeta("aep__AEP_Churn_Risk__c", "choice", length=255,
                                                    choices=(("high", "High"),), restricted=True)
    assert fields["AEP_Lifetime_Value__c"].scale == 2 and fields["Id"].updateable is False
    assert client.field_metadata("Case") is fields and describe.call_count == 1


def test_invalid_field_makes_the_next_use_read_describe_again(requests_mock, token):  # noqa: F811
    describe = requests_mock.get(f"{DATA}/sobjects/Case/describe", json=DESCRIBE)
    requests_mock.patch(f"{DATA}/sobjects/Case/500A", status_code=400, json=[
        {"message": "No such column 'AEP_Churn_Risk__c' on sobject of type Case", "errorCode": "INVALID_FIELD"}])
    client = SalesforceClient(SETTINGS)
    client.field_metadata("Case")
    with pytest.raises(errors.UpstreamError, match="INVALID_FIELD"):
        client.update("Case", "500A", {"AEP_Churn_Risk__c": "high"})
    client.field_metadata("Case")
    assert describe.call_count == 2


def test_an_invalid_field_inside_collections_refreshes_too(requests_mock, token):  # noqa: F811
    describe = requests_mock.get(f"{DATA}/sobjects/Case/describe", json=DESCRIBE)
    requests_mock.patch(f"{DATA}/composite/sobjects", json=[{"success": False, "errors": [
        {"statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "message": "Unable to create/update fields: X.",
         "fields": ["X"]}]}])
    client = SalesforceClient(SETTINGS)
    client.field_metadata("Case")
    assert client.update_many([("Case", "500A", {"X": 1})]) == ["INVALID_FIELD_FOR_INSERT_UPDATE: Unable to "
                                                                "create/update fields: X."]
    client.field_metadata("Case")
    assert describe.call_count == 2


@pytest.mark.parametrize("header, used, allocation", [
    ("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)", 25, 5000),
    ("per-app-api-usage=17/250(appName=sample-connected-app); api-usage=30/5000", 30, 5000),
    ("api-usage=110018/100000; api-bursts=1/750", 110018, 100000),
])
def test_sforce_limit_info_gives_the_orgs_usage(requests_mock, token, header, used, allocation):  # noqa: F811
    requests_mock.get(f"{DATA}/sobjects/Case/describe", json=DESCRIBE, headers={"Sforce-Limit-Info": header})
    client = SalesforceClient(SETTINGS)
    client.field_metadata("Case")
    assert (client.usage.used, client.usage.allocation) == (used, allocation)
