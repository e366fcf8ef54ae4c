"""The Zendesk emulator's world: the account's users, tickets, fields, webhooks and triggers, its
per-minute request budget, and the key that signs the sidebar app's JWT.

Seed data: 200 customers, each with one ticket; the agents and groups come from ``agents``.
"""
from __future__ import annotations

import copy
import itertools
import threading
import time
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connector.sandbox import seed
from connector.sandbox.faults import Faults
from connector.sandbox.zendesk import agents, ratelimit
from connector.sandbox.zendesk.hooks import Invocation

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
    rate_limit_headers: tuple[str, ...] = ratelimit.DEFAULT_FAMILIES  # which header families to send
    ticket_update_limit: int | None = ratelimit.TICKET_UPDATES_PER_WINDOW  # per ticket; None: unenforced
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
            self.update_log = ratelimit.TicketUpdateLog(self.ticket_update_limit)
            self._ids = itertools.count(1_000_000)
            self._window, self._count = int(time.time() // self.rate_window_s), 0
            self.rate_limited = 0
            for index in range(1, TICKETS + 1):
                user = _customer_user(index)
                self.users[user["id"]] = user
                self._add_ticket(index, user["id"], user["id"])
            agents.seed(self, _user)

    def _add_ticket(self, ticket_id: int, requester_id: int, submitter_id: int, subject: str | None = None) -> dict:
        ticket = {"id": ticket_id, "subject": subject or f"Question about order {ticket_id}",
                  "requester_id": requester_id, "submitter_id": submitter_id, "status": "new", "tags": ["web"],
                  "custom_fields": [{"id": f["id"], "value": None} for f in TICKET_FIELDS],
                  "created_at": "2026-11-20T12:00:00Z", "updated_at": "2026-11-20T12:00:00Z",
                  "via": {"channel": "web"}, **agents.ticket_access(ticket_id)}
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
