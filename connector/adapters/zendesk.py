"""Zendesk Support: ticket + requester reads, agent reads for the sidebar, one-PUT write-back,
install calls, app public key.

Wire facts: ../shared/reference/zendesk.md. Writes go through zenpy with its cache off and a zero
rate-limit budget, so a 429 raises (with its Retry-After) instead of sleeping in a worker or a
request; reads with sideloads and the install calls go over the same authenticated session
(``zendesk_transport``). Install calls are in ``zendesk_install``, the parsed records in ``zendesk_records``.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from zenpy.lib.api_objects import Comment, Ticket, User

from connector.adapters.ratelimit import Budget
from connector.adapters.zendesk_install import WEBHOOK_PAGES_MAX, ZendeskInstallCalls
from connector.adapters.zendesk_records import (
    Requester,
    ZendeskAgent,
    ZendeskTicket,
    agent_from,
    field_meta_from,
    requester_from,
    ticket_from,
    zendesk_id,
)
from connector.adapters.zendesk_transport import SERVICE, zendesk_error
from connector.config import Settings
from connector.schemas.zendesk import FieldCatalog

__all__ = ["SERVICE", "WEBHOOK_PAGES_MAX", "Requester", "ZendeskAgent", "ZendeskClient", "ZendeskTicket",
           "zendesk_error"]

log = logging.getLogger(__name__)

TICKET_URL = "/api/v2/tickets/{id}.json"
USER_URL = "/api/v2/users/{id}.json"
ME_URL = "/api/v2/users/me.json"
GROUP_MEMBERSHIPS_URL = "/api/v2/users/{id}/group_memberships.json"
GROUP_PAGES_MAX = 10  # 1,000 groups: far beyond any agent; the rest is refused, never guessed
PUBLIC_KEY_URL = "/api/v2/apps/{app_id}/public_key.pem"
TICKET_FIELDS_URL = "/api/v2/ticket_fields.json"
USER_FIELDS_URL = "/api/v2/user_fields.json"
MAX_FIELD_PAGES = 10


class ZendeskClient(ZendeskInstallCalls):
    def __init__(self, settings: Settings, *, timeout: float = 10.0, budget: Budget | None = None) -> None:
        super().__init__(settings, timeout=timeout, budget=budget)
        self._me: int | None = None
        self._catalog: FieldCatalog | None = None
        self._catalog_lock = threading.Lock()

    # -- reads ---------------------------------------------------------------------------------

    def read_ticket(self, ticket_id: int) -> ZendeskTicket:
        """The ticket and its requester in one call (``include=users`` sideload)."""
        return ticket_from(self._get(TICKET_URL.format(id=int(ticket_id)), params={"include": "users"}))

    def read_user(self, user_id: int) -> Requester:
        return requester_from(self._get(USER_URL.format(id=int(user_id))).get("user") or {})

    def read_agent(self, user_id: int) -> ZendeskAgent:
        """The role and ticket restriction of the agent behind a sidebar session."""
        return agent_from(self._get(USER_URL.format(id=int(user_id))).get("user") or {}, user_id=user_id)

    def group_ids(self, user_id: int) -> frozenset[int]:
        """The groups an agent belongs to: ``GET /users/{id}/group_memberships.json``, cursor pages."""
        found: set[int] = set()
        params: dict[str, str] = {"page[size]": "100"}
        for _ in range(GROUP_PAGES_MAX):
            body = self._get(GROUP_MEMBERSHIPS_URL.format(id=int(user_id)), params=dict(params))
            found.update(g for m in body.get("group_memberships") or []
                         if (g := zendesk_id(m.get("group_id"))) is not None)
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
                ticket = {str(f["id"]): field_meta_from(f) for f in self._pages(TICKET_FIELDS_URL, "ticket_fields")
                          if "id" in f and f.get("active", True)}
                user = {str(f["key"]): field_meta_from(f) for f in self._pages(USER_FIELDS_URL, "user_fields")
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
