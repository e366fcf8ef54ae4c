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
