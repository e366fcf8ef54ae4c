"""Zendesk webhook payloads: the trigger body the install helper configures, and event envelopes.

Provider payloads cross the edge with unknown=EXCLUDE (Zendesk adds fields without notice).
Placeholder values arrive as strings, blank when empty (reference/zendesk.md §1.3).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load

from connector.core.targets import Target

TRIGGER_BODY = ('{"event": "ticket_created", "ticket_id": "{{ticket.id}}", '
                '"requester_id": "{{ticket.requester.id}}", "actor_id": "{{current_user.id}}"}')
EVENT_PREFIX = "zen:event-type:"


@dataclass(frozen=True)
class ZendeskEvent:
    kind: str  # ticket_created | ticket.comment_added | …
    ticket_id: int | None
    actor_id: int | None
    event_id: str | None = None


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def blanks_are_missing(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data


class TriggerBodySchema(_Lenient):
    event = fields.Str(load_default="ticket_created")
    ticket_id = fields.Int(required=True, strict=False)
    actor_id = fields.Int(load_default=None)

    @post_load
    def make(self, data: dict, **_: Any) -> ZendeskEvent:
        return ZendeskEvent(data["event"], data["ticket_id"], data["actor_id"])


class EventDetailSchema(_Lenient):
    id = fields.Int(required=True)
    actor_id = fields.Int(load_default=None)


class EventEnvelopeSchema(_Lenient):
    type = fields.Str(required=True)
    id = fields.Str(required=True)
    detail = fields.Nested(EventDetailSchema, required=True)

    @post_load
    def make(self, data: dict, **_: Any) -> ZendeskEvent:
        kind = data["type"].removeprefix(EVENT_PREFIX)
        kind = "ticket_created" if kind == "ticket.created" else kind
        return ZendeskEvent(kind, data["detail"]["id"], data["detail"]["actor_id"], data["id"])


def parse_event(payload: Any) -> ZendeskEvent:
    """Either shape; raises ValidationError with marshmallow's messages."""
    if not isinstance(payload, dict):
        raise ValidationError("expected a JSON object")
    if str(payload.get("type", "")).startswith(EVENT_PREFIX):
        return EventEnvelopeSchema().load(payload)
    return TriggerBodySchema().load(payload)


@dataclass(frozen=True)
class FieldMeta:
    """One CRM field as its metadata API describes it."""

    type: str
    title: str
    options: tuple[str, ...] = ()  # option tag values (tagger, dropdown, multiselect)
    regexp: str | None = None


@dataclass(frozen=True)
class FieldCatalog:
    ticket: Mapping[str, FieldMeta] = field(default_factory=dict)  # custom field id (as text) → field
    user: Mapping[str, FieldMeta] = field(default_factory=dict)  # user field key → field

    def lookup(self, target: Target) -> tuple[str, FieldMeta | None] | None:
        """(name, field) for a ticket custom field (the record's) or a user field (the person's) target."""
        if target.kind != "fields":
            return None
        return target.name, (self.user if target.on_person else self.ticket).get(target.name)
