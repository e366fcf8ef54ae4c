"""Salesforce emulator routes for SOQL queries, paged by ``world.query_page`` with a query locator in
``nextRecordsUrl`` (reference §1.6), and the ``limits`` resource (§2.4).
"""
from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, jsonify, request

from connector.sandbox.salesforce.errors import error_list
from connector.sandbox.salesforce.records import QueryError, run_query, with_attributes
from connector.sandbox.salesforce.state import SalesforceWorld


def register(app: Flask, world: SalesforceWorld) -> None:
    """Add the query, query-more and limits routes."""

    @app.get("/services/data/v<version>/query/")
    def query(version: str):
        try:
            with world.lock:
                obj, wanted, rows, limit = run_query(request.args.get("q", ""), world.records, world.schema)
        except QueryError as exc:
            return error_list(400, exc.code, exc.message)
        rows = rows[:limit] if limit is not None else rows
        return jsonify(_page(world, obj, [with_attributes(obj, r, wanted, version) for r in rows], version, 0))

    @app.get("/services/data/v<version>/query/<locator>-<int:offset>")
    def query_more(version: str, locator: str, offset: int):
        rows = world.cursors.get(locator)
        if rows is None:
            return error_list(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return jsonify(_page(world, rows[0]["attributes"]["type"], rows, version, offset, locator))

    @app.get("/services/data/v<version>/limits/")
    def limits(version: str):
        return jsonify(DailyApiRequests={"Max": world.daily_max, "Remaining": max(0, world.daily_max - world.used)})


def _page(world: SalesforceWorld, obj: str, rows: list[dict], version: str, offset: int,
          locator: str | None = None) -> dict:
    chunk = rows[offset: offset + world.query_page]
    body: dict[str, Any] = {"totalSize": len(rows), "done": offset + world.query_page >= len(rows), "records": chunk}
    if not body["done"]:
        locator = locator or "01g" + secrets.token_hex(6)
        world.cursors[locator] = rows
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{offset + world.query_page}"
    return body
