"""The OpenAPI description of the Salesforce routes (signed callouts, Outbound Messages, the Canvas
app), served with the others at ``/api/v1/openapi.json``; ``web/salesforce.py`` hangs it on its blueprint."""
from __future__ import annotations

from connector.schemas import http
from connector.schemas.salesforce import CalloutSchema
from connector.web.openapi import FORM, JSON, XML, Paths, error, json_response, page, request_body

SOAP = {"content": {XML: {"schema": {"type": "string"}}}}
SIGNATURE = [  # the signature itself is the calloutSignature security scheme
    {"in": "header", "name": "X-Connector-Timestamp", "required": True, "schema": {"type": "string"},
     "description": "Unix seconds; at most 5 minutes from now"},
]
CALLOUT: list[dict[str, list]] = [{"calloutSignature": []}]

OPENAPI_PATHS: Paths = {
    "/salesforce/events": {"post": {
        "summary": "Flow/Apex callout: a record changed", "tags": ["salesforce"], "security": CALLOUT,
        "parameters": SIGNATURE, "requestBody": request_body(JSON, CalloutSchema),
        "responses": {"202": json_response("Accepted", "queued"), "200": json_response("Accepted", "duplicate"),
                      "204": {"description": "the connector's own change"}, "400": error("not JSON"),
                      "401": error("bad or stale signature"), "413": error("body above 64 KiB"),
                      "422": error("invalid payload")}}},
    "/salesforce/profile": {"get": {
        "summary": "The card JSON for the Lightning component (signed callout)", "tags": ["salesforce"],
        "security": CALLOUT,
        "parameters": [*SIGNATURE, {"in": "query", "schema": http.SalesforceProfileQuerySchema}],
        "responses": {"200": json_response("Card", "the card"), "400": error("invalid record id"),
                      "401": error("bad or stale signature")}}},
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
        "security": CALLOUT, "parameters": SIGNATURE,
        "requestBody": request_body(JSON, http.SalesforceRecordSchema),
        "responses": {"200": json_response({"type": "object"}, "the diff and its plan token"),
                      "400": error("invalid record id"), "401": error("bad or stale signature")}}},
    "/salesforce/apply": {"post": {
        "summary": "Write exactly the reviewed diff (signed callout)", "tags": ["salesforce"], "security": CALLOUT,
        "parameters": SIGNATURE, "requestBody": request_body(JSON, http.SalesforceApplySchema),
        "responses": {"200": json_response({"type": "object"}, "written or unchanged"),
                      "409": json_response({"type": "object"}, "the plan changed since the review: the new diff; "
                                                               "or write_in_progress: another writer holds the "
                                                               "record"),
                      "400": error("invalid record id or plan token"), "401": error("bad or stale signature"),
                      "503": error("paused by the org's daily API usage, or Salesforce unavailable "
                                   "(Retry-After)")}}},
    "/salesforce/canvas": {"post": {
        "summary": "Canvas app: the card as HTML", "tags": ["salesforce"], "security": [],
        "requestBody": request_body(FORM, http.CanvasFormSchema),
        "responses": {"200": page("the card"), "400": error("not on a record page"),
                      "401": error("bad, stale or foreign signed request")}}},
}
OPENAPI_SECURITY = {
    "calloutSignature": {"type": "apiKey", "in": "header", "name": "X-Connector-Signature",
                         "description": "Apex callouts through the Named Credential: "
                                        "base64(HMAC-SHA256(CONNECTOR_SALESFORCE_CALLOUT_SECRET, "
                                        "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nBODY)), TIMESTAMP being the "
                                        "X-Connector-Timestamp header (Unix seconds, at most 5 minutes from now)"},
}
