"""A third CRM, defined only here: a tiny issue tracker over HTTP and the provider that plugs it in.

Nothing under ``connector/`` knows it. It speaks the neutral write grammar directly in its manifest
section (``record.fields.tier``, ``person.fields.ltv``, ``record.tags``), signs its events with an
HMAC of the body, and keeps issues (with a person each) in memory.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Blueprint, Flask, current_app, jsonify, request

from connector import errors
from connector.core import targets
from connector.core.jobkey import JobKey
from connector.core.models import Contact
from connector.core.writeplan import RecordState, plan, same
from connector.services.drafts import Draft, Part
from connector.web.openapi import JSON, error, request_body

NAME = "fakecrm"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- the CRM itself: a 50-line emulator -------------------------------------------------------

def emulator(issues: dict[str, dict]) -> Flask:
    app = Flask("fakecrm")

    @app.get("/issues/<issue_id>")
    def read(issue_id: str):
        issue = issues.get(issue_id)
        return (jsonify(issue), 200) if issue else (jsonify(error="not_found"), 404)

    @app.put("/issues/<issue_id>")
    def update(issue_id: str):
        issue, body = issues[issue_id], request.get_json()
        issue["fields"].update(body.get("fields", {}))
        issue["tags"] = sorted(set(issue["tags"]) | set(body.get("add_tags", [])) - set(body.get("remove_tags", [])))
        if body.get("note"):
            issue["notes"].append(body["note"])
        issue["person"]["fields"].update(body.get("person_fields", {}))
        return jsonify(issue)

    return app


# -- the provider ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FakeSettings:
    url: str | None = None
    secret: str | None = field(default=None, repr=False)

    def problems(self) -> list[tuple[str, str]]:
        return [] if not self.url or self.url.startswith("http://127.0.0.1") else [("url", "a local URL")]


bp = Blueprint(NAME, __name__)
bp.delivery_endpoints = ("events",)  # type: ignore[attr-defined]
bp.openapi_security = {  # type: ignore[attr-defined]  # its part of /api/v1/openapi.json, as a built-in's
    "fakeSignature": {"type": "apiKey", "in": "header", "name": "X-Fake-Signature",
                      "description": "hex(HMAC-SHA256(secret, body))"}}
bp.openapi_paths = {"/fakecrm/events": {"post": {  # type: ignore[attr-defined]
    "summary": "An issue changed", "tags": [NAME], "security": [{"fakeSignature": []}],
    "parameters": [{"in": "header", "name": "X-Fake-Delivery", "schema": {"type": "string"}}],
    "requestBody": request_body(JSON, {"type": "object", "properties": {"issue": {"type": "string"}}}),
    "responses": {"202": {"description": "queued", "content": {JSON: {"schema": {"type": "object"}}}},
                  "400": error("not an issue number"), "401": error("bad or missing signature")}}}}


@bp.post("/fakecrm/events")
def events():
    """Authenticate first (HMAC of the raw body), then parse, then queue."""
    runtime = current_app.extensions["connector"]
    secret, raw = runtime.settings.fakecrm_secret, request.get_data()
    if not secret or not hmac.compare_digest(sign(secret, raw), request.headers.get("X-Fake-Signature", "")):
        raise errors.SignatureError("bad or missing X-Fake-Signature")
    issue = str(json.loads(raw).get("issue", ""))
    key = PROVIDER.parse_key(JobKey(NAME, "issue", issue)) if issue.isdigit() else None
    if key is None:
        raise errors.PayloadError("issue must be an issue number")
    status = runtime.accept(delivery_key=f"{NAME}:{request.headers.get('X-Fake-Delivery', issue)}", key=key)
    return jsonify(status=status), 202


class FakeService:
    name = NAME

    def __init__(self, shared: Any) -> None:
        self.shared, self.url = shared, shared.settings.fakecrm_url
        self.spec = shared.manifest.writeback.get(NAME)

    def start(self) -> None:
        return None

    def reserve(self) -> None:
        return None

    def draft(self, key: JobKey, *, note_written: bool | None = None) -> Draft:
        issue = requests.get(f"{self.url}/issues/{key.id}", timeout=5).json()
        person = issue["person"]
        card = self.shared.lookup.by_contact(Contact(email=person["email"]), lang=self.shared.lang)
        state = RecordState(fields=issue["fields"], tags=frozenset(issue["tags"]), person_fields=person["fields"])
        changes = plan(card=card, spec=self.spec, state=state, last_written=self.shared.ledger.last_written(key),
                       note_needed=not issue["notes"], lang=self.shared.lang)
        return Draft(key, card=card, parts=[Part(key, self.spec, state, changes)], note_needed=not issue["notes"])

    def write(self, draft: Draft) -> tuple[str, bool]:
        changes = draft.changes
        if not changes.empty:
            requests.put(f"{self.url}/issues/{draft.key.id}", timeout=5, json={
                "fields": changes.fields, "add_tags": changes.add_tags, "remove_tags": changes.remove_tags,
                "note": changes.note, "person_fields": changes.person_fields}).raise_for_status()
            self.shared.ledger.written(draft.key, changes, draft.card)
        return changes.reason, changes.note is not None

    def clear(self, key: JobKey, written: dict[str, str | None]) -> tuple[list[str], list[str]]:
        issue = requests.get(f"{self.url}/issues/{key.id}", timeout=5).json()
        blank: dict[str, dict] = {"fields": {}, "person_fields": {}}
        for wire, value in written.items():
            target = targets.parse(wire) if not wire.startswith("record.tags.") else None
            if target is not None and target.kind == targets.FIELDS:
                holder = issue["person"]["fields"] if target.on_person else issue["fields"]
                if same(holder.get(target.name), value):
                    blank["person_fields" if target.on_person else "fields"][target.name] = None
        requests.put(f"{self.url}/issues/{key.id}", json=blank, timeout=5).raise_for_status()
        cleared = [f"{key}/{scope}.{name}" for scope, names in blank.items() for name in names]
        return cleared, [f"{key}/{w}" for w in written if w == "note"]

    def check(self, echo) -> int:
        ok = requests.get(f"{self.url}/issues/0", timeout=5).status_code == 404
        echo(("ok   " if ok else "FAIL ") + "Fake CRM API: " + ("reachable" if ok else "unreachable"))
        return 0 if ok else 1

    def close(self) -> None:
        return None


class FakeProvider:
    name, title, settings, requires = NAME, "Fake CRM", FakeSettings, ("url",)
    note_wire, tags_wire = "note", "record.tags"

    def parse_target(self, text: str) -> targets.Target:
        found = targets.parse(text)
        return targets.Target(found.scope, found.kind, found.name, wire=text)

    def parse_key(self, key: JobKey) -> JobKey:
        if key.object == "issue" and key.id.isdigit():
            return key
        raise ValueError(f"not a record: {key} (fakecrm:issue:<number>)")

    def configured(self, settings: Any) -> bool:
        return bool(settings.fakecrm_url)

    def connect(self, shared: Any) -> FakeService:
        return FakeService(shared)

    def blueprint(self) -> Blueprint:
        return bp

    def commands(self) -> None:
        return None

    def start_sandbox(self, settings: Any) -> None:
        return None

    def demo(self, connected: Any, **_: Any) -> None:
        return None


PROVIDER = FakeProvider()
