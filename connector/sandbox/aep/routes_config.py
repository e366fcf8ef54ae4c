"""AEP emulator routes for the sandbox's configuration: merge policies (§2.5), segment definitions
(§3) and identity namespaces (§4.3).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, jsonify, request

from connector.sandbox import seed
from connector.sandbox.aep.errors import problem
from connector.sandbox.aep.state import MERGE_POLICY_ID, ORG_ID, PROFILE_SCHEMA, AepWorld


def register(app: Flask, world: AepWorld) -> None:
    """Add the merge policy, segment and namespace routes."""

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
            return problem(404, "UPS-1003-404", "Merge policy not found")
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
            return problem(404, "UPS-1004-404", "Segment definition not found")
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
