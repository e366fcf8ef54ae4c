"""The OpenAPI description of the Zendesk routes (webhooks and the sidebar), served with the others
at ``/api/v1/openapi.json``; ``web/zendesk.py`` hangs it on its blueprint."""
from __future__ import annotations

from connector.schemas import http
from connector.schemas.zendesk import EventEnvelopeSchema, TriggerBodySchema
from connector.web.openapi import FORM, JSON, Paths, error, json_response, page, request_body

SIGNATURE = [
    {"in": "header", "name": "X-Zendesk-Webhook-Signature", "required": True, "schema": {"type": "string"},
     "description": "base64(HMAC-SHA256(secret, timestamp + body))"},
    {"in": "header", "name": "X-Zendesk-Webhook-Signature-Timestamp", "required": True,
     "schema": {"type": "string"}, "description": "ISO 8601; at most 5 minutes from now"},
    {"in": "header", "name": "X-Zendesk-Webhook-Invocation-Id", "schema": {"type": "string"}},
]
SESSION: list[dict[str, list]] = [{"sidebarSession": []}]

OPENAPI_PATHS: Paths = {
    "/zendesk/webhooks": {"post": {
        "summary": "Zendesk webhook delivery (trigger body or event envelope)", "tags": ["zendesk"],
        "security": [], "parameters": SIGNATURE,
        "requestBody": request_body(JSON, {"oneOf": [TriggerBodySchema, EventEnvelopeSchema]}),
        "responses": {"202": json_response("Accepted", "queued"), "200": json_response("Accepted", "duplicate"),
                      "204": {"description": "ignored event or the connector's own update"},
                      "400": error("empty or not JSON"), "401": error("bad or stale signature"),
                      "413": error("body above 64 KiB"), "422": error("unknown event or invalid payload")}}},
    "/zendesk/sidebar": {"post": {
        "summary": "The sidebar page, loaded by Zendesk with a signed URL", "tags": ["zendesk"], "security": [],
        "requestBody": request_body(FORM, http.SidebarFormSchema),
        "responses": {"200": page("the sidebar page with a short-lived session"),
                      "401": error("missing or invalid app token")}}},
    "/zendesk/sidebar/card": {"post": {
        "summary": "The card fragment for the sidebar's ticket or user", "tags": ["zendesk"], "security": SESSION,
        "requestBody": request_body(JSON, http.SidebarCardRequestSchema, required=False),
        "responses": {"200": page("the card"), "400": error("invalid id"),
                      "401": error("missing or expired session"), "403": error("the agent may not see it")}}},
    "/zendesk/sidebar/enrich": {"post": {
        "summary": "Write the card to the ticket (session, or an API key with the write scope)",
        "tags": ["zendesk"], "security": SESSION + [{"apiKey": []}],
        "requestBody": request_body(JSON, http.EnrichRequestSchema),
        "responses": {"202": json_response("Accepted", "queued"),
                      "400": error("missing or invalid ticket_id or plan_token"),
                      "401": error("no session or unknown key"), "403": error("not allowed"),
                      "409": json_response({"type": "object"}, "with plan_token: the plan changed since the review "
                                                               "(the new diff), or write_in_progress"),
                      "429": error("over the session's pace or the key's write budget (Retry-After)")}}},
    "/zendesk/sidebar/preview": {"post": {
        "summary": "The diff \"Write to ticket\" would make, with the plan token that confirms it (writes nothing)",
        "tags": ["zendesk"], "security": SESSION,
        "requestBody": request_body(JSON, http.PreviewRequestSchema),
        "responses": {"200": json_response({"type": "object"}, "the diff (changes, writes, plan_token, html)"),
                      "400": error("missing or invalid ticket_id"), "401": error("no session"),
                      "403": error("not allowed"), "429": error("over the session's pace (Retry-After)")}}},
}
OPENAPI_SECURITY = {
    "sidebarSession": {"type": "http", "scheme": "bearer", "description": "the sidebar page's session"},
}
