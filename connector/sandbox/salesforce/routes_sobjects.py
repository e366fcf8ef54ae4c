"""Salesforce emulator routes for sObjects: describe, a record read (``?fields=``) or update, a record
created, and sObject Collections (``PATCH composite/sobjects``, at most 200 records, §2.3).

Writes are checked against the deployed package's field metadata (``values.check_write``) and
recorded with the session's user as ``LastModifiedById``.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, request

from connector.sandbox.salesforce.errors import error_list
from connector.sandbox.salesforce.fields import describe
from connector.sandbox.salesforce.records import collection_refusal, collection_results, with_attributes
from connector.sandbox.salesforce.state import AGENT_USER, PREFIX, SalesforceWorld


def register(app: Flask, world: SalesforceWorld) -> None:
    """Add the describe, record and collection routes."""
    _records(app, world)
    _collections(app, world)


def _records(app: Flask, world: SalesforceWorld) -> None:
    @app.get("/services/data/v<version>/sobjects/<obj>/describe")
    def describe_object(version: str, obj: str):
        if obj not in world.schema:
            return error_list(404, "NOT_FOUND", "The requested resource does not exist")
        return jsonify(describe(obj, world.schema, PREFIX[obj]))

    @app.route("/services/data/v<version>/sobjects/<obj>/<rid>", methods=["GET", "PATCH"])
    def sobject(version: str, obj: str, rid: str):
        with world.lock:
            record = world.find(obj, rid)
            if record is None:
                return error_list(404, "NOT_FOUND", "The requested resource does not exist")
            if request.method == "GET":
                names = {name.lower(): name for name in world.schema[obj]}
                asked = [f for f in request.args.get("fields", "").split(",") if f]
                unknown = [f for f in asked if f.lower() not in names]
                if unknown:
                    return error_list(400, "INVALID_FIELD",
                                      f"No such column '{unknown[0]}' on sobject of type {obj}")
                return jsonify(with_attributes(obj, record, [names[f.lower()] for f in asked] or None, version))
            changes = request.get_json(silent=True)
            if not isinstance(changes, dict):
                return error_list(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
            stored, problems = world.check(obj, changes)
            if problems:
                return jsonify(problems), 400
            world.commit(obj, record, stored, changes, request.environ.get("sandbox.user", AGENT_USER))
            return Response(status=204)

    @app.post("/services/data/v<version>/sobjects/<obj>/")
    def create(version: str, obj: str):
        with world.lock:
            if obj not in world.records:
                return error_list(404, "NOT_FOUND", "The requested resource does not exist")
            record = world.new_record(obj)
            rid = record["Id"]
            stored, problems = world.check(obj, request.get_json(silent=True) or {}, creating=True)
            if problems:
                return jsonify(problems), 400
            record.update(stored, LastModifiedById=request.environ["sandbox.user"])
            world.records[obj][rid] = record
        return jsonify(id=rid, success=True, errors=[]), 201


def _collections(app: Flask, world: SalesforceWorld) -> None:
    @app.patch("/services/data/v<version>/composite/sobjects")
    def collections(version: str):
        body = request.get_json(silent=True) or {}
        records = body.get("records")
        if not isinstance(records, list) or not records:
            return error_list(400, "INVALID_INPUT", "records is required")
        if len(records) > 200:
            return error_list(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records")
        refusal = collection_refusal(records)
        if refusal is not None:
            return error_list(400, *refusal)
        user = request.environ["sandbox.user"]
        with world.lock:
            results = collection_results(records, body.get("allOrNone") is True, find=world.find, check=world.check,
                                         commit=lambda o, rec, stored, ch: world.commit(o, rec, stored, ch, user))
        return jsonify(results)
