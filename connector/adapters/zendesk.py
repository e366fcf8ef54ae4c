"""Zendesk Support: ticket + requester reads, agent reads for the sidebar, one-PUT write-back,
install calls, app public key.

Wire facts: ../shared/reference/zendesk.md. Writes go through zenpy with its cache off and a zero
rate-limit budget, so a 429 raises (with its Retry-After) instead of sleeping in a worker or a
request; reads with sideloads and the install calls go over the same authenticated session.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from zenpy import Zenpy
from zenpy.lib.api import BaseApi
from zenpy.lib.api_objects import Comment, Ticket, User
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, RecordNotFoundException, ZenpyException

from connector import errors
from connector.adapters.http import RetryPolicy, build_session, error_from_response, retry_after, send
from connector.adapters.ratelimit import Budget
from connector.adapters.zendesk_limits import per_record_refusal, spent_wait
from connector.config import Settings
from connector.metrics import observe_response
from connector.schemas.zendesk import FieldCatalog, FieldMeta

log = logging.getLogger(__name__)

SERVICE = "Zendesk"
TICKET_URL = "/api/v2/tickets/{id}.json"
USER_URL = "/api/v2/users/{id}.json"
ME_URL = "/api/v2/users/me.json"
GROUP_MEMBERSHIPS_URL = "/api/v2/users/{id}/group_memberships.json"
GROUP_PAGES_MAX = 10  # 1,000 groups: far beyond any agent; the rest is refused, never guessed
PUBLIC_KEY_URL = "/api/v2/apps/{app_id}/public_key.pem"
WEBHOOKS_URL = "/api/v2/webhooks"
WEBHOOK_PAGES_MAX = 20  # 2,000 webhooks; beyond that install refuses rather than risk a duplicate
WEBHOOK_URL = "/api/v2/webhooks/{id}"
SIGNING_SECRET_URL = "/api/v2/webhooks/{id}/signing_secret"
TRIGGERS_URL = "/api/v2/triggers.json"
TRIGGER_URL = "/api/v2/triggers/{id}.json"
TRIGGER_CATEGORIES_URL = "/api/v2/trigger_categories"
TICKET_FIELDS_URL = "/api/v2/ticket_fields.json"
USER_FIELDS_URL = "/api/v2/user_fields.json"
MAX_FIELD_PAGES = 10


@dataclass(frozen=True)
class Requester:
    id: int
    name: str | None
    email: str | None
    phone: str | None
    external_id: str | None
    user_fields: dict[str, Any] = field(default_factory=dict)
    organization_id: int | None = None


@dataclass(frozen=True)
class ZendeskTicket:
    id: int
    requester: Requester | None
    custom_fields: dict[str, Any]
    tags: frozenset[str]
    requester_id: int | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    organization_id: int | None = None


@dataclass(frozen=True)
class ZendeskAgent:
    """What decides which tickets a user may see (reference/zendesk.md §3.4 user keys)."""

    id: int
    role: str
    ticket_restriction: str | None
    role_type: int | None
    custom_role_id: int | None
    organization_id: int | None
    active: bool
    suspended: bool


class ZendeskClient:
    def __init__(self, settings: Settings, *, timeout: float = 10.0, budget: Budget | None = None) -> None:
        settings.require("zendesk_url", "zendesk_email", "zendesk_api_token")
        self._base = str(settings.zendesk_url).rstrip("/")
        self.policy = RetryPolicy(timeout=timeout, retries=1, max_wait=1.0)
        self._session = build_session(pool_size=32)
        self._last = threading.local()
        self._session.hooks["response"].append(self._remember)
        parts = urlsplit(self._base)
        subdomain, _, domain = (parts.netloc or "").partition(".")
        self._zenpy = Zenpy(subdomain=subdomain, domain=domain, email=settings.zendesk_email,
                            token=settings.zendesk_api_token, session=self._session, timeout=timeout,
                            ratelimit_budget=0, disable_cache=True)
        for api in vars(self._zenpy).values():  # plain http is allowed for local emulators only
            if isinstance(api, BaseApi):
                api.protocol = parts.scheme
        self._me: int | None = None
        self._blocked_until = 0.0  # shared by every thread: after a 429, nobody calls until it passes
        self._budget = budget
        self._credit = threading.local()  # calls reserved by the job running on this thread
        self._catalog: FieldCatalog | None = None
        self._catalog_lock = threading.Lock()

    # -- reads ---------------------------------------------------------------------------------

    def read_ticket(self, ticket_id: int) -> ZendeskTicket:
        """The ticket and its requester in one call (``include=users`` sideload)."""
        body = self._get(TICKET_URL.format(id=int(ticket_id)), params={"include": "users"})
        ticket = body.get("ticket") or {}
        users = {u.get("id"): u for u in body.get("users") or [] if isinstance(u, dict)}
        requester = users.get(ticket.get("requester_id"))
        return ZendeskTicket(
            id=int(ticket["id"]),
            requester=_requester(requester) if requester else None,
            custom_fields={str(f["id"]): f.get("value") for f in ticket.get("custom_fields") or [] if "id" in f},
            tags=frozenset(ticket.get("tags") or ()),
            requester_id=_id(ticket.get("requester_id")),
            assignee_id=_id(ticket.get("assignee_id")),
            group_id=_id(ticket.get("group_id")),
            organization_id=_id(ticket.get("organization_id")),
        )

    def read_user(self, user_id: int) -> Requester:
        return _requester(self._get(USER_URL.format(id=int(user_id))).get("user") or {})

    def read_agent(self, user_id: int) -> ZendeskAgent:
        """The role and ticket restriction of the agent behind a sidebar session."""
        user = self._get(USER_URL.format(id=int(user_id))).get("user") or {}
        return ZendeskAgent(
            id=int(user.get("id") or user_id), role=str(user.get("role") or "end-user"),
            ticket_restriction=user.get("ticket_restriction") or None, role_type=_whole(user.get("role_type")),
            custom_role_id=_id(user.get("custom_role_id")), organization_id=_id(user.get("organization_id")),
            active=user.get("active", True) is not False, suspended=bool(user.get("suspended")),
        )

    def group_ids(self, user_id: int) -> frozenset[int]:
        """The groups an agent belongs to: ``GET /users/{id}/group_memberships.json``, cursor pages."""
        found: set[int] = set()
        params: dict[str, str] = {"page[size]": "100"}
        for _ in range(GROUP_PAGES_MAX):
            body = self._get(GROUP_MEMBERSHIPS_URL.format(id=int(user_id)), params=dict(params))
            found.update(g for m in body.get("group_memberships") or [] if (g := _id(m.get("group_id"))) is not None)
            meta = body.get("meta") or {}
            if not meta.get("has_more") or not meta.get("after_cursor"):
                break
            params["page[after]"] = str(meta["after_cursor"])
        return frozenset(found)

    def me(self) -> int:
        """The integration user's id (its own updates must not trigger enrichment again)."""
        if self._me is None:
            self._me = int(self._get(ME_URL)["user"]["id"])
        return self._me

    def field_catalog(self, *, refresh: bool = False) -> FieldCatalog:
        """Ticket and user field metadata, read once per process (again when ``refresh``, after a 422)."""
        with self._catalog_lock:
            if self._catalog is None or refresh:
                ticket = {str(f["id"]): _meta(f) for f in self._pages(TICKET_FIELDS_URL, "ticket_fields")
                          if "id" in f and f.get("active", True)}
                user = {str(f["key"]): _meta(f) for f in self._pages(USER_FIELDS_URL, "user_fields")
                        if "key" in f and f.get("active", True)}
                self._catalog = FieldCatalog(ticket=ticket, user=user)
                log.info("zendesk.fields.loaded", extra={"ticket_fields": len(ticket), "user_fields": len(user)})
            return self._catalog

    def _pages(self, path: str, key: str) -> list[dict]:
        """An offset-paginated list, following ``next_page`` on the same account only."""
        items: list[dict] = []
        url: str | None = path
        for _ in range(MAX_FIELD_PAGES):
            body = self._get(url or path)
            items.extend(i for i in body.get(key) or [] if isinstance(i, dict))
            following = body.get("next_page")
            if not following or not str(following).startswith(self._base + "/"):
                break
            url = str(following)[len(self._base):]
        return items

    def public_key(self, app_id: str) -> str:
        response = self._send("GET", PUBLIC_KEY_URL.format(app_id=app_id), auth=False)
        return response.text

    # -- writes (zenpy) ---------------------------------------------------------------------------

    def update_ticket(self, ticket_id: int, *, custom_fields: dict[str, Any], add_tags: list[str],
                      note: str | None, remove_tags: list[str] | None = None) -> None:
        """One ``PUT /api/v2/tickets/{id}.json``: internal note, custom fields, added and removed tags."""
        ticket = Ticket(id=int(ticket_id))
        if custom_fields:
            ticket.custom_fields = [{"id": int(k), "value": v} for k, v in custom_fields.items()]
        if add_tags:
            ticket.additional_tags = list(add_tags)
        if remove_tags:
            ticket.remove_tags = list(remove_tags)
        if note:
            ticket.comment = Comment(body=note, public=False)
        self._zen(lambda: self._zenpy.tickets.update(ticket))

    def update_user(self, requester: Requester, user_fields: dict[str, Any]) -> None:
        """``PUT /api/v2/users/{id}.json`` with the changed user fields (zenpy always sends ``name``)."""
        user = User(id=requester.id, name=requester.name, user_fields=dict(user_fields))
        self._zen(lambda: self._zenpy.users.update(user))

    def clear_ticket(self, ticket_id: int, *, custom_fields: list[str], remove_tags: list[str]) -> None:
        """Privacy clean-up: blank custom fields and remove tags in one PUT."""
        ticket: dict[str, Any] = {}
        if custom_fields:
            ticket["custom_fields"] = [{"id": int(f), "value": None} for f in custom_fields]
        if remove_tags:
            ticket["remove_tags"] = list(remove_tags)
        if ticket:
            self._send("PUT", TICKET_URL.format(id=int(ticket_id)), json={"ticket": ticket})

    def clear_user_fields(self, user_id: int, keys: list[str]) -> None:
        if keys:
            self._send("PUT", USER_URL.format(id=int(user_id)),
                       json={"user": {"user_fields": dict.fromkeys(keys)}})

    # -- install helper calls ----------------------------------------------------------------------

    def list_webhooks(self) -> list[dict]:
        """Every webhook of the account, over cursor pages of 100 (§1.1): ``install`` must see a webhook
        on any page, or it would create a second one."""
        hooks: list[dict] = []
        params: dict[str, str] = {"page[size]": "100"}
        for _ in range(WEBHOOK_PAGES_MAX):
            body = self._get(WEBHOOKS_URL, params=dict(params))
            hooks.extend(body.get("webhooks") or [])
            meta = body.get("meta") or {}
            if not meta.get("has_more") or not meta.get("after_cursor"):
                return hooks
            params["page[after]"] = str(meta["after_cursor"])
        raise errors.UpstreamError(f"Zendesk lists more than {WEBHOOK_PAGES_MAX * 100} webhooks; "
                                   "refusing to guess whether the connector's is among them", service=SERVICE)

    def create_webhook(self, webhook: dict) -> dict:
        return self._json("POST", WEBHOOKS_URL, {"webhook": webhook})["webhook"]

    def update_webhook(self, webhook_id: str, webhook: dict) -> None:
        self._send("PUT", WEBHOOK_URL.format(id=webhook_id), json={"webhook": webhook})

    def signing_secret(self, webhook_id: str) -> str:
        return self._get(SIGNING_SECRET_URL.format(id=webhook_id))["signing_secret"]["secret"]

    def list_triggers(self) -> list[dict]:
        return self._get(TRIGGERS_URL).get("triggers") or []

    def create_trigger(self, trigger: dict) -> dict:
        return self._json("POST", TRIGGERS_URL, {"trigger": trigger})["trigger"]

    def list_trigger_categories(self) -> list[dict]:
        """Trigger categories; an account without the feature answers 403/404, which means none."""
        try:
            return self._get(TRIGGER_CATEGORIES_URL).get("trigger_categories") or []
        except errors.UpstreamError as exc:
            if exc.upstream_status in (403, 404):
                return []
            raise

    def update_trigger(self, trigger_id: int, trigger: dict) -> None:
        self._send("PUT", TRIGGER_URL.format(id=trigger_id), json={"trigger": trigger})

    # -- plumbing -----------------------------------------------------------------------------------

    def _get(self, path: str, params: dict | None = None) -> dict:
        return self._send("GET", path, params=params).json()

    def _json(self, method: str, path: str, body: dict) -> dict:
        return self._send(method, path, json=body).json()

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        self._check_gate()
        if not auth:
            kwargs["auth"] = None
        response = send(self._session, method, self._base + path, service=SERVICE, policy=self.policy, **kwargs)
        if response.status_code >= 400:
            raise zendesk_error(response)
        return response

    def reserve(self, calls: int) -> None:
        """Take a job's calls from the shared budget at once; its calls then draw on the reservation."""
        self._check_gate(units=calls)
        self._credit.calls = calls

    def _check_gate(self, units: int = 1) -> None:
        wait = self._blocked_until - time.monotonic()
        if wait > 0:
            raise errors.UpstreamRateLimited("Zendesk rate limit reached (waiting for the window to reset)",
                                             service=SERVICE, upstream_status=429, retry_after=wait)
        if self._budget is None:
            return
        credit = getattr(self._credit, "calls", 0)
        if units == 1 and credit > 0:
            self._credit.calls = credit - 1
            return
        self._budget.take(units)

    def _zen(self, call: Any) -> Any:
        """Run a zenpy call, translating its exceptions into the error tree."""
        self._check_gate()
        try:
            return call()
        except RatelimitBudgetExceeded:
            last = getattr(self._last, "response", None)
            wait = retry_after(last) if last is not None else None
            raise errors.UpstreamRateLimited("Zendesk rate limit reached", service=SERVICE, upstream_status=429,
                                             retry_after=wait if wait is not None else 10.0) from None
        except RecordNotFoundException:
            raise errors.UpstreamError("Zendesk has no such record", service=SERVICE, upstream_status=404,
                                       code="upstream_not_found") from None
        except APIException as exc:
            response = getattr(exc, "response", None)
            if response is None:
                raise errors.UpstreamError("Zendesk refused the request", service=SERVICE) from None
            raise zendesk_error(response) from None
        except requests.Timeout:
            raise errors.UpstreamUnavailable("Zendesk did not answer in time", service=SERVICE) from None
        except (requests.ConnectionError, requests.exceptions.RetryError):
            raise errors.UpstreamUnavailable("cannot reach Zendesk", service=SERVICE) from None
        except requests.HTTPError as exc:
            raise zendesk_error(exc.response) from None
        except ZenpyException as exc:
            raise errors.UpstreamError(f"Zendesk client error: {exc.__class__.__name__}", service=SERVICE) from None

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep the last response (zenpy hides its Retry-After) and close the gate on a spent budget."""
        self._last.response = response
        if response.request.method != "GET":  # reads go through send(), which counts them
            observe_response(SERVICE, response.status_code, response.elapsed.total_seconds())
        if response.status_code == 429:
            wait = None if per_record_refusal(response.headers) else retry_after(response) or 1.0
        else:
            wait = spent_wait(response.headers)
        if wait:
            self._blocked_until = max(self._blocked_until, time.monotonic() + wait)
            log.info("zendesk.rate_limit.wait", extra={"seconds": wait})


def zendesk_error(response: requests.Response) -> errors.UpstreamError:
    """The error tree's error, with Zendesk's ``description`` and each ``details`` entry (§4.1)."""
    error = error_from_response(response, service=SERVICE)
    try:
        body = response.json()
    except ValueError:
        return error
    if not isinstance(body, dict):
        return error
    parts = [str(body["description"])] if isinstance(body.get("description"), str) else []
    details: dict = body["details"] if isinstance(body.get("details"), dict) else {}
    parts += [str(d.get("description")) for entries in details.values() if isinstance(entries, list)
              for d in entries if isinstance(d, dict) and d.get("description")]
    if parts:
        error.message = f"{error.message}: {'; '.join(parts)}"[:500]
        error.args = (error.message,)
    return error


def _meta(item: dict) -> FieldMeta:
    options = tuple(str(o.get("value")) for o in item.get("custom_field_options") or []
                    if isinstance(o, dict) and o.get("value") is not None)
    return FieldMeta(type=str(item.get("type") or "text"), title=str(item.get("title") or ""), options=options,
                     regexp=item.get("regexp_for_validation"))


def _requester(user: dict) -> Requester:
    return Requester(
        id=int(user.get("id") or 0),
        name=user.get("name"),
        email=user.get("email") or None,
        phone=user.get("phone") or None,
        external_id=user.get("external_id") or None,
        user_fields=dict(user.get("user_fields") or {}),
        organization_id=_id(user.get("organization_id")),
    )


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _id(value: Any) -> int | None:
    """Zendesk ids are numbers in REST bodies and strings in event envelopes; anything else is absent."""
    try:
        return int(value) if value not in (None, "", 0, "0") else None
    except (TypeError, ValueError):
        return None
