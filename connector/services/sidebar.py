"""Sidebar use-case: which customer the agent is looking at, then their card."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector import errors
from connector.core.lang import ENGLISH, Lang
from connector.core.models import Card, Contact
from connector.services.lookup import ProfileLookup


@dataclass(frozen=True)
class SidebarContext:
    """What the sidebar page knows: ZAF gives the requester; the demo gives only an id."""

    ticket_id: int | None = None
    user_id: int | None = None
    requester: dict[str, Any] | None = None


class Sidebar:
    def __init__(self, *, lookup: ProfileLookup, zendesk: Any) -> None:
        self.lookup = lookup
        self.zendesk = zendesk

    def card(self, context: SidebarContext, *, refresh: bool = False, lang: Lang = ENGLISH) -> Card:
        return self.lookup.by_contact(self._contact(context), refresh=refresh, lang=lang)

    def _contact(self, context: SidebarContext) -> Contact:
        if context.requester:
            r = context.requester
            return Contact(email=r.get("email"), phone=r.get("phone"), crm_id=r.get("externalId"),
                           external_id=r.get("externalId"))
        if self.zendesk is None:
            raise errors.ConfigError("Zendesk is not configured (CONNECTOR_ZENDESK_URL…)")
        if context.ticket_id:
            person = self.zendesk.read_ticket(context.ticket_id).requester
        elif context.user_id:
            person = self.zendesk.read_user(context.user_id)
        else:
            raise errors.PayloadError("the sidebar sent neither a ticket, a user nor a requester")
        if person is None:
            return Contact()
        return Contact(email=person.email, phone=person.phone, crm_id=person.external_id,
                       external_id=person.external_id)


SALESFORCE_PREFIXES = {"003": "Contact", "00Q": "Lead", "500": "Case"}


class SalesforceCards:
    """The card for a Salesforce record page: Contact/Lead by their own identities, Case by its contact."""

    def __init__(self, *, lookup: ProfileLookup, salesforce: Any) -> None:
        self.lookup = lookup
        self.salesforce = salesforce

    def card(self, record_id: str, *, refresh: bool = False, lang: Lang = ENGLISH) -> Card:
        if self.salesforce is None:
            raise errors.ConfigError("Salesforce is not configured (CONNECTOR_SALESFORCE_INSTANCE_URL…)")
        obj = SALESFORCE_PREFIXES.get(record_id[:3])
        if obj is None:
            raise errors.PayloadError("only Contact, Lead and Case records have a profile card",
                                      code="unsupported_record")
        if obj == "Case":
            case = self.salesforce.get("Case", record_id, ["Id", "ContactId"])
            if not case.get("ContactId"):
                return self.lookup.by_contact(Contact(), lang=lang)
            obj, record_id = "Contact", str(case["ContactId"])
        fields = ["Id", "Email", "Phone"] + (["AEP_CRM_Id__c"] if obj == "Contact" else [])
        person = self.salesforce.get(obj, record_id, fields)
        return self.lookup.by_contact(Contact(email=person.get("Email"), phone=person.get("Phone"),
                                              crm_id=person.get("AEP_CRM_Id__c")), refresh=refresh, lang=lang)
