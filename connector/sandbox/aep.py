"""AEP emulator: IMS token, gateway checks, Profile Access, merge policies, segments, namespaces.

Speaks ../shared/reference/aep.md (section numbers inline). Choices the docs leave open are marked
"emulator choice" and are configurable where a test may need the other reading.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, request

from connector.sandbox import seed
from connector.sandbox.faults import Faults, Scripted
from connector.sandbox.server import RunningEmulator

ORG_ID = "ACME0000000000000000@AdobeOrg"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
SANDBOXES = ("prod", "dev")
MERGE_POLICY_ID = "0bf16e61-90e9-4204-b8fa-ad250360957b"
PROFILE_SCHEMA = "_xdm.context.profile"
EVENT_SCHEMA = "_xdm.context.experienceevent"
GATEWAY_PREFIXES = ("/data/",)
NAMESPACES = [  # §4.3 list shape
    ("ECID", 4, "COOKIE", False), ("Email", 6, "EMAIL", False), ("Phone", 7, "PHONE", False),
    ("Email_LC_SHA256", 11, "EMAIL", False), ("Phone_E.164", 12, "PHONE", False),
    ("Phone_SHA256", 13, "PHONE", False), ("CRMID", 10001, "CROSS_DEVICE", True),
]
# The scopes of the sandbox credential (§1.1, S24); IMS refuses a token request asking for others.
SCOPES = frozenset(("openid", "session", "AdobeID", "read_organizations", "additional_info.projectedProductContext"))


@dataclass
class Recorded:
    method: str
    path: str
    args: list[tuple[str, str]]
    headers: dict[str, str]
    form: dict[str, str]
    json: object


@dataclass
class AepWorld:
    """Mutable emulator state: issued tokens, faults, and every request received."""

    customers: int = seed.DEFAULT_CUSTOMERS
    token_ttl: int = 86399
    default_merge_policy: bool = True
    absent_namespaces: set[str] = field(default_factory=set)  # codes this sandbox does not define (e.g. CRMID)
    faults: Faults = field(default_factory=Faults)
    requests: list[Recorded] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    profile_patches: dict[int, dict] = field(default_factory=dict)  # customer index → attributes merged over the seed

    def __post_init__(self) -> None:
        self.index = seed.IdentityIndex(self.customers)

    def set_consent(self, index: int, path: str, val: str | None) -> None:
        """Change a customer's consent (``personalize.content``, ``marketing.email``…); None removes it."""
        with self.lock:
            node = self.profile_patches.setdefault(index, {}).setdefault("consents", {})
            *parents, last = path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = {"val": val} if val is not None else None

    def preload(self) -> None:
        """Generate every customer's profile and events up front (benchmarks: no cold generation)."""
        for index in range(self.customers):
            seed.profile_entity(index, self.customers)
            seed.events(index, self.customers)

    def namespaces(self) -> list[tuple[str, int, str, bool]]:
        """The identity namespaces this sandbox defines (§4.3)."""
        absent = {code.lower() for code in self.absent_namespaces}
        return [n for n in NAMESPACES if n[0].lower() not in absent]

    def knows_namespace(self, code: str | None) -> bool:
        """Namespace codes match case-insensitively (§4.2)."""
        return bool(code) and any(n[0].lower() == str(code).lower() for n in self.namespaces())

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def calls(self, path: str = "", method: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path) and (method is None or r.method == method)]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def create_app(world: AepWorld) -> Flask:
    app = Flask("aep-sandbox")
    app.config["world"] = world

    @app.before_request
    def record_and_fault():
        if request.path.startswith("/__sandbox"):
            return None
        with world.lock:
            world.requests.append(Recorded(request.method, request.path, list(request.args.items(multi=True)),
                                           dict(request.headers), request.form.to_dict(),
                                           request.get_json(silent=True)))
        world.faults.delay()
        failure = world.faults.pick(request.path, request.method)
        answer = _scripted(failure) if failure else None
        if answer is not None:
            return answer
        if request.path.startswith(GATEWAY_PREFIXES):
            return _gateway_check(world)
        return None

    @app.post("/ims/token/v3")
    def ims_token():
        values = {**request.args.to_dict(), **request.form.to_dict()}
        missing = [k for k in ("grant_type", "client_id", "client_secret", "scope") if not values.get(k)]
        if missing:
            return _ims_error(400, "invalid_request", f"missing parameter(s): {', '.join(missing)}")
        if values["grant_type"] != "client_credentials":
            return _ims_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if values["client_id"] != CLIENT_ID or values["client_secret"] != CLIENT_SECRET:
            return _ims_error(401, "invalid_client", "invalid client_id or client_secret")
        asked = {s.strip() for s in values["scope"].split(",") if s.strip()}
        if not asked or not asked <= SCOPES:
            # §1.1 (S23): the OAuth-style body; the status is [unverified] (400 or 401), 400 chosen here.
            return _ims_error(400, "invalid_scope", "The requested scopes are not a subset of the scopes of the "
                                                    "credential.")
        token = "eyJ" + secrets.token_urlsafe(32)
        with world.lock:
            world.tokens[token] = time.time() + world.token_ttl
        return jsonify(access_token=token, token_type="bearer", expires_in=world.token_ttl)

    @app.get("/data/core/ups/access/entities")
    def entities_get():
        schema = request.args.get("schema.name")
        if schema == EVENT_SCHEMA:
            return _events_get(world)
        if schema != PROFILE_SCHEMA:
            return _problem(400, "UPS-1000-400", "schema.name is required (_xdm.context.profile or experienceevent)")
        refused = _merge_policy_refusal(world, request.args.get("mergePolicyId"))
        if refused is not None:
            return refused
        entity_id = request.args.get("entityId")
        if not entity_id:
            return _problem(400, "UPS-1000-400", "entityId is required")
        namespace = request.args.get("entityIdNS")
        if namespace is not None and not world.knows_namespace(namespace):
            return _unknown_namespace(namespace)
        found = world.index.find(namespace, entity_id)
        if found is None:
            # Emulator choice (§2.7: undocumented): a miss is a 404 with an aep/errors body.
            return _problem(404, "UPS-1001-404", "Profile not found")
        if seed.customer(found, world.customers).oversized:
            return jsonify({"code": "UPS-ACCSDK-1000005", "message": "UPS-ACCSDK-1000005:Too many related "
                            f"identities. Got: {seed.OVERSIZED_GRAPH_IDENTITIES + 7}, max: 50"}), 422
        fields = _split(request.args.get("fields"))
        return jsonify(_profile_doc(world, found, fields))

    @app.post("/data/core/ups/access/entities")
    def entities_post():
        body = request.get_json(silent=True) or {}
        if (body.get("schema") or {}).get("name") != PROFILE_SCHEMA:
            return _problem(400, "UPS-1000-400", "schema.name must be _xdm.context.profile")
        if not isinstance(body.get("identities"), list) or not body["identities"]:
            return _problem(400, "UPS-1000-400", "identities is required")
        fields = [f for f in body.get("fields") or [] if isinstance(f, str)]
        for item in body["identities"]:
            ns = ((item or {}).get("entityIdNS") or {}).get("code")
            if ns is not None and not world.knows_namespace(ns):
                return _unknown_namespace(ns)
        refused = _merge_policy_refusal(world, body.get("mergePolicyId"))
        if refused is not None:
            return refused
        out: dict = {}
        for item in body["identities"]:
            ns = ((item or {}).get("entityIdNS") or {}).get("code")
            found = world.index.find(ns, str((item or {}).get("entityId", "")))
            if found is None or seed.customer(found, world.customers).oversized:
                key = "A" + secrets.token_urlsafe(18)
                out[key] = {"entityId": key, "sources": [""], "entity": {}, "lastModifiedAt": "1970-01-01T00:00:00Z"}
            else:
                out.update(_profile_doc(world, found, fields))
        return jsonify(out)

    @app.get("/data/core/ups/config/mergePolicies")
    def merge_policies():
        children = [_merge_policy()] if world.default_merge_policy else []
        if request.args.get("default", "").lower() == "false":
            children = []
        return jsonify({"_page": {"totalCount": len(children), "pageSize": len(children)},
                        "children": children, "_links": {"next": {"href": ""}}})

    @app.get("/data/core/ups/config/mergePolicies/<policy_id>")
    def merge_policy(policy_id: str):
        if policy_id != MERGE_POLICY_ID:
            return _problem(404, "UPS-1003-404", "Merge policy not found")
        return jsonify(_merge_policy())

    @app.get("/data/core/ups/segment/definitions")
    def segment_list():
        limit = int(request.args.get("limit", "100") or 100)
        start = int(request.args.get("start", "0") or 0)
        ids = list(seed.SEGMENTS)
        page = [_segment(i) for i in ids[start:start + limit]]
        more = start + limit < len(ids)
        query = urlencode({"start": start + limit, "limit": limit})
        link = {"next": {"href": f"/segment/definitions?{query}"}} if more else {}
        return jsonify({"segments": page, "page": {"totalCount": len(ids), "pageSize": len(page), "limit": limit},
                        "link": link})

    @app.get("/data/core/ups/segment/definitions/<segment_id>")
    def segment_get(segment_id: str):
        if segment_id not in seed.SEGMENTS:
            return _problem(404, "UPS-1004-404", "Segment definition not found")
        return jsonify(_segment(segment_id))

    @app.post("/data/core/ups/segment/definitions/bulk-get")
    def segment_bulk():
        ids = [(i or {}).get("id") for i in (request.get_json(silent=True) or {}).get("ids", [])]
        return jsonify({"results": {i: _segment(i) for i in ids if i in seed.SEGMENTS}}), 207

    @app.get("/data/core/idnamespace/identities")
    def namespaces():
        return jsonify([{"updateTime": 1495153678000, "code": code, "status": "ACTIVE",
                         "description": f"{code} Namespace", "id": nid, "createTime": 1495153678000,
                         "idType": kind, "name": code, "custom": custom}
                        for code, nid, kind, custom in world.namespaces()])

    @app.post("/__sandbox/faults")
    def set_faults():
        knobs = request.get_json(silent=True) or {}
        script = knobs.pop("script", [])
        try:
            world.faults.update(**knobs)
            world.faults.script(*(Scripted(**s) for s in script))
        except (TypeError, ValueError) as exc:
            return jsonify(error="bad_fault", message=str(exc)), 400
        return jsonify(ok=True)

    @app.post("/__sandbox/namespaces")
    def set_namespaces():
        """``{"absent": ["CRMID"]}``: run as a sandbox that does not define those namespaces."""
        absent = (request.get_json(silent=True) or {}).get("absent") or []
        world.absent_namespaces = {str(code) for code in absent}
        return jsonify(namespaces=[n[0] for n in world.namespaces()])

    @app.post("/__sandbox/reset")
    def reset():
        world.faults.reset()
        world.clear()
        return jsonify(ok=True)

    return app


def _gateway_check(world: AepWorld):
    """§1.4 / §10.2 order: token, API key, org, sandbox, content type."""
    auth = request.headers.get("Authorization", "")
    if not auth:
        return jsonify(error_code="403010", message="Oauth token is missing."), 401
    if not auth.startswith("Bearer "):  # §1.3: the token goes in a Bearer header, nothing else
        return jsonify(error_code="401013", message="Oauth token is not valid"), 401
    token = auth.removeprefix("Bearer ").strip()
    with world.lock:
        expiry = world.tokens.get(token)
    if expiry is None or expiry < time.time():
        return jsonify(error_code="401013", message="Oauth token is not valid"), 401
    api_key = request.headers.get("x-api-key")
    if not api_key:
        return jsonify(error_code="403000", message="Api Key is required"), 403
    if api_key != CLIENT_ID:
        return jsonify(error_code="403003", message="Api Key is invalid"), 403
    org = request.headers.get("x-gw-ims-org-id")
    if not org:
        return jsonify(error_code="400003", message="Missing header"), 400
    if org != ORG_ID:
        return jsonify(error_code="403025", message="Profile is not valid"), 403
    sandbox = request.headers.get("x-sandbox-name")
    if not sandbox:  # emulator choice: the shape for a missing sandbox header is undocumented
        return jsonify(error_code="400003", message="Missing header"), 400
    if sandbox not in SANDBOXES:
        return _problem(400, "SMS-2074-400", f"Sandbox {sandbox} not found")  # emulator choice
    if request.method in ("POST", "PUT", "PATCH") and not (request.mimetype or "").endswith("json"):
        return jsonify(type="/placeholder/type/uri", status=400, title="BadRequestError",
                       detail="A valid content-type must be specified"), 400
    return None


def _merge_policy_refusal(world: AepWorld, requested: object):
    """An unknown mergePolicyId is refused; without one, the default applies, or 422 if none (§2.1,
    and the same for the POST variant, §2.3)."""
    if requested:
        return None if requested == MERGE_POLICY_ID else _unknown_merge_policy()
    if not world.default_merge_policy:
        return _problem(422, "UPS-1002-422", "No default merge policy defined for schema _xdm.context.profile")
    return None


def _unknown_merge_policy():
    # Emulator choice (§2.7 documents no code): a client error, never "profile not found".
    return _problem(400, "UPS-1003-400", "Merge policy not found for the requested mergePolicyId")


def _unknown_namespace(code: str):
    # Emulator choice (§2.7/§4 document no body): a 4xx client error naming the namespace, never a 404
    # "profile not found", so a sandbox without a custom namespace (e.g. CRMID) is told apart from a miss.
    return _problem(400, "UPS-1005-400", f"Identity namespace {code} is not defined in this sandbox")


def _profile_doc(world: AepWorld, index: int, fields: list[str]) -> dict:
    c = seed.customer(index, world.customers)
    entity = _patched(seed.profile_entity(index, world.customers), world.profile_patches.get(index))
    projected = _project(entity, fields) if fields else dict(entity)
    if "identities" in fields or not fields:
        projected["identities"] = [  # §2.2: namespace codes come back lower-case
            {"id": v["id"], "namespace": {"code": ns.lower()}, **({"primary": True} if v.get("primary") else {})}
            for ns, values in entity["identityMap"].items() for v in values
        ]
    return {c.entity_id: {"entityId": c.entity_id, "sources": ["1000000000"], "entity": projected,
                          "lastModifiedAt": seed.last_modified(index)}}


def _events_get(world: AepWorld):
    if world.faults.events_status:
        status = world.faults.events_status
        return jsonify(error_code=f"{status}000", message="Experience event lookup is not enabled"), status
    if request.args.get("relatedSchema.name") != PROFILE_SCHEMA or not request.args.get("relatedEntityId"):
        return _problem(400, "UPS-1000-400", "relatedSchema.name and relatedEntityId are required")
    namespace = request.args.get("relatedEntityIdNS")
    if namespace is not None and not world.knows_namespace(namespace):
        return _unknown_namespace(namespace)
    found = world.index.find(namespace, request.args["relatedEntityId"])
    docs = list(seed.events(found, world.customers)) if found is not None else []
    window = (request.args.get("startTime"), request.args.get("endTime"), request.args.getlist("property")[:3])
    if any(window[:2]) or window[2]:
        docs = [d for d in docs if _event_matches(d, *window)]
    order = request.args.get("orderby") or request.args.get("orderBy") or "+timestamp"
    if order.startswith("-"):
        docs.reverse()
    start = request.args.get("start")
    if start:
        ids = [d["entityId"] for d in docs]
        docs = docs[ids.index(start):] if start in ids else []
    limit = int(request.args.get("limit", "1000") or 1000)
    page, rest = docs[:limit], docs[limit:]
    fields = _split(request.args.get("fields"))
    related = seed.customer(found, world.customers).entity_id if found is not None else ""
    children = [{"relatedEntityId": related, "entityId": d["entityId"], "timestamp": d["timestamp"],
                 "entity": _project(d["entity"], fields) if fields else d["entity"],
                 "lastModifiedAt": d["lastModifiedAt"]} for d in page]
    next_id = rest[0]["entityId"] if rest else ""
    href = ""
    if next_id:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "start"]
        href = "/entities?" + urlencode([("start", next_id)] + args)
    return jsonify({"_page": {"orderby": order.lstrip("+-") if order else "timestamp",
                              "start": page[0]["entityId"] if page else "", "count": len(page), "next": next_id},
                    "children": children, "_links": {"next": {"href": href}}})


def _patched(entity: dict, patch: dict | None) -> dict:
    """The seed entity with a test's changes merged in (a None value removes the key)."""
    if not patch:
        return entity
    merged = dict(entity)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _patched(merged[key], value)
        else:
            merged[key] = value
    return merged


def _event_matches(doc: dict, start: str | None, end: str | None, properties: list[str]) -> bool:
    if start and doc["timestamp"] < int(start):
        return False
    if end and doc["timestamp"] >= int(end):
        return False
    for expression in properties:
        key, _, wanted = expression.partition("=")
        if _get(doc["entity"], key.rstrip("!")) != wanted.strip('"'):
            return False
    return True


def _project(entity: dict, fields: list[str]) -> dict:
    out: dict = {}
    for path in fields:
        value = _get(entity, path)
        if value is None:
            continue
        target = out
        parts = path.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def _get(data: object, path: str) -> object:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _split(text: str | None) -> list[str]:
    return [f for f in (text or "").split(",") if f]


def _merge_policy() -> dict:
    return {"id": MERGE_POLICY_ID, "name": "Profile Default Merge Policy", "imsOrgId": ORG_ID,
            "sandbox": {"sandboxId": "ff0f6870-c46d-11e9-8ca3-036939a64204", "sandboxName": "prod",
                        "type": "production", "default": True},
            "schema": {"name": PROFILE_SCHEMA}, "version": 1, "identityGraph": {"type": "pdg"},
            "attributeMerge": {"type": "timestampOrdered"}, "isActiveOnEdge": "false", "default": True,
            "updateEpoch": 1552086578}


def _segment(segment_id: str) -> dict:
    return {"id": segment_id, "schema": {"name": PROFILE_SCHEMA}, "ttlInDays": 60, "profileInstanceId": "ups",
            "imsOrgId": ORG_ID, "name": seed.SEGMENTS[segment_id], "description": seed.SEGMENTS[segment_id],
            "expression": {"type": "PQL", "format": "pql/text", "value": "true"},
            "evaluationInfo": {"batch": {"enabled": True}, "continuous": {"enabled": False},
                               "synchronous": {"enabled": False}},
            "creationTime": 0, "updateEpoch": 1579292094, "updateTime": 1579292094000}


def _problem(status: int, code: str, title: str):
    return jsonify(type=f"http://ns.adobe.com/aep/errors/{code}", title=title, status=status,
                   report={"detail-message": title}), status


def _ims_error(status: int, error: str, description: str):
    return jsonify(error=error, error_description=description), status


def _scripted(item: Scripted) -> Response | None:
    if item.delay_ms:
        time.sleep(item.delay_ms / 1000.0)
    if item.status < 400:
        return None  # a pure delay
    body = item.body or {"error_code": f"{item.status}000", "message": "Injected fault"}
    response = jsonify(body)
    response.status_code = item.status
    if item.retry_after is not None:
        response.headers["Retry-After"] = f"{item.retry_after:g}"
    return response


class AepSandbox(RunningEmulator):
    """The AEP emulator as a running server, with its world exposed for tests."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, customers: int = seed.DEFAULT_CUSTOMERS) -> None:
        self.world = AepWorld(customers=customers)
        self._serve(create_app(self.world), host=host, port=port)

    def settings_overrides(self) -> dict:
        """Connector settings that point at this emulator."""
        return {"aep_ims_url": self.url, "aep_platform_url": self.url, "aep_client_id": CLIENT_ID,
                "aep_client_secret": CLIENT_SECRET, "aep_org_id": ORG_ID, "aep_sandbox": "prod"}
