"""Salesforce callout payloads (Flow HTTP Callout / Apex): unknown keys are ignored."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

EVENTS = {"case_created": "Case", "case_changed": "Case", "contact_changed": "Contact", "lead_changed": "Lead"}
RECORD_ID_RE = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")


def _whole_id(value: str) -> None:
    """The whole value (Regexp matches at the start only, and "$" lets a trailing newline through)."""
    if RECORD_ID_RE.fullmatch(value) is None:
        raise ValidationError("a 15- or 18-character Salesforce id")


# the pattern is for the OpenAPI document; _whole_id is the check
RECORD_ID: list[Callable[[Any], Any]] = [
    validate.Regexp(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$", error="a 15- or 18-character Salesforce id"), _whole_id]


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


KEY_PREFIXES = {"Contact": "003", "Lead": "00Q", "Case": "500"}  # reference §9: the objects we handle
MAX_NOTIFICATIONS = 100  # Salesforce sends at most 100 per message (reference §3.1)
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SESSION_RE = re.compile(r"[!-~]{16,1024}")  # printable ASCII, no spaces: 00D…!AQ…


def id_checksum(id15: str) -> str:
    """The three-character suffix of an 18-character id: one letter per five characters, whose bits
    mark the upper-case letters among them (case-safe form of the 15-character id)."""
    return "".join(_CHECKSUM_ALPHABET[sum(1 << i for i, c in enumerate(id15[start:start + 5]) if "A" <= c <= "Z")]
                   for start in (0, 5, 10))


def record_id_ok(value: str, object_type: str) -> bool:
    """A 15- or 18-character id of ``object_type`` (its key prefix), with a correct checksum suffix."""
    return (RECORD_ID_RE.fullmatch(value) is not None and value[:3] == KEY_PREFIXES.get(object_type)
            and (len(value) == 15 or value[15:] == id_checksum(value[:15])))


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
    session_id: str | None
    notifications: tuple[Notification, ...]


def parse_outbound(raw: bytes) -> OutboundMessage:
    """An Outbound Message envelope (reference §3.1), parsed with a parser that refuses entities and DTDs.

    Raises ValueError with a readable reason for anything that is not a well-formed message.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(raw, forbid_dtd=True)
    except (DefusedXmlException, ParseError, LookupError) as exc:  # LookupError: an unknown declared encoding
        raise ValueError(f"not an acceptable SOAP document ({exc.__class__.__name__})") from None
    body = root.find(f"{{{SOAP_NS}}}Body")
    message = body.find(f"{{{OUTBOUND_NS}}}notifications") if body is not None else None
    if message is None:
        raise ValueError("no outbound notifications in the SOAP body")
    org = (message.findtext(f"{{{OUTBOUND_NS}}}OrganizationId") or "").strip()
    if not RECORD_ID_RE.fullmatch(org):
        raise ValueError("missing or malformed OrganizationId")
    session = (message.findtext(f"{{{OUTBOUND_NS}}}SessionId") or "").strip() or None
    if session is not None and not _SESSION_RE.fullmatch(session):
        raise ValueError("malformed SessionId")
    items = message.findall(f"{{{OUTBOUND_NS}}}Notification")
    if not items or len(items) > MAX_NOTIFICATIONS:
        raise ValueError(f"an Outbound Message carries 1 to {MAX_NOTIFICATIONS} notifications")
    action = (message.findtext(f"{{{OUTBOUND_NS}}}ActionId") or "").strip() or None
    return OutboundMessage(org, action, session, tuple(_notification(item) for item in items))


def _notification(item: Any) -> Notification:
    sobject = item.find(f"{{{OUTBOUND_NS}}}sObject")
    if sobject is None:
        raise ValueError("a Notification lacks its sObject")
    notification_id = (item.findtext(f"{{{OUTBOUND_NS}}}Id") or "").strip()
    record = (sobject.findtext(f"{{{SOBJECT_NS}}}Id") or "").strip()
    kind = sobject.get(XSI_TYPE, "").rpartition(":")[2]
    if kind not in KEY_PREFIXES:
        raise ValueError("a Notification is not about a Contact, Lead or Case")
    if not RECORD_ID_RE.fullmatch(notification_id) or not record_id_ok(record, kind):
        raise ValueError(f"a Notification's Id or its {kind} Id is not a valid Salesforce id")
    modified_by = (sobject.findtext(f"{{{SOBJECT_NS}}}LastModifiedById") or "").strip() or None
    if modified_by is not None and not RECORD_ID_RE.fullmatch(modified_by):
        raise ValueError("malformed LastModifiedById")
    return Notification(notification_id, kind, record, modified_by)
