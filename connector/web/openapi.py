"""The OpenAPI 3 document of every route, generated from the marshmallow schemas (apispec).

Served at ``GET /api/v1/openapi.json``; a test checks it against the OpenAPI specification and that
every rule of the Flask app is in it, and the hostile-input suite drives every route from it.
"""
from __future__ import annotations

import copy
from functools import cache
from importlib import metadata
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from connector.schemas import http
from connector.schemas.salesforce import CalloutSchema
from connector.schemas.zendesk import EventEnvelopeSchema, TriggerBodySchema

JSON, FORM, XML, HTML, TEXT = ("application/json", "application/x-www-form-urlencoded", "text/xml", "text/html",
                               "text/plain")
ERROR = {"content": {JSON: {"schema": "Error"}}}
SOAP = {"content": {XML: {"schema": {"type": "string"}}}}


def _error(description: str) -> dict:
    return {"description": description, **ERROR}


def _json(schema: Any, description: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _page(description: str) -> dict:
    return {"description": description, "content": {HTML: {"schema": {"type": "string"}}}}


def _body(media: str, schema: Any, *, required: bool = True) -> dict:
    return {"required": required, "content": {media: {"schema": schema}}}


ZENDESK_SIGNATURE = [
    {"in": "header", "name": "X-Zendesk-Webhook-Signature", "required": True, "schema": {"type": "string"},
     "description": "base64(HMAC-SHA256(secret, timestamp + body))"},
    {"in": "header", "name": "X-Zendesk-Webhook-Signature-Timestamp", "required": True,
     "schema": {"type": "string"}, "description": "ISO 8601; at most 5 minutes from now"},
    {"in": "header", "name": "X-Zendesk-Webhook-Invocation-Id", "schema": {"type": "string"}},
]
CALLOUT_SIGNATURE = [  # the signature itself is the calloutSignature security scheme
    {"in": "header", "name": "X-Connector-Timestamp", "required": True, "schema": {"type": "string"},
     "description": "Unix seconds; at most 5 minutes from now"},
]
CALLOUT: list[dict[str, list]] = [{"calloutSignature": []}]
SESSION: list[dict[str, list]] = [{"sidebarSession": []}]
API_KEY: list[dict[str, list]] = [{"apiKey": []}]
OPERATOR: list[dict[str, list]] = [{"operatorToken": []}, {}]

PATHS: dict[str, dict[str, dict]] = {
    "/healthz": {"get": {
        "summary": "Liveness", "tags": ["operations"], "security": [],
        "responses": {"200": _json("Health", "the process answers")}}},
    "/readyz": {"get": {
        "summary": "Readiness (checks only with the operator token, when one is configured)",
        "tags": ["operations"], "security": OPERATOR,
        "responses": {"200": _json("Ready", "ready"), "503": _json("Ready", "a dependency is not ready")}}},
    "/metrics": {"get": {
        "summary": "Prometheus metrics", "tags": ["operations"], "security": OPERATOR,
        "responses": {"200": {"description": "Prometheus text format",
                              "content": {TEXT: {"schema": {"type": "string"}}}},
                      "401": _error("operator token missing or wrong")}}},
    "/api/v1/openapi.json": {"get": {
        "summary": "This document", "tags": ["operations"], "security": [],
        "responses": {"200": {"description": "OpenAPI 3", "content": {JSON: {"schema": {"type": "object"}}}}}}},
    "/api/v1/profiles": {"get": {
        "summary": "The agent card of one identity", "tags": ["api"], "security": API_KEY,
        "parameters": [{"in": "query", "schema": http.ProfileQuerySchema}],
        "responses": {"200": _json("Card", "the card"), "400": _error("missing or invalid parameter"),
                      "401": _error("missing or unknown API key"), "403": _error("the key lacks the lookup scope"),
                      "404": _json(http.CardErrorSchema, "no profile (with the match explanation)"),
                      "422": _json(http.CardErrorSchema, "AEP does not serve this profile"),
                      "503": _error("AEP unavailable or rate limited (Retry-After)")}}},
    "/zendesk/webhooks": {"post": {
        "summary": "Zendesk webhook delivery (trigger body or event envelope)", "tags": ["zendesk"],
        "security": [], "parameters": ZENDESK_SIGNATURE,
        "requestBody": _body(JSON, {"oneOf": [TriggerBodySchema, EventEnvelopeSchema]}),
        "responses": {"202": _json("Accepted", "queued"), "200": _json("Accepted", "duplicate"),
                      "204": {"description": "ignored event or the connector's own update"},
                      "400": _error("empty or not JSON"), "401": _error("bad or stale signature"),
                      "413": _error("body above 64 KiB"), "422": _error("unknown event or invalid payload")}}},
    "/zendesk/sidebar": {"post": {
        "summary": "The sidebar page, loaded by Zendesk with a signed URL", "tags": ["zendesk"], "security": [],
        "requestBody": _body(FORM, http.SidebarFormSchema),
        "responses": {"200": _page("the sidebar page with a short-lived session"),
                      "401": _error("missing or invalid app token")}}},
    "/zendesk/sidebar/card": {"post": {
        "summary": "The card fragment for the sidebar's ticket or user", "tags": ["zendesk"], "security": SESSION,
        "requestBody": _body(JSON, http.SidebarCardRequestSchema, required=False),
        "responses": {"200": _page("the card"), "400": _error("invalid id"),
                      "401": _error("missing or expired session"), "403": _error("the agent may not see it")}}},
    "/zendesk/sidebar/enrich": {"post": {
        "summary": "Write the card to the ticket (session, or an API key with the write scope)",
        "tags": ["zendesk"], "security": SESSION + [{"apiKey": []}],
        "requestBody": _body(JSON, http.EnrichRequestSchema),
        "responses": {"202": _json("Accepted", "queued"), "400": _error("missing or invalid ticket_id or plan_token"),
                      "401": _error("no session or unknown key"), "403": _error("not allowed"),
                      "409": _json({"type": "object"}, "with plan_token: the plan changed since the review "
                                                       "(the new diff), or write_in_progress"),
                      "429": _error("over the session's pace or the key's write budget (Retry-After)")}}},
    "/zendesk/sidebar/preview": {"post": {
        "summary": "The diff \"Write to ticket\" would make, with the plan token that confirms it (writes nothing)",
        "tags": ["zendesk"], "security": SESSION,
        "requestBody": _body(JSON, http.PreviewRequestSchema),
        "responses": {"200": _json({"type": "object"}, "the diff (changes, writes, plan_token, html)"),
                      "400": _error("missing or invalid ticket_id"), "401": _error("no session"),
                      "403": _error("not allowed"), "429": _error("over the session's pace (Retry-After)")}}},
    "/salesforce/events": {"post": {
        "summary": "Flow/Apex callout: a record changed", "tags": ["salesforce"], "security": CALLOUT,
        "parameters": CALLOUT_SIGNATURE, "requestBody": _body(JSON, CalloutSchema),
        "responses": {"202": _json("Accepted", "queued"), "200": _json("Accepted", "duplicate"),
                      "204": {"description": "the connector's own change"}, "400": _error("not JSON"),
                      "401": _error("bad or stale signature"), "413": _error("body above 64 KiB"),
                      "422": _error("invalid payload")}}},
    "/salesforce/profile": {"get": {
        "summary": "The card JSON for the Lightning component (signed callout)", "tags": ["salesforce"],
        "security": CALLOUT,
        "parameters": [*CALLOUT_SIGNATURE, {"in": "query", "schema": http.SalesforceProfileQuerySchema}],
        "responses": {"200": _json("Card", "the card"), "400": _error("invalid record id"),
                      "401": _error("bad or stale signature")}}},
    "/salesforce/outbound": {"post": {
        "summary": "Outbound Message (SOAP notifications)", "tags": ["salesforce"], "security": [],
        "requestBody": {"required": True, **SOAP},
        "responses": {"200": {"description": "SOAP Ack", **SOAP},
                      **{code: {"description": f"SOAP fault ({why})", **SOAP} for code, why in (
                          ("400", "malformed"), ("401", "not authenticated"), ("403", "not accepted"),
                          ("429", "over the budget"), ("500", "not configured or not queued"),
                          ("503", "try again"))}}}},
    "/salesforce/preview": {"post": {
        "summary": "The diff \"Update record\" would make (signed callout; writes nothing)", "tags": ["salesforce"],
        "security": CALLOUT, "parameters": CALLOUT_SIGNATURE,
        "requestBody": _body(JSON, http.SalesforceRecordSchema),
        "responses": {"200": _json({"type": "object"}, "the diff and its plan token"),
                      "400": _error("invalid record id"), "401": _error("bad or stale signature")}}},
    "/salesforce/apply": {"post": {
        "summary": "Write exactly the reviewed diff (signed callout)", "tags": ["salesforce"], "security": CALLOUT,
        "parameters": CALLOUT_SIGNATURE, "requestBody": _body(JSON, http.SalesforceApplySchema),
        "responses": {"200": _json({"type": "object"}, "written or unchanged"),
                      "409": _json({"type": "object"}, "the plan changed since the review: the new diff; or "
                                                       "write_in_progress: another writer holds the record"),
                      "400": _error("invalid record id or plan token"), "401": _error("bad or stale signature"),
                      "503": _error("paused by the org's daily API usage, or Salesforce unavailable "
                                    "(Retry-After)")}}},
    "/salesforce/canvas": {"post": {
        "summary": "Canvas app: the card as HTML", "tags": ["salesforce"], "security": [],
        "requestBody": _body(FORM, http.CanvasFormSchema),
        "responses": {"200": _page("the card"), "400": _error("not on a record page"),
                      "401": _error("bad, stale or foreign signed request")}}},
}
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "CONNECTOR_API_KEYS; scopes lookup and write"},
    "operatorToken": {"type": "http", "scheme": "bearer", "description": "CONNECTOR_METRICS_TOKEN"},
    "sidebarSession": {"type": "http", "scheme": "bearer", "description": "the sidebar page's session"},
    "calloutSignature": {"type": "apiKey", "in": "header", "name": "X-Connector-Signature",
                         "description": "Apex callouts through the Named Credential: "
                                        "base64(HMAC-SHA256(CONNECTOR_SALESFORCE_CALLOUT_SECRET, "
                                        "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nBODY)), TIMESTAMP being the "
                                        "X-Connector-Timestamp header (Unix seconds, at most 5 minutes from now)"},
}
DESCRIPTION = ("Adobe Experience Platform profiles for agents in Zendesk and Salesforce. Every error is "
               '{"error", "message"}. See SECURITY.md for who may call what.')
COMPONENTS = {"Error": http.ErrorSchema, "Health": http.HealthSchema, "Ready": http.ReadySchema,
              "Accepted": http.AcceptedSchema, "Card": http.CardSchema}


@cache
def build_document() -> dict:
    """The document (built once per process: it depends on the code only)."""
    spec = APISpec(title="aep-crm-connector", version=_version(), openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": DESCRIPTION})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema=schema)
    for scheme, definition in SECURITY_SCHEMES.items():
        spec.components.security_scheme(scheme, definition)
    for path, operations in PATHS.items():
        spec.path(path=path, operations=copy.deepcopy(operations))  # apispec resolves schemas in place
    return spec.to_dict()


def _version() -> str:
    try:
        return metadata.version("aep-crm-connector")
    except metadata.PackageNotFoundError:
        return "0.0.0"
