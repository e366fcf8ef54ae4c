"""The OpenAPI 3 document of every route, generated from the marshmallow schemas (apispec).

Served at ``GET /api/v1/openapi.json``; a test checks it against the OpenAPI specification and that
every rule of the Flask app is in it, and the hostile-input suite drives every route from it.
The shared routes are described here; each provider's blueprint carries the description of its own
routes (``openapi_paths``) and of the security schemes they use (``openapi_security``), built with
the helpers below, and the document merges those of every registered provider.
"""
from __future__ import annotations

import copy
from functools import cache
from importlib import metadata
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from connector import providers as registry
from connector.schemas import http

JSON, FORM, XML, HTML, TEXT = ("application/json", "application/x-www-form-urlencoded", "text/xml", "text/html",
                               "text/plain")
ERROR = {"content": {JSON: {"schema": "Error"}}}
PATHS_ATTR = "openapi_paths"  # a provider blueprint's {path: {method: operation}}
SECURITY_ATTR = "openapi_security"  # and {scheme name: security scheme} its operations refer to
Paths = dict[str, dict[str, dict]]


def error(description: str) -> dict:
    return {"description": description, **ERROR}


def json_response(schema: Any, description: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def page(description: str) -> dict:
    return {"description": description, "content": {HTML: {"schema": {"type": "string"}}}}


def request_body(media: str, schema: Any, *, required: bool = True) -> dict:
    return {"required": required, "content": {media: {"schema": schema}}}


API_KEY: list[dict[str, list]] = [{"apiKey": []}]
OPERATOR: list[dict[str, list]] = [{"operatorToken": []}, {}]

PATHS: Paths = {
    "/healthz": {"get": {
        "summary": "Liveness", "tags": ["operations"], "security": [],
        "responses": {"200": json_response("Health", "the process answers")}}},
    "/readyz": {"get": {
        "summary": "Readiness (checks only with the operator token, when one is configured)",
        "tags": ["operations"], "security": OPERATOR,
        "responses": {"200": json_response("Ready", "ready"),
                      "503": json_response("Ready", "a dependency is not ready")}}},
    "/metrics": {"get": {
        "summary": "Prometheus metrics", "tags": ["operations"], "security": OPERATOR,
        "responses": {"200": {"description": "Prometheus text format",
                              "content": {TEXT: {"schema": {"type": "string"}}}},
                      "401": error("operator token missing or wrong")}}},
    "/api/v1/openapi.json": {"get": {
        "summary": "This document", "tags": ["operations"], "security": [],
        "responses": {"200": {"description": "OpenAPI 3", "content": {JSON: {"schema": {"type": "object"}}}}}}},
    "/api/v1/profiles": {"get": {
        "summary": "The agent card of one identity", "tags": ["api"], "security": API_KEY,
        "parameters": [{"in": "query", "schema": http.ProfileQuerySchema}],
        "responses": {"200": json_response("Card", "the card"), "400": error("missing or invalid parameter"),
                      "401": error("missing or unknown API key"), "403": error("the key lacks the lookup scope"),
                      "404": json_response(http.CardErrorSchema, "no profile (with the match explanation)"),
                      "422": json_response(http.CardErrorSchema, "AEP does not serve this profile"),
                      "503": error("AEP unavailable or rate limited (Retry-After)")}}},
}
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "CONNECTOR_API_KEYS; scopes lookup and write"},
    "operatorToken": {"type": "http", "scheme": "bearer", "description": "CONNECTOR_METRICS_TOKEN"},
}
COMPONENTS = {"Error": http.ErrorSchema, "Health": http.HealthSchema, "Ready": http.ReadySchema,
              "Accepted": http.AcceptedSchema, "Card": http.CardSchema}


def build_document() -> dict:
    """The document for the providers registered now (the registry changes only when tests plug one in)."""
    return _document(tuple(registry.names()))


@cache
def _document(names: tuple[str, ...]) -> dict:
    """Built once per set of providers: it depends on the code only."""
    providers = [p for p in map(registry.get, names) if p is not None]
    blueprints = [bp for bp in (provider.blueprint() for provider in providers) if bp is not None]
    spec = APISpec(title="aep-crm-connector", version=_version(), openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], info={"description": _description([p.title for p in providers])})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema=schema)
    schemes = dict(SECURITY_SCHEMES)
    for blueprint in blueprints:
        schemes.update(getattr(blueprint, SECURITY_ATTR, {}))
    for scheme, definition in schemes.items():
        spec.components.security_scheme(scheme, definition)
    paths: Paths = dict(PATHS)
    for blueprint in blueprints:
        paths.update(getattr(blueprint, PATHS_ATTR, {}))
    for path, operations in paths.items():
        spec.path(path=path, operations=copy.deepcopy(operations))  # apispec resolves schemas in place
    return spec.to_dict()


def _description(titles: list[str]) -> str:
    crms = f"{', '.join(titles[:-1])} and {titles[-1]}" if len(titles) > 1 else "".join(titles)
    return (f"Adobe Experience Platform profiles for agents in {crms}. Every error is "
            '{"error", "message"}. See SECURITY.md for who may call what.')


def _version() -> str:
    try:
        return metadata.version("aep-crm-connector")
    except metadata.PackageNotFoundError:
        return "0.0.0"
