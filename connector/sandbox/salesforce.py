"""Salesforce emulator over TLS: OAuth token, sObjects, SOQL query paging, sObject Collections, limits,
error lists, Sforce-Limit-Info and a daily API allocation that runs out.

Wire facts: ../shared/reference/salesforce.md (§1.5/§1.6 shapes, §2 errors and limits, §9 checklist).
Field metadata and value checks: salesforce_fields / salesforce_values; ids, SOQL and sObject
Collections: salesforce_records; the connected app's JWT certificate: salesforce_jwt.
"""
from __future__ import annotations

import base64
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from connector.sandbox import salesforce_http, seed
from connector.sandbox.faults import Faults
from connector.sandbox.salesforce_fields import describe, load_schema
from connector.sandbox.salesforce_jwt import assertion_problem, connected_app_keys
from connector.sandbox.salesforce_records import (
    QueryError,
    canonical_id,
    collection_refusal,
    collection_results,
    run_query,
)
from connector.sandbox.salesforce_values import check_write
from connector.sandbox.server import RunningEmulator
from connector.sandbox.tls import self_signed

ORG_ID = "00D5g000004ACMEEA2"
CLIENT_ID = "sandbox-consumer-key"
CLIENT_SECRET = "sandbox-consumer-secret"
USERNAME = "integration@acme.example"
PASSWORD = "sandbox-password" + "SECURITYTOKEN"
INTEGRATION_USER = "0055g00000INTEGAAA"
AGENT_USER = "0055g00000AGENTAAA"
CONTACTS = 200
PREFIX = {"Contact": "003", "Lead": "00Q", "Case": "500"}


def record_id(obj: str, index: int) -> str:
    return f"{PREFIX[obj]}5g{index:010d}AAA"


@dataclass
class SalesforceWorld:
    daily_max: int = 15_000  # Developer Edition allocation (reference §2.4)
    token_ttl: float = 7200.0
    query_page: int = 2000
    faults: Faults = field(default_factory=Faults)
    lock: threading.RLock = field(default_factory=threading.RLock)
    requests: list = field(default_factory=list)
    schema: dict = field(default_factory=dict)  # object → field → SfField (the deployed package)

    def __post_init__(self) -> None:
        self.reset_data()

    def reset_data(self) -> None:
        with self.lock:
            self.used = 0
            self.tokens: dict[str, tuple[float, str]] = {}
            self.token_orgs: dict[str, str] = {}
            self.schema = load_schema()
            self.records: dict[str, dict[str, dict]] = {obj: {} for obj in self.schema}
            self.patches: list[tuple[str, str, dict]] = []
            self._ids = itertools.count(100_000)
            self._cursors: dict[str, list[dict]] = {}
            for index in range(1, CONTACTS + 1):
                c = seed.customer(index)
                contact = self._blank("Contact", record_id("Contact", index))
                contact.update(FirstName=c.first, LastName=c.last, Email=c.crm_email.strip(), Phone=c.crm_phone,
                               AEP_CRM_Id__c=c.crm_id if index % 3 else None, LastModifiedById=AGENT_USER)
                self.records["Contact"][contact["Id"]] = contact
                case = self._blank("Case", record_id("Case", index))
                case.update(ContactId=contact["Id"], Subject=f"Order question {index}", Status="New",
                            LastModifiedById=AGENT_USER)
                self.records["Case"][case["Id"]] = case

    def _blank(self, obj: str, rid: str) -> dict:
        return {name: None for name in self.schema[obj]} | {"Id": rid}

    def find(self, obj: str, rid: str) -> dict | None:
        """The record under a 15- or 18-character id (either case for the 18)."""
        canonical = canonical_id(rid)
        return self.records.get(obj, {}).get(canonical) if canonical else None

    def check(self, obj: str, changes: dict, *, creating: bool = False) -> tuple[dict, list[dict]]:
        return check_write(obj, self.schema[obj], changes, creating=creating)

    def commit(self, obj: str, record: dict, stored: dict, changes: dict, user: str = INTEGRATION_USER) -> None:
        record.update(stored)
        record["LastModifiedById"] = user
        self.patches.append((obj, record["Id"], changes))

    def issue_token(self, user: str = INTEGRATION_USER, *, org: str = ORG_ID) -> str:
        """A session (also what an Outbound Message with "Send Session ID" carries), of ``org``."""
        token = "00D!" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (time.time() + self.token_ttl, user)
            self.token_orgs[token] = org
        return token

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def calls(self, path: str = "", method: str | None = None) -> list[tuple[str, str, Any]]:
        with self.lock:
            return [r for r in self.requests if path in r[1] and (method is None or r[0] == method)]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.patches.clear()

    def create_case(self, contact_index: int, subject: str = "New case") -> dict:
        with self.lock:
            case = self._blank("Case", f"5005g{next(self._ids):010d}AAA")
            case.update(ContactId=record_id("Contact", contact_index), Subject=subject, Status="New",
                        LastModifiedById=AGENT_USER)
            self.records["Case"][case["Id"]] = case
            return case


def _errors(status: int, code: str, message: str, fields: list | None = None):
    body: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        body["fields"] = fields
    return jsonify([body]), status


def _with_attributes(obj: str, record: dict, wanted: list[str] | None, version: str) -> dict:
    fields = wanted or list(record)
    return {"attributes": {"type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{record['Id']}"},
            **{f: record.get(f) for f in fields}}


def create_app(world: SalesforceWorld) -> Flask:  # noqa: C901 - one route table, kept together
    app = Flask("salesforce-sandbox")
    salesforce_http.register(app)

    @app.before_request
    def gate():
        if request.path.startswith("/__sandbox"):
            return None
        with world.lock:
            world.requests.append((request.method, request.full_path, request.get_json(silent=True)))
        world.faults.delay()
        failure = world.faults.pick(request.path, request.method)
        if failure and failure.status >= 400:
            body = failure.body or [{"message": "Injected fault", "errorCode": "SERVER_UNAVAILABLE"}]
            return jsonify(body), failure.status
        if not request.path.startswith("/services/data/"):
            return None
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with world.lock:
            entry = world.tokens.get(token)
            if entry is None or entry[0] < time.time():
                return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
            if world.used >= world.daily_max:
                return _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            world.used += 1
        request.environ["sandbox.user"] = entry[1]
        return None

    @app.after_request
    def limit_info(response: Response) -> Response:
        if request.path.startswith("/services/data/"):
            response.headers["Sforce-Limit-Info"] = f"api-usage={world.used}/{world.daily_max}"
        return response

    @app.post("/services/oauth2/token")
    def token():
        form = request.form
        grant = form.get("grant_type")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if grant not in ("client_credentials", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
            return jsonify(error="unsupported_grant_type", error_description="grant type not supported"), 400
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problem = assertion_problem(form.get("assertion", ""), certificate=connected_app_keys()[1],
                                        client_id=CLIENT_ID, users=(USERNAME,))
            if problem:
                return jsonify(error="invalid_grant", error_description=problem), 400
        elif (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return jsonify(error="invalid_client", error_description="invalid client credentials"), 400
        elif grant == "password" and (form.get("username"), form.get("password")) != (USERNAME, PASSWORD):
            return jsonify(error="invalid_grant", error_description="authentication failure"), 400
        issued = str(int(time.time() * 1000))
        base = request.host_url.rstrip("/")
        return jsonify(access_token=world.issue_token(), instance_url=base, token_type="Bearer",
                       id=f"{base}/id/{ORG_ID}/{INTEGRATION_USER}", issued_at=issued, scope="api",
                       signature=base64.b64encode(secrets.token_bytes(32)).decode())

    @app.get("/services/oauth2/userinfo")
    def userinfo():
        """OpenID Connect UserInfo of the session's user; 401 for an unknown or expired token."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with world.lock:
            entry, org = world.tokens.get(token), world.token_orgs.get(token, ORG_ID)
        if entry is None or entry[0] < time.time():
            return Response("Bad_OAuth_Token", status=401, mimetype="text/plain")
        base = request.host_url.rstrip("/")
        return jsonify(sub=f"{base}/id/{org}/{entry[1]}", user_id=entry[1], organization_id=org,
                       preferred_username=USERNAME, email=USERNAME, email_verified=True, zoneinfo="GMT")
    @app.get("/services/data/v<version>/sobjects/<obj>/describe")
    def describe_object(version: str, obj: str):
        if obj not in world.schema:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        return jsonify(describe(obj, world.schema, PREFIX[obj]))

    @app.route("/services/data/v<version>/sobjects/<obj>/<rid>", methods=["GET", "PATCH"])
    def sobject(version: str, obj: str, rid: str):
        with world.lock:
            record = world.find(obj, rid)
            if record is None:
                return _errors(404, "NOT_FOUND", "The requested resource does not exist")
            if request.method == "GET":
                names = {name.lower(): name for name in world.schema[obj]}
                asked = [f for f in request.args.get("fields", "").split(",") if f]
                unknown = [f for f in asked if f.lower() not in names]
                if unknown:
                    return _errors(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {obj}")
                return jsonify(_with_attributes(obj, record, [names[f.lower()] for f in asked] or None, version))
            changes = request.get_json(silent=True)
            if not isinstance(changes, dict):
                return _errors(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
            stored, problems = world.check(obj, changes)
            if problems:
                return jsonify(problems), 400
            world.commit(obj, record, stored, changes, request.environ.get("sandbox.user", AGENT_USER))
            return Response(status=204)

    @app.post("/services/data/v<version>/sobjects/<obj>/")
    def create(version: str, obj: str):
        with world.lock:
            if obj not in world.records:
                return _errors(404, "NOT_FOUND", "The requested resource does not exist")
            rid = f"{PREFIX[obj]}5g{next(world._ids):010d}AAA"
            record = world._blank(obj, rid)
            stored, problems = world.check(obj, request.get_json(silent=True) or {}, creating=True)
            if problems:
                return jsonify(problems), 400
            record.update(stored, LastModifiedById=request.environ["sandbox.user"])
            world.records[obj][rid] = record
        return jsonify(id=rid, success=True, errors=[]), 201

    @app.get("/services/data/v<version>/query/")
    def query(version: str):
        try:
            with world.lock:
                obj, wanted, rows, limit = run_query(request.args.get("q", ""), world.records, world.schema)
        except QueryError as exc:
            return _errors(400, exc.code, exc.message)
        rows = rows[:limit] if limit is not None else rows
        return jsonify(_page(world, obj, [_with_attributes(obj, r, wanted, version) for r in rows], version, 0))

    @app.get("/services/data/v<version>/query/<locator>-<int:offset>")
    def query_more(version: str, locator: str, offset: int):
        rows = world._cursors.get(locator)
        if rows is None:
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return jsonify(_page(world, rows[0]["attributes"]["type"], rows, version, offset, locator))

    @app.patch("/services/data/v<version>/composite/sobjects")
    def collections(version: str):
        body = request.get_json(silent=True) or {}
        records = body.get("records")
        if not isinstance(records, list) or not records:
            return _errors(400, "INVALID_INPUT", "records is required")
        if len(records) > 200:
            return _errors(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records")
        refusal = collection_refusal(records)
        if refusal is not None:
            return _errors(400, *refusal)
        user = request.environ["sandbox.user"]
        with world.lock:
            results = collection_results(records, body.get("allOrNone") is True, find=world.find, check=world.check,
                                         commit=lambda o, rec, stored, ch: world.commit(o, rec, stored, ch, user))
        return jsonify(results)

    @app.get("/services/data/v<version>/limits/")
    def limits(version: str):
        return jsonify(DailyApiRequests={"Max": world.daily_max, "Remaining": max(0, world.daily_max - world.used)})

    return app


def _page(world: SalesforceWorld, obj: str, rows: list[dict], version: str, offset: int,
          locator: str | None = None) -> dict:
    chunk = rows[offset: offset + world.query_page]
    body: dict[str, Any] = {"totalSize": len(rows), "done": offset + world.query_page >= len(rows), "records": chunk}
    if not body["done"]:
        locator = locator or "01g" + secrets.token_hex(6)
        world._cursors[locator] = rows
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{offset + world.query_page}"
    return body


class SalesforceSandbox(RunningEmulator):
    """The Salesforce emulator as a running https server; trust ``ca_bundle``."""

    def __init__(self, *, port: int = 0) -> None:
        self.world = SalesforceWorld()
        context, self.ca_bundle = self_signed()
        self._serve(create_app(self.world), port=port, ssl_context=context)

    def settings_overrides(self) -> dict:
        return {"salesforce_instance_url": self.url, "salesforce_client_id": CLIENT_ID,
                "salesforce_client_secret": CLIENT_SECRET, "salesforce_org_id": ORG_ID, "ca_bundle": self.ca_bundle}

    @property
    def jwt_private_key(self) -> str:
        """The key whose certificate the emulator's connected app holds (CONNECTOR_SALESFORCE_PRIVATE_KEY)."""
        return connected_app_keys()[0]

    def jwt_overrides(self) -> dict:
        """Settings for the JWT bearer flow (on top of ``settings_overrides``)."""
        return {"salesforce_username": USERNAME, "salesforce_private_key": self.jwt_private_key}


def canvas_request(record: str, *, org_id: str = ORG_ID, secret: str = CLIENT_SECRET, urlsafe: bool = False,
                   issued_at: object = None, locale: str = "en_US") -> str:
    """A Canvas signed request as Salesforce POSTs it for an app on a record page (reference §5.1)."""
    import hashlib
    import hmac
    import json

    document = {"algorithm": "HMACSHA256", "issuedAt": int(time.time()) if issued_at is None else issued_at,
                "userId": AGENT_USER,
                "client": {"instanceUrl": "https://acme.my.salesforce.com", "oauthToken": "00D!canvas",
                           "targetOrigin": "https://acme.my.salesforce.com", "refreshToken": None},
                "context": {"user": {"userId": AGENT_USER, "userName": "agent@acme.example", "locale": locale,
                                     "language": locale},
                            "organization": {"organizationId": org_id, "name": "Acme"},
                            "environment": {"displayLocation": "Aura", "parameters": {"recordId": record},
                                            "record": {}}}}
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    payload = encode(json.dumps(document).encode()).decode()
    signature = encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()).decode()
    return f"{signature}.{payload}"
