"""Salesforce callout payloads (Flow HTTP Callout / Apex): unknown keys are ignored."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

EVENTS = {"case_created": "Case", "case_changed": "Case", "contact_changed": "Contact", "lead_changed": "Lead"}
RECORD_ID_RE = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
RECORD_ID = validate.Regexp(RECORD_ID_RE, error="a 15- or 18-character Salesforce id")


@dataclass(frozen=True)
class SalesforceEvent:
    event: str
    object_type: str
    record_id: str
    changed_by: str | None
    event_id: str | None


class CalloutSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    event = fields.Str(required=True, validate=validate.OneOf(sorted(EVENTS)))
    record_id = fields.Str(required=True, data_key="recordId", validate=RECORD_ID)
    changed_by = fields.Str(load_default=None, data_key="changedBy")
    event_id = fields.Str(load_default=None, data_key="eventId")

    @post_load
    def make(self, data: dict, **_: Any) -> SalesforceEvent:
        return SalesforceEvent(data["event"], EVENTS[data["event"]], data["record_id"], data["changed_by"],
                               data["event_id"])


SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@dataclass(frozen=True)
class Notification:
    notification_id: str
    object_type: str
    record_id: str
    last_modified_by: str | None


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str | None
    notifications: tuple[Notification, ...]


def parse_outbound(raw: bytes) -> OutboundMessage:
    """An Outbound Message envelope (reference §3.1), parsed with a parser that refuses entities and DTDs.

    Raises ValueError with a readable reason for anything that is not a well-formed message.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(raw, forbid_dtd=True)
    except (DefusedXmlException, ParseError) as exc:
        raise ValueError(f"not an acceptable SOAP document ({exc.__class__.__name__})") from None
    body = root.find(f"{{{SOAP_NS}}}Body")
    message = body.find(f"{{{OUTBOUND_NS}}}notifications") if body is not None else None
    if message is None:
        raise ValueError("no outbound notifications in the SOAP body")
    org = (message.findtext(f"{{{OUTBOUND_NS}}}OrganizationId") or "").strip()
    if not RECORD_ID_RE.fullmatch(org):
        raise ValueError("missing or malformed OrganizationId")
    notifications = []
    for item in message.findall(f"{{{OUTBOUND_NS}}}Notification"):
        sobject = item.find(f"{{{OUTBOUND_NS}}}sObject")
        notification_id = (item.findtext(f"{{{OUTBOUND_NS}}}Id") or "").strip()
        record = (sobject.findtext(f"{{{SOBJECT_NS}}}Id") if sobject is not None else "") or ""
        kind = (sobject.get(XSI_TYPE, "") if sobject is not None else "").rpartition(":")[2]
        if not notification_id or not RECORD_ID_RE.fullmatch(record.strip()) or kind not in EVENTS.values():
            raise ValueError("a Notification lacks its Id, sObject type or sObject Id")
        modified_by = sobject.findtext(f"{{{SOBJECT_NS}}}LastModifiedById") if sobject is not None else None
        notifications.append(Notification(notification_id, kind, record.strip(), modified_by))
    if not notifications or len(notifications) > 100:
        raise ValueError("an Outbound Message carries 1 to 100 notifications")
    return OutboundMessage(org, message.findtext(f"{{{OUTBOUND_NS}}}ActionId"), tuple(notifications))
