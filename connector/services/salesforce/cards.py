"""The card for a Salesforce record page: Contact/Lead by their own identities, Case by its contact."""
from __future__ import annotations

from typing import Any

from connector import errors
from connector.core.lang import ENGLISH, Lang
from connector.core.models import Card, Contact
from connector.schemas.salesforce import KEY_PREFIXES
from connector.services.lookup import ProfileLookup

SALESFORCE_PREFIXES = {prefix: obj for obj, prefix in KEY_PREFIXES.items()}  # an id's first 3 characters


class SalesforceCards:
    """The card for a Salesforce record page: Contact/Lead by their own identities, Case by its contact."""

    def __init__(self, *, lookup: ProfileLookup, salesforce: Any) -> None:
        self.lookup = lookup
        self.salesforce = salesforce

    def card(self, record_id: str, *, refresh: bool = False, lang: Lang = ENGLISH) -> Card:
        obj = SALESFORCE_PREFIXES.get(record_id[:3])
        if obj is None:
            raise errors.PayloadError("only Contact, Lead and Case records have a profile card",
                                      code="unsupported_record")
        if obj == "Case":
            case = self.salesforce.get("Case", record_id, ["Id", "ContactId"])
            if not case.get("ContactId"):
                return self.lookup.by_contact(Contact(), lang=lang)
            obj, record_id = "Contact", str(case["ContactId"])
        person = self.salesforce.get(obj, record_id, ["Id", *identity_fields(obj)])
        return self.lookup.by_contact(contact_of(person), refresh=refresh, lang=lang)


def identity_fields(obj: str) -> list[str]:
    """The person's identities on a Contact or Lead (the CRM id field is the connector's, on Contact)."""
    return ["Email", "Phone"] + (["AEP_CRM_Id__c"] if obj == "Contact" else [])


def contact_of(person: dict) -> Contact:
    return Contact(email=person.get("Email"), phone=person.get("Phone"), crm_id=person.get("AEP_CRM_Id__c"))
