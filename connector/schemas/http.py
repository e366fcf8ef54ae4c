"""Schemas of the connector's own HTTP answers and small request bodies, for the OpenAPI document.

Provider payloads (Zendesk webhooks, Salesforce callouts) have their schemas beside their parsers;
these describe what the connector itself sends and the few bodies its own pages send.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class _Doc(Schema):
    class Meta:
        unknown = EXCLUDE


class ErrorSchema(_Doc):
    error = fields.Str(required=True, metadata={"description": "stable error code"})
    message = fields.Str(required=True)
    details = fields.Dict(metadata={"description": "validation messages, for 422 payload errors"})


class HealthSchema(_Doc):
    status = fields.Str(required=True, validate=validate.OneOf(["ok"]))


class ReadySchema(_Doc):
    status = fields.Str(required=True, validate=validate.OneOf(["ready", "not_ready"]))
    checks = fields.Dict(keys=fields.Str(), values=fields.Str(),
                         metadata={"description": "per dependency: ok or an error code (operators only)"})


class AcceptedSchema(_Doc):
    status = fields.Str(required=True, validate=validate.OneOf(["queued", "duplicate", "done"]))


class AttemptSchema(_Doc):
    namespace = fields.Str(required=True)
    source = fields.Str(required=True)
    value = fields.Str(allow_none=True, metadata={"description": "masked, never the identity"})
    outcome = fields.Str(required=True, validate=validate.OneOf(
        ["matched", "no_profile", "not_tried", "invalid", "missing", "not_servable"]))
    reason = fields.Str(required=True)
    confidence = fields.Float(allow_none=True)


class MatchSchema(_Doc):
    matched = fields.Nested(AttemptSchema, allow_none=True)
    confidence = fields.Float(allow_none=True)
    writable = fields.Bool(required=True)
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)


class SectionSchema(_Doc):
    key = fields.Str(required=True)
    title = fields.Str(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf(["attributes", "audiences", "events"]))
    items = fields.List(fields.Dict(), required=True)
    freshness = fields.DateTime(allow_none=True)
    notice = fields.Str(allow_none=True)


class CardSchema(_Doc):
    status = fields.Str(required=True, validate=validate.OneOf(["found", "not_found", "not_servable"]))
    profileId = fields.Str(allow_none=True)
    lastModifiedAt = fields.DateTime(allow_none=True)
    match = fields.Nested(MatchSchema, required=True)
    sections = fields.List(fields.Nested(SectionSchema), required=True)


class CardErrorSchema(ErrorSchema):
    card = fields.Nested(CardSchema, metadata={"description": "the match explanation of a miss"})


class ProfileQuerySchema(_Doc):
    namespace = fields.Str(required=True, metadata={"description": "AEP identity namespace, e.g. Email, CRMID",
                                                    "example": "CRMID"})
    id = fields.Str(required=True, metadata={"description": "the identity value", "example": "CRM000001"})
    refresh = fields.Str(metadata={"description": "1/true/yes: bypass the profile cache"})


class SalesforceRecordSchema(_Doc):
    recordId = fields.Str(required=True, metadata={"description": "15- or 18-character Salesforce id"})


class SalesforceProfileQuerySchema(SalesforceRecordSchema):
    locale = fields.Str(metadata={"description": "the Salesforce user's locale (e.g. fr-FR), signed with the query"})


class SalesforceApplySchema(SalesforceRecordSchema):
    planToken = fields.Str(required=True, metadata={"description": "the plan_token of the reviewed diff"})


class SidebarCardRequestSchema(_Doc):
    ticket_id = fields.Raw(metadata={"description": "the ticket of a ticket sidebar (number or numeric text)"})
    user_id = fields.Raw(metadata={"description": "the user of a user sidebar (number or numeric text)"})
    refresh = fields.Bool()
    locale = fields.Str(metadata={"description": "the agent's ZAF currentUser.locale"})


class PreviewRequestSchema(_Doc):
    ticket_id = fields.Raw(required=True, metadata={"description": "the ticket the write goes to"})
    locale = fields.Str(metadata={"description": "the agent's ZAF currentUser.locale"})


class EnrichRequestSchema(PreviewRequestSchema):
    plan_token = fields.Str(metadata={"description": "confirm the reviewed diff: written only if it still holds"})


class SidebarFormSchema(_Doc):
    token = fields.Str(required=True, metadata={"description": "the ZAF signed-URL JWT Zendesk posts"})


class CanvasFormSchema(_Doc):
    signed_request = fields.Str(required=True, metadata={"description": "base64 signature . base64 JSON"})
