"""AEP emulator routes for Profile Access entities: a profile by identity (GET, §2.1) or by several
identities (POST, §2.3), and a profile's experience events (GET with ``schema.name`` of events, §2.4),
cursor-paged with ``start``.
"""
from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import Flask, jsonify, request

from connector.sandbox import seed
from connector.sandbox.aep.errors import merge_policy_refusal, problem, unknown_namespace
from connector.sandbox.aep.profiles import event_matches, profile_doc, project, split
from connector.sandbox.aep.state import EVENT_SCHEMA, PROFILE_SCHEMA, AepWorld


def register(app: Flask, world: AepWorld) -> None:
    """Add the entity routes."""

    @app.get("/data/core/ups/access/entities")
    def entities_get():
        schema = request.args.get("schema.name")
        if schema == EVENT_SCHEMA:
            return _events_get(world)
        if schema != PROFILE_SCHEMA:
            return problem(400, "UPS-1000-400", "schema.name is required (_xdm.context.profile or experienceevent)")
        refused = merge_policy_refusal(world, request.args.get("mergePolicyId"))
        if refused is not None:
            return refused
        entity_id = request.args.get("entityId")
        if not entity_id:
            return problem(400, "UPS-1000-400", "entityId is required")
        namespace = request.args.get("entityIdNS")
        if namespace is not None and not world.knows_namespace(namespace):
            return unknown_namespace(namespace)
        found = world.index.find(namespace, entity_id)
        if found is None:
            # Emulator choice (§2.7: undocumented): a miss is a 404 with an aep/errors body.
            return problem(404, "UPS-1001-404", "Profile not found")
        if seed.customer(found, world.customers).oversized:
            return jsonify({"code": "UPS-ACCSDK-1000005", "message": "UPS-ACCSDK-1000005:Too many related "
                            f"identities. Got: {seed.OVERSIZED_GRAPH_IDENTITIES + 7}, max: 50"}), 422
        fields = split(request.args.get("fields"))
        return jsonify(profile_doc(world, found, fields))

    @app.post("/data/core/ups/access/entities")
    def entities_post():
        body = request.get_json(silent=True) or {}
        if (body.get("schema") or {}).get("name") != PROFILE_SCHEMA:
            return problem(400, "UPS-1000-400", "schema.name must be _xdm.context.profile")
        if not isinstance(body.get("identities"), list) or not body["identities"]:
            return problem(400, "UPS-1000-400", "identities is required")
        fields = [f for f in body.get("fields") or [] if isinstance(f, str)]
        for item in body["identities"]:
            ns = ((item or {}).get("entityIdNS") or {}).get("code")
            if ns is not None and not world.knows_namespace(ns):
                return unknown_namespace(ns)
        refused = merge_policy_refusal(world, body.get("mergePolicyId"))
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
                out.update(profile_doc(world, found, fields))
        return jsonify(out)


def _events_get(world: AepWorld):
    if world.faults.events_status:
        status = world.faults.events_status
        return jsonify(error_code=f"{status}000", message="Experience event lookup is not enabled"), status
    if request.args.get("relatedSchema.name") != PROFILE_SCHEMA or not request.args.get("relatedEntityId"):
        return problem(400, "UPS-1000-400", "relatedSchema.name and relatedEntityId are required")
    namespace = request.args.get("relatedEntityIdNS")
    if namespace is not None and not world.knows_namespace(namespace):
        return unknown_namespace(namespace)
    found = world.index.find(namespace, request.args["relatedEntityId"])
    docs = list(seed.events(found, world.customers)) if found is not None else []
    window = (request.args.get("startTime"), request.args.get("endTime"), request.args.getlist("property")[:3])
    if any(window[:2]) or window[2]:
        docs = [d for d in docs if event_matches(d, *window)]
    order = request.args.get("orderby") or request.args.get("orderBy") or "+timestamp"
    if order.startswith("-"):
        docs.reverse()
    start = request.args.get("start")
    if start:
        ids = [d["entityId"] for d in docs]
        docs = docs[ids.index(start):] if start in ids else []
    limit = int(request.args.get("limit", "1000") or 1000)
    page, rest = docs[:limit], docs[limit:]
    fields = split(request.args.get("fields"))
    related = seed.customer(found, world.customers).entity_id if found is not None else ""
    children = [{"relatedEntityId": related, "entityId": d["entityId"], "timestamp": d["timestamp"],
                 "entity": project(d["entity"], fields) if fields else d["entity"],
                 "lastModifiedAt": d["lastModifiedAt"]} for d in page]
    next_id = rest[0]["entityId"] if rest else ""
    href = ""
    if next_id:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "start"]
        href = "/entities?" + urlencode([("start", next_id)] + args)
    return jsonify({"_page": {"orderby": order.lstrip("+-") if order else "timestamp",
                              "start": page[0]["entityId"] if page else "", "count": len(page), "next": next_id},
                    "children": children, "_links": {"next": {"href": href}}})
