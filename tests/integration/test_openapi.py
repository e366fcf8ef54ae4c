"""GET /api/v1/openapi.json: a valid OpenAPI 3 document that describes every route of the app."""
from __future__ import annotations

import re

from openapi_spec_validator import validate

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_the_document_is_valid_openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    validate(document)  # raises OpenAPIValidationError with the offending path
    assert document["openapi"].startswith("3.")


def test_every_route_of_the_app_is_in_the_document(client):
    """Routes added later without a description fail here."""
    document = client.get("/api/v1/openapi.json").get_json()
    described = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in client.application.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        served |= {(path, method) for method in (rule.methods or set()) & METHODS}
    assert served - described == set()
    assert described - served == set()


def test_request_bodies_come_from_the_marshmallow_schemas(client):
    document = client.get("/api/v1/openapi.json").get_json()
    callout = document["paths"]["/salesforce/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = callout["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][name]["required"]) == {"event", "recordId"}
    webhook = document["paths"]["/zendesk/webhooks"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert len(webhook["oneOf"]) == 2
    query = {p["name"] for p in document["paths"]["/api/v1/profiles"]["get"]["parameters"]}
    assert query == {"namespace", "id", "refresh"}


def test_the_signed_salesforce_callouts_declare_their_signature_scheme(client):
    document = client.get("/api/v1/openapi.json").get_json()
    scheme = document["components"]["securitySchemes"]["calloutSignature"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Connector-Signature")
    assert "HMAC-SHA256" in scheme["description"]
    for path, method in (("/salesforce/events", "post"), ("/salesforce/profile", "get"),
                         ("/salesforce/preview", "post"), ("/salesforce/apply", "post")):
        operation = document["paths"][path][method]
        assert operation["security"] == [{"calloutSignature": []}], path
        assert "X-Connector-Timestamp" in {p["name"] for p in operation["parameters"] if p.get("in") == "header"}
