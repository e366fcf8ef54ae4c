"""Zendesk Support emulator: the endpoints zenpy and the connector call, webhooks and triggers
that fire signed deliveries on ticket creation, per-minute rate limits, and the ZAF app key.

Wire facts: ../shared/reference/zendesk.md (§3.3/§3.4 shapes, §4 errors and limits, §8 checklist).
"""
from __future__ import annotations

import base64
import copy
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from connector.sandbox import seed, zendesk_agents, zendesk_lookups, zendesk_paging, zendesk_ratelimit
from connector.sandbox.faults import Faults
from connector.sandbox.server import RunningEmulator
from connector.sandbox.zendesk_fields import (
    accepted_user_fields,
    invalid_custom_fields,
    record_invalid,
    trigger_problems,
)
from connector.sandbox.zendesk_hooks import Invocation, auth_header, deliver, event_body, render, shown

ACCOUNT_ID = 123456
SUBDOMAIN = "acme"
AGENT_EMAIL = "connector@acme.example"
API_TOKEN = "sandbox-zendesk-token"
OAUTH_TOKEN = "sandbox-zendesk-oauth-token"  # Bearer takes OAuth access tokens only, never API tokens (§3.1)
INTEGRATION_USER_ID = 1
APP_ID = "1000"
INSTALLATION_ID = 2000
TICKETS = 200
TICKET_FIELDS = [
    {"id": 360001, "type": "decimal", "title": "AEP lifetime value"},
    {"id": 360002, "type": "tagger", "title": "AEP churn risk",
     "custom_field_options": [{"name": n.title(), "value": n} for n in ("high", "medium", "low")]},
    {"id": 360003, "type": "text", "title": "AEP loyalty tier"},
]
PLAN_LIMITS = {"team": 200, "growth": 400, "professional": 400, "enterprise": 700, "enterprise_plus": 2500}
BULK_MAX = 100
USER_FIELDS = [{"id": 7001, "key": "aep_loyalty_tier", "type": "text", "title": "AEP loyalty tier"},
               {"id": 7002, "key": "aep_lifetime_value", "type": "decimal", "title": "AEP lifetime value"}]
TRIGGER_CATEGORIES = [{"id": "10001", "name": "Notifications", "position": 0,
                       "created_at": "2026-11-20T12:00:00Z", "updated_at": "2026-11-20T12:00:00Z"}]


@dataclass
class ZendeskWorld:
    rate_limit: int = 700  # requests per window (Enterprise: 700 a minute)
    rate_window_s: int = 60  # benchmarks shrink the window (with the limit) to measure a rate sooner
    faults: Faults = field(default_factory=Faults)
    requests: list = field(default_factory=list)
    invocations: list[Invocation] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    sync_delivery: bool = False
    app_url: str | None = None  # where the installed sidebar app points (the connector's /zendesk/sidebar)
    rate_limit_headers: tuple[str, ...] = zendesk_ratelimit.DEFAULT_FAMILIES  # which header families to send
    ticket_update_limit: int | None = zendesk_ratelimit.TICKET_UPDATES_PER_WINDOW  # per ticket; None: unenforced
    trigger_category_required: bool = True  # §1.3 / open question 11: accounts with categories require one

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.reset_data()

    def reset_data(self) -> None:
        with self.lock:
            self.users = {INTEGRATION_USER_ID: _user(INTEGRATION_USER_ID, "AEP connector", AGENT_EMAIL, role="admin")}
            self.tickets: dict[int, dict] = {}
            self.comments: dict[int, list[dict]] = {}
            self.webhooks: dict[str, dict] = {}
            self.secrets: dict[str, str] = {}
            self.triggers: dict[int, dict] = {}
            self.ticket_updates: dict[int, list] = {}
            self.job_statuses: dict[str, dict] = {}
            self.ticket_fields = copy.deepcopy(TICKET_FIELDS)  # tests may change options or types
            self.user_fields = copy.deepcopy(USER_FIELDS)
            self.trigger_categories = {c["id"]: dict(c) for c in TRIGGER_CATEGORIES}
            self.update_log = zendesk_ratelimit.TicketUpdateLog(self.ticket_update_limit)
            self._ids = itertools.count(1_000_000)
            self._window, self._count = int(time.time() // self.rate_window_s), 0
            self.rate_limited = 0
            for index in range(1, TICKETS + 1):
                user = _customer_user(index)
                self.users[user["id"]] = user
                self._add_ticket(index, user["id"], user["id"])
            zendesk_agents.seed(self, _user)

    def _add_ticket(self, ticket_id: int, requester_id: int, submitter_id: int, subject: str | None = None) -> dict:
        ticket = {"id": ticket_id, "subject": subject or f"Question about order {ticket_id}",
                  "requester_id": requester_id, "submitter_id": submitter_id, "status": "new", "tags": ["web"],
                  "custom_fields": [{"id": f["id"], "value": None} for f in TICKET_FIELDS],
                  "created_at": "2026-11-20T12:00:00Z", "updated_at": "2026-11-20T12:00:00Z",
                  "via": {"channel": "web"}, **zendesk_agents.ticket_access(ticket_id)}
        self.tickets[ticket_id] = ticket
        self.comments[ticket_id] = [{"id": next(self._ids), "body": ticket["subject"], "public": True,
                                     "author_id": requester_id}]
        return ticket

    def use_plan(self, plan: str) -> None:
        """Support API requests per minute of a Zendesk Suite plan (reference/zendesk.md §4.2)."""
        self.rate_limit, self.rate_window_s = PLAN_LIMITS[plan], 60

    def new_id(self) -> int:
        return next(self._ids)

    def notes(self, ticket_id: int) -> list[dict]:
        return [c for c in self.comments.get(ticket_id, []) if not c["public"]]

    def calls(self, path: str = "", method: str | None = None) -> list[tuple[str, str, dict | None]]:
        with self.lock:
            return [r for r in self.requests if r[1].startswith(path) and (method is None or r[0] == method)]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.invocations.clear()

    def take_budget(self) -> int | None:
        """Count one request against the per-minute limit; the seconds to wait when it is spent."""
        with self.lock:
            window = int(time.time() // self.rate_window_s)
            if window != self._window:
                self._window, self._count = window, 0
            if self._count >= self.rate_limit:
                self.rate_limited += 1
                return max(1, self.rate_window_s - int(time.time() % self.rate_window_s))
            self._count += 1
            return None

    def remaining(self) -> int:
        with self.lock:
            return max(0, self.rate_limit - self._count)

    def sidebar_token(self, *, location: str = "ticket_sidebar", agent_id: int = 5, ttl: int = 300,
                      base_url: str = f"https://{SUBDOMAIN}.zendesk.com", **overrides: object) -> str:
        """A signed-URL JWT as Zendesk mints it for the app iframe (§2.5)."""
        now = int(time.time())
        claims = {"iss": base_url.split("//", 1)[1],
                  "aud": f"{base_url}/api/v2/apps/installations/{INSTALLATION_ID}.json",
                  "sub": f"{base_url}/api/v2/users/{agent_id}.json", "iat": now, "nbf": now, "exp": now + ttl,
                  "context": {"product": "support", "location": location},
                  "cnf": {"jku": f"{base_url}/api/v2/apps/{APP_ID}/public_key.pem"}}
        claims.update(overrides)
        return jwt.encode(claims, self._key, algorithm="RS256")


def _user(user_id: int, name: str, email: str | None, **extra: object) -> dict:
    return {"id": user_id, "name": name, "email": email, "phone": None, "external_id": None, "role": "end-user",
            "tags": [], "user_fields": {f["key"]: None for f in USER_FIELDS}, "verified": True, **extra}


def _customer_user(index: int) -> dict:
    c = seed.customer(index)
    user = _user(1000 + index, f"{c.first} {c.last}", c.crm_email.strip())
    user["phone"] = c.crm_phone if index % 5 else None
    user["external_id"] = c.crm_id if index % 3 else None
    return user


def create_app(world: ZendeskWorld) -> Flask:  # noqa: C901 - one route table, kept together on purpose
    app = Flask("zendesk-sandbox")
    session = requests.Session()
    zendesk_agents.register(app, world)

    @app.before_request
    def gate():
        if request.path.startswith("/__sandbox"):
            return None
        with world.lock:
            world.requests.append((request.method, request.path, request.get_json(silent=True)))
        world.faults.delay()
        failure = world.faults.pick(request.path, request.method)
        if failure and failure.status >= 400:
            response = jsonify(failure.body or {"error": "InjectedFault", "description": "Injected fault"})
            response.status_code = failure.status
            if failure.retry_after is not None:
                response.headers["Retry-After"] = f"{failure.retry_after:g}"
            return response
        if request.path.endswith("/public_key.pem"):
            return None
        if not _authorized():
            return jsonify(error="Couldn't authenticate you"), 401
        wait = world.take_budget()
        if wait is not None:
            return zendesk_ratelimit.too_many(wait)
        return None

    @app.after_request
    def limit_headers(response: Response) -> Response:
        if request.path.startswith("/api/"):
            remaining = str(world.remaining())
            reset = str(world.rate_window_s - int(time.time() % world.rate_window_s))
            response.headers.update(zendesk_ratelimit.headers(
                families=world.rate_limit_headers, limit=world.rate_limit, remaining=int(remaining),
                reset_s=int(reset), method=request.method, path=request.path, updates=world.update_log))
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Zendesk answers JSON everywhere, unknown paths and methods included (§4.1) [unverified: the code]
        if exc.code in (404, 405):
            return jsonify(error="InvalidEndpoint", description="Not found"), 404
        return jsonify(error=exc.name.replace(" ", ""), description=exc.description), exc.code or 500

    def _authorized() -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                user, _, token = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return user == f"{AGENT_EMAIL}/token" and token == API_TOKEN
        return header == f"Bearer {OAUTH_TOKEN}"

    def not_found():
        return jsonify(error="RecordNotFound", description="Not found"), 404

    @app.get("/api/v2/users/me.json")
    def me():
        return jsonify(user=world.users[INTEGRATION_USER_ID])

    @app.get("/api/v2/tickets/<int:ticket_id>.json")
    def ticket_get(ticket_id: int):
        ticket = world.tickets.get(ticket_id)
        if ticket is None:
            return not_found()
        body: dict = {"ticket": ticket}
        if "users" in request.args.get("include", "").split(","):
            ids = {ticket["requester_id"], ticket["submitter_id"]}
            body["users"] = [world.users[i] for i in ids if i in world.users]
        return jsonify(body)

    @app.put("/api/v2/tickets/<int:ticket_id>.json")
    def ticket_put(ticket_id: int):
        changes = (request.get_json(silent=True) or {}).get("ticket")
        if not isinstance(changes, dict):
            return jsonify(error="InvalidValue", description="ticket is required"), 400
        with world.lock:
            ticket = world.tickets.get(ticket_id)
            if ticket is None:
                return not_found()
            details = invalid_custom_fields(changes.get("custom_fields") or [], world.ticket_fields)
            if details:
                return jsonify(record_invalid(details)), 422
            world.update_log.limit = world.ticket_update_limit
            wait = world.update_log.take(ticket_id)
            if wait is not None:
                return zendesk_ratelimit.too_many(wait)
            events = _apply_ticket(world, ticket, changes)
            world.ticket_updates.setdefault(ticket_id, []).append(changes)
        audit = {"id": world.new_id(), "ticket_id": ticket_id, "created_at": ticket["updated_at"],
                 "author_id": INTEGRATION_USER_ID, "via": {"channel": "api"},
                 "metadata": {"system": {"client": request.headers.get("User-Agent", "")}, "custom": {}},
                 "events": events}
        return jsonify(ticket=ticket, audit=audit)

    @app.post("/api/v2/tickets.json")
    def ticket_create():
        body = (request.get_json(silent=True) or {}).get("ticket") or {}
        requester_id = body.get("requester_id")
        if requester_id not in world.users:
            details = {"requester": [{"description": "Requester: is invalid", "error": "InvalidValue"}]}
            return jsonify(error="RecordInvalid", description="Record validation errors", details=details), 422
        ticket = create_ticket(world, session, int(requester_id), actor_id=INTEGRATION_USER_ID,
                               subject=body.get("subject"))
        response = jsonify(ticket=ticket)
        response.status_code = 201
        response.headers["Location"] = f"{request.host_url}api/v2/tickets/{ticket['id']}.json"
        return response

    @app.put("/api/v2/tickets/update_many.json")
    def tickets_update_many():
        body = request.get_json(silent=True) or {}
        items = body.get("tickets")
        if request.args.get("ids") and isinstance(body.get("ticket"), dict):  # the same change for every id (§4.3)
            items = [{**body["ticket"], "id": int(i)} for i in request.args["ids"].split(",") if i.strip().isdigit()]
        if not isinstance(items, list):
            return jsonify(error="InvalidValue", description="tickets is required"), 400
        if len(items) > BULK_MAX:
            return jsonify(error="TooManyValues", description=f"Parameter  cannot specify more than {BULK_MAX} values",
                           max_count=BULK_MAX), 400
        results = []
        with world.lock:
            for index, changes in enumerate(items):
                ticket = world.tickets.get(changes.get("id"))
                if ticket is None:
                    results.append({"index": index, "id": changes.get("id"), "error": "TicketNotFound",
                                    "status": "Failed"})
                    continue
                details = invalid_custom_fields(changes.get("custom_fields") or [], world.ticket_fields)
                if details:
                    results.append({"index": index, "id": ticket["id"], "error": "RecordInvalid", "status": "Failed",
                                    "details": details["base"][0]["description"]})
                    continue
                _apply_ticket(world, ticket, changes)
                world.ticket_updates.setdefault(ticket["id"], []).append(changes)
                results.append({"index": index, "id": ticket["id"], "action": "updated", "status": "Updated"})
            job_id = f"V3-{secrets.token_hex(12)}"
            world.job_statuses[job_id] = {"id": job_id, "url": f"{request.host_url}api/v2/job_statuses/{job_id}.json",
                                          "total": len(items), "progress": len(items), "status": "completed",
                                          "message": "Completed at " + time.strftime("%Y-%m-%d %H:%M:%S +0000"),
                                          "results": results}
        queued = {**world.job_statuses[job_id], "status": "queued", "progress": None, "results": None,
                  "message": None}
        return jsonify(job_status=queued)

    @app.get("/api/v2/job_statuses/<job_id>.json")
    def job_status(job_id: str):
        status = world.job_statuses.get(job_id)
        return jsonify(job_status=status) if status else not_found()

    @app.get("/api/v2/tickets/<int:ticket_id>/comments.json")
    def comments(ticket_id: int):
        if ticket_id not in world.tickets:
            return not_found()
        return jsonify(comments=world.comments[ticket_id], next_page=None, previous_page=None,
                       count=len(world.comments[ticket_id]))

    @app.put("/api/v2/tickets/<int:ticket_id>/tags.json")
    def add_tags(ticket_id: int):
        with world.lock:
            ticket = world.tickets.get(ticket_id)
            if ticket is None:
                return not_found()
            for tag in (request.get_json(silent=True) or {}).get("tags") or []:
                if tag not in ticket["tags"]:
                    ticket["tags"].append(tag)
            return jsonify(tags=ticket["tags"])

    @app.get("/api/v2/users/<int:user_id>.json")
    def user_get(user_id: int):
        user = world.users.get(user_id)
        return jsonify(user=user) if user else not_found()

    @app.put("/api/v2/users/<int:user_id>.json")
    def user_put(user_id: int):
        changes = (request.get_json(silent=True) or {}).get("user") or {}
        with world.lock:
            user = world.users.get(user_id)
            if user is None:
                return not_found()
            values: dict = changes["user_fields"] if isinstance(changes.get("user_fields"), dict) else {}
            kept, details = accepted_user_fields(values, world.user_fields)
            if details:
                return jsonify(record_invalid(details)), 422
            for key, value in changes.items():
                if key == "user_fields" and isinstance(value, dict):
                    user["user_fields"].update(kept)  # only the listed, known keys change (§4.4)
                elif key not in ("id", "url", "created_at"):
                    user[key] = value
            return jsonify(user=user)

    @app.get("/api/v2/ticket_fields.json")
    def ticket_fields():
        fields = world.ticket_fields
        return jsonify(ticket_fields=fields, next_page=None, previous_page=None, count=len(fields))

    @app.get("/api/v2/user_fields.json")
    def user_fields():
        fields = world.user_fields
        return jsonify(user_fields=fields, next_page=None, previous_page=None, count=len(fields))

    @app.get("/api/v2/webhooks")
    def webhooks_list():
        try:  # creation order, cursor pages (§1.1)
            hooks = [shown(h) for h in world.webhooks.values()]
            return jsonify(zendesk_paging.cursor_page(hooks, "webhooks"))
        except zendesk_paging.BadCursor:
            return jsonify(zendesk_paging.bad_cursor_body()), 400

    @app.post("/api/v2/webhooks")
    def webhooks_create():
        body = (request.get_json(silent=True) or {}).get("webhook") or {}
        missing = [k for k in ("name", "endpoint", "http_method", "request_format", "status") if not body.get(k)]
        if missing:
            return jsonify(errors=[{"code": "InvalidInput", "title": f"{k} is required"} for k in missing]), 400
        webhook_id = "01" + secrets.token_hex(12).upper()
        hook = {**body, "id": webhook_id, "created_at": "2026-11-20T12:00:00Z", "created_by": str(INTEGRATION_USER_ID)}
        hook.pop("signing_secret", None)
        with world.lock:
            world.webhooks[webhook_id] = hook
            world.secrets[webhook_id] = secrets.token_urlsafe(32)
        return jsonify(webhook=shown(hook)), 201

    @app.route("/api/v2/webhooks/<webhook_id>", methods=["GET", "PUT", "PATCH", "DELETE"])
    def webhook_one(webhook_id: str):
        hook = world.webhooks.get(webhook_id)
        if hook is None:
            return jsonify(errors=[{"code": "WebhookNotFound", "title": "Webhook not found"}]), 404
        if request.method == "GET":
            return jsonify(webhook=shown(hook))
        if request.method == "DELETE":
            world.webhooks.pop(webhook_id)
            return Response(status=204)
        hook.update({k: v for k, v in ((request.get_json(silent=True) or {}).get("webhook") or {}).items()
                     if k not in ("id", "signing_secret")})
        return Response(status=204)

    @app.route("/api/v2/webhooks/<webhook_id>/signing_secret", methods=["GET", "POST"])
    def signing_secret(webhook_id: str):
        if webhook_id not in world.webhooks:
            return jsonify(errors=[{"code": "WebhookNotFound", "title": "Webhook not found"}]), 404
        if request.method == "POST":
            world.secrets[webhook_id] = secrets.token_urlsafe(32)
        return jsonify(signing_secret={"algorithm": "SHA256", "secret": world.secrets[webhook_id]})

    @app.get("/api/v2/triggers.json")
    def triggers_list():
        items = list(world.triggers.values())
        return jsonify(triggers=items, next_page=None, previous_page=None, count=len(items))

    @app.post("/api/v2/triggers.json")
    def triggers_create():
        body = (request.get_json(silent=True) or {}).get("trigger") or {}
        details = trigger_problems(world, body)
        if details:
            return jsonify(record_invalid(details)), 422
        trigger = {**body, "id": world.new_id(), "active": body.get("active", True)}
        world.triggers[trigger["id"]] = trigger
        return jsonify(trigger=trigger), 201

    @app.put("/api/v2/triggers/<int:trigger_id>.json")
    def triggers_update(trigger_id: int):
        trigger = world.triggers.get(trigger_id)
        if trigger is None:
            return not_found()
        trigger.update((request.get_json(silent=True) or {}).get("trigger") or {})
        return jsonify(trigger=trigger)

    @app.get("/api/v2/apps/<app_id>/public_key.pem")
    def public_key(app_id: str):
        if app_id != APP_ID:
            return not_found()
        return Response(world.public_pem, mimetype="application/x-pem-file")

    @app.get("/__sandbox/agent/tickets/<int:ticket_id>")
    def agent_view(ticket_id: int):
        """What an agent sees: the ticket with the app in a narrow sidebar, loaded by signed URL."""
        ticket = world.tickets.get(ticket_id)
        if ticket is None or not world.app_url:
            return not_found()
        token = world.sidebar_token(base_url=request.host_url.rstrip("/"))
        query = f"origin={request.host_url.rstrip('/')}&app_guid=sandbox-app&ticket_id={ticket_id}"
        requester = world.users.get(ticket["requester_id"], {})
        page = _AGENT_PAGE.format(subject=escape(ticket["subject"]), requester=escape(requester.get("name", "")),
                                  action=escape(f"{world.app_url}?{query}"), token=escape(token))
        return Response(page, mimetype="text/html")

    @app.post("/__sandbox/tickets")
    def sandbox_create_ticket():
        body = request.get_json(silent=True) or {}
        ticket = create_ticket(world, session, int(body["requester_id"]), actor_id=int(body["requester_id"]),
                               subject=body.get("subject"))
        return jsonify(ticket=ticket), 201

    zendesk_lookups.register(app, world)
    return app



_AGENT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ticket: {subject}</title></head>
<body style="margin:0;font:14px system-ui;display:flex;min-height:100vh">
<main style="flex:1;padding:16px"><h1 style="font-size:18px">{subject}</h1><p>Requester: {requester}</p></main>
<aside style="width:320px;border-left:1px solid #ddd"><iframe name="app" title="AEP Customer Profile"
 style="width:320px;height:100vh;border:0"></iframe></aside>
<form id="signed" method="post" action="{action}" target="app"><input type="hidden" name="token" value="{token}"></form>
<script>document.getElementById("signed").submit();</script></body></html>"""


def _apply_ticket(world: ZendeskWorld, ticket: dict, changes: dict) -> list[dict]:
    """Apply an update as Zendesk does: comment appended, custom fields merged by id, tags (§8)."""
    events = []
    comment = changes.get("comment")
    if isinstance(comment, dict) and (comment.get("body") or comment.get("html_body")):
        entry = {"id": world.new_id(), "body": comment.get("body") or comment.get("html_body"),
                 "public": bool(comment.get("public", True)), "author_id": INTEGRATION_USER_ID}
        world.comments[ticket["id"]].append(entry)
        events.append({"id": entry["id"], "type": "Comment", "public": entry["public"], "body": entry["body"]})
    by_id = {f["id"]: f for f in ticket["custom_fields"]}
    for defined in world.ticket_fields:  # a field added after the ticket was created
        if defined["id"] not in by_id:
            by_id[defined["id"]] = {"id": defined["id"], "value": None}
            ticket["custom_fields"].append(by_id[defined["id"]])
    for item in changes.get("custom_fields") or []:
        if item.get("id") in by_id:
            previous = by_id[item["id"]]["value"]
            by_id[item["id"]]["value"] = item.get("value")
            events.append({"id": world.new_id(), "type": "Change", "field_name": str(item["id"]),
                           "value": item.get("value"), "previous_value": previous})
    if "tags" in changes:
        ticket["tags"] = list(dict.fromkeys(changes["tags"]))
    for tag in changes.get("additional_tags") or []:
        if tag not in ticket["tags"]:
            ticket["tags"].append(tag)
    for tag in changes.get("remove_tags") or []:
        if tag in ticket["tags"]:
            ticket["tags"].remove(tag)
    for key in ("status", "subject", "priority"):
        if key in changes:
            ticket[key] = changes[key]
    ticket["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return events


def create_ticket(world: ZendeskWorld, session: requests.Session, requester_id: int, *, actor_id: int,
                  subject: str | None = None) -> dict:
    """Create a ticket and fire what Zendesk would fire for it (triggers and event subscriptions)."""
    with world.lock:
        ticket_id = max(world.tickets) + 1
        ticket = world._add_ticket(ticket_id, requester_id, actor_id, subject)
    fire(world, session, ticket, actor_id=actor_id)
    return ticket


def fire(world: ZendeskWorld, session: requests.Session, ticket: dict, *, actor_id: int) -> None:
    requester = world.users.get(ticket["requester_id"]) or {}
    values = {"ticket.id": ticket["id"], "ticket.title": ticket["subject"], "ticket.requester.id": requester.get("id"),
              "ticket.requester.email": requester.get("email"), "ticket.requester.phone": requester.get("phone"),
              "ticket.requester.external_id": requester.get("external_id"),
              "ticket.requester.name": requester.get("name"), "current_user.id": actor_id}
    jobs = []
    for trigger in list(world.triggers.values()):
        conditions = (trigger.get("conditions") or {}).get("all") or []
        if not trigger.get("active", True) or not any(
                c.get("field") == "update_type" and c.get("value") == "Create" for c in conditions):
            continue
        for action in trigger.get("actions") or []:
            if action.get("field") == "notification_webhook":
                webhook_id, template = action["value"][0], action["value"][1]
                jobs.append((webhook_id, render(template, values).encode()))
    for hook in list(world.webhooks.values()):
        if "zen:event-type:ticket.created" in (hook.get("subscriptions") or []):
            event_id = secrets.token_hex(16)
            jobs.append((hook["id"], event_body("zen:event-type:ticket.created", ACCOUNT_ID, ticket, event_id)))
    for webhook_id, body in jobs:
        target = world.webhooks.get(webhook_id)
        if target and target.get("status") == "active":
            _send(world, session, target, body)


def _send(world: ZendeskWorld, session: requests.Session, hook: dict, body: bytes) -> None:
    header = auth_header(hook)
    header.update(hook.get("custom_headers") or {})

    def run() -> None:
        invocation = deliver(endpoint=hook["endpoint"], secret=world.secrets[hook["id"]], webhook_id=hook["id"],
                             invocation_id=str(world.new_id()), account_id=ACCOUNT_ID, body=body,
                             auth_header=header, session=session)
        with world.lock:
            world.invocations.append(invocation)

    if world.sync_delivery:
        run()
    else:
        threading.Thread(target=run, name="zendesk-webhook", daemon=True).start()


class ZendeskSandbox(RunningEmulator):
    """The Zendesk emulator as a running server, with its world exposed for tests and the demo."""

    def __init__(self, *, port: int = 0) -> None:
        self.world = ZendeskWorld()
        self._session = requests.Session()
        self._serve(create_app(self.world), port=port)

    def create_ticket(self, requester_id: int, *, subject: str | None = None) -> dict:
        """An end user opens a ticket: triggers and event subscriptions fire as in Zendesk."""
        return create_ticket(self.world, self._session, requester_id, actor_id=requester_id, subject=subject)

    def sidebar_token(self, **kwargs: Any) -> str:
        return self.world.sidebar_token(base_url=self.url, **kwargs)

    def settings_overrides(self) -> dict:
        return {"zendesk_url": self.url, "zendesk_email": AGENT_EMAIL, "zendesk_api_token": API_TOKEN,
                "zendesk_app_public_key": self.world.public_pem}
