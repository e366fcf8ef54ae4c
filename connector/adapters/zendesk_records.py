"""What the connector reads from Zendesk, parsed from REST bodies by pure functions (reference/zendesk.md §3)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.schemas.zendesk import FieldMeta


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


def ticket_from(body: dict) -> ZendeskTicket:
    """A ticket read with ``include=users``: the ticket and its requester from the sideload."""
    ticket = body.get("ticket") or {}
    users = {u.get("id"): u for u in body.get("users") or [] if isinstance(u, dict)}
    requester = users.get(ticket.get("requester_id"))
    return ZendeskTicket(
        id=int(ticket["id"]),
        requester=requester_from(requester) if requester else None,
        custom_fields={str(f["id"]): f.get("value") for f in ticket.get("custom_fields") or [] if "id" in f},
        tags=frozenset(ticket.get("tags") or ()),
        requester_id=zendesk_id(ticket.get("requester_id")),
        assignee_id=zendesk_id(ticket.get("assignee_id")),
        group_id=zendesk_id(ticket.get("group_id")),
        organization_id=zendesk_id(ticket.get("organization_id")),
    )


def agent_from(user: dict, *, user_id: int) -> ZendeskAgent:
    """The access keys of a user body; ``user_id`` stands in for a body without an id."""
    return ZendeskAgent(
        id=int(user.get("id") or user_id), role=str(user.get("role") or "end-user"),
        ticket_restriction=user.get("ticket_restriction") or None, role_type=_whole(user.get("role_type")),
        custom_role_id=zendesk_id(user.get("custom_role_id")), organization_id=zendesk_id(user.get("organization_id")),
        active=user.get("active", True) is not False, suspended=bool(user.get("suspended")),
    )


def requester_from(user: dict) -> Requester:
    return Requester(
        id=int(user.get("id") or 0),
        name=user.get("name"),
        email=user.get("email") or None,
        phone=user.get("phone") or None,
        external_id=user.get("external_id") or None,
        user_fields=dict(user.get("user_fields") or {}),
        organization_id=zendesk_id(user.get("organization_id")),
    )


def field_meta_from(item: dict) -> FieldMeta:
    """A ticket or user field definition: its type, title, tagger options and validation pattern."""
    options = tuple(str(o.get("value")) for o in item.get("custom_field_options") or []
                    if isinstance(o, dict) and o.get("value") is not None)
    return FieldMeta(type=str(item.get("type") or "text"), title=str(item.get("title") or ""), options=options,
                     regexp=item.get("regexp_for_validation"))


def zendesk_id(value: Any) -> int | None:
    """Zendesk ids are numbers in REST bodies and strings in event envelopes; anything else is absent."""
    try:
        return int(value) if value not in (None, "", 0, "0") else None
    except (TypeError, ValueError):
        return None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
