"""An Outbound Message sender as Salesforce has one (reference §3): SOAP envelope, up to 100
notifications, retried with growing delays until acknowledged (the real one waits up to 2 h between
tries and gives up after 24 h; ``backoff_s`` scales that down for tests and the demo)."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from connector.sandbox.salesforce.records import canonical_id
from connector.sandbox.salesforce.state import ORG_ID

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
MAX_NOTIFICATIONS = 100  # per SOAP message (§3.1)


def _id18(id15: str) -> str:
    """A 15-character id with its case-checksum suffix: the 18-character form Salesforce sends."""
    full = canonical_id(id15)
    assert full is not None and len(id15) == 15, id15
    return full


ACTION_ID = _id18("04k5g000000AEPA")  # the outbound-message definition (04k…)


def envelope(records: list[tuple[str, dict]], *, org_id: str = ORG_ID, action_id: str = ACTION_ID,
             notification_ids: list[str] | None = None, session_id: str | None = None,
             forge_oversized: bool = False) -> bytes:
    """records: (object type, fields) pairs; each becomes a Notification with its sObject (1 to 100 of
    them, as Salesforce batches, §3.1).

    ``session_id``: what "Send Session ID" adds — a session of the org (``world.issue_token()`` of the
    emulator); without it the element is nil, as when the option is off. ``forge_oversized``: build more
    than Salesforce ever sends, as a forger could, to test that a receiver refuses it.
    """
    if not 1 <= len(records) <= MAX_NOTIFICATIONS and not (forge_oversized and records):
        raise ValueError(f"an Outbound Message carries 1 to {MAX_NOTIFICATIONS} notifications, not {len(records)}")
    ids = notification_ids or [_id18(f"04l5g{secrets.token_hex(5).upper()}") for _ in records]
    notes = []
    for note_id, (obj, fields) in zip(ids, records, strict=True):
        values = "".join(f"<sf:{k}>{escape(str(v))}</sf:{k}>" for k, v in fields.items() if v is not None)
        notes.append(f'<Notification><Id>{note_id}</Id><sObject xsi:type="sf:{obj}" '
                     f'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">{values}</sObject></Notification>')
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
            f'<OrganizationId>{org_id}</OrganizationId><ActionId>{action_id}</ActionId>'
            + (f'<SessionId>{escape(session_id)}</SessionId>' if session_id else '<SessionId xsi:nil="true"/>') +
            f'<EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/59.0/{org_id[:15]}</EnterpriseUrl>'
            f'<PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/59.0/{org_id[:15]}</PartnerUrl>'
            + "".join(notes) + "</notifications></soapenv:Body></soapenv:Envelope>").encode()


@dataclass
class Delivery:
    attempts: list = field(default_factory=list)  # status code or "error" of each try
    acknowledged: bool = False


def send(endpoint: str, body: bytes, *, session: requests.Session | None = None, tries: int = 6,
         backoff_s: float = 0.05, timeout: float = 60.0) -> Delivery:
    session = session or requests.Session()
    delivery = Delivery()
    for attempt in range(tries):
        try:
            response = session.post(endpoint, data=body, timeout=timeout,
                                    headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
            delivery.attempts.append(response.status_code)
            if acknowledged(response):
                delivery.acknowledged = True
                return delivery
        except requests.RequestException:
            delivery.attempts.append("error")
        time.sleep(backoff_s * (2 ** attempt))
    return delivery


def acknowledged(response: requests.Response) -> bool:
    """Whether an answer acknowledges the message (reference §3.2): HTTP 200 and a SOAP envelope whose
    body holds ``notificationsResponse`` of the outbound namespace with ``Ack`` true, whatever the prefixes.
    A SOAP fault, ``Ack`` false, another wrapper or an unparseable body is a failure (retried)."""
    if response.status_code != 200:
        return False
    try:
        root = fromstring(response.content)
    except (ParseError, DefusedXmlException, ValueError):
        return False
    body = root.find(f"{{{SOAP_NS}}}Body") if root.tag == f"{{{SOAP_NS}}}Envelope" else None
    if body is None or body.find(f"{{{SOAP_NS}}}Fault") is not None:
        return False
    answer = body.find(f"{{{OUTBOUND_NS}}}notificationsResponse")
    ack = answer.findtext(f"{{{OUTBOUND_NS}}}Ack") if answer is not None else None
    return (ack or "").strip() == "true"
