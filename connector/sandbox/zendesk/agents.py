"""The Zendesk emulator's agents: roles, ticket restrictions, custom roles, groups and group
memberships, and which group and assignee each seeded ticket has.

User keys as reference/zendesk.md §3.4 lists them (``role``, ``role_type``, ``custom_role_id``,
``ticket_restriction``, ``organization_id``, ``suspended``); group memberships are a cursor list
(§3.4 "Cursor lists"). The demo agent (id 5) sees every ticket, as before.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

from connector.sandbox.zendesk.paging import BadCursor, bad_cursor_body, cursor_page

SUPPORT_GROUP, BILLING_GROUP = 10, 20
CUSTOMER_ORG = 500
GROUPS = [{"id": SUPPORT_GROUP, "name": "Support", "default": True, "deleted": False},
          {"id": BILLING_GROUP, "name": "Billing", "default": False, "deleted": False}]
CUSTOM_ROLES = [
    {"id": 360100, "name": "Billing team", "role_type": 0,
     "configuration": {"ticket_access": "within-groups", "end_user_profile_access": "readonly"}},
    {"id": 360101, "name": "Assigned only", "role_type": 0,
     "configuration": {"ticket_access": "assigned-only", "end_user_profile_access": "readonly"}},
]
DEMO_AGENT, GROUPS_AGENT, ASSIGNED_AGENT, ORG_AGENT, SUSPENDED_AGENT = 5, 6, 7, 8, 9
# id, name, role, ticket_restriction, role_type, custom_role_id, organization_id, groups, suspended
AGENTS: list[tuple[Any, ...]] = [
    (DEMO_AGENT, "Alex Agent", "agent", None, None, None, None, [SUPPORT_GROUP, BILLING_GROUP], False),
    (GROUPS_AGENT, "Grace Billing", "agent", "groups", 0, 360100, None, [BILLING_GROUP], False),
    (ASSIGNED_AGENT, "Asa Assigned", "agent", "assigned", 0, 360101, None, [SUPPORT_GROUP], False),
    (ORG_AGENT, "Olga Accounts", "agent", "organization", None, None, CUSTOMER_ORG, [SUPPORT_GROUP], False),
    (SUSPENDED_AGENT, "Sam Suspended", "agent", None, None, None, None, [SUPPORT_GROUP], True),
]


def ticket_access(ticket_id: int) -> dict:
    """Group, assignee and organization of a seeded ticket: odd ids are Support's, even Billing's;
    every tenth is assigned to the assigned-only agent; every fourth belongs to the customer org."""
    return {"group_id": BILLING_GROUP if ticket_id % 2 == 0 else SUPPORT_GROUP,
            "assignee_id": ASSIGNED_AGENT if ticket_id % 10 == 0 else None,
            "organization_id": CUSTOMER_ORG if ticket_id % 4 == 0 else None}


def customer_organization(index: int) -> int | None:
    return CUSTOMER_ORG if index % 4 == 0 else None


def seed(world: Any, make_user: Any) -> None:
    """Add the agents to ``world.users`` and their group memberships to ``world.group_memberships``."""
    world.groups = {g["id"]: dict(g) for g in GROUPS}
    world.custom_roles = {r["id"]: dict(r) for r in CUSTOM_ROLES}
    world.group_memberships = []
    for user_id, user in world.users.items():
        if user_id > 1000:  # the seeded customers
            user["organization_id"] = customer_organization(user_id - 1000)
    for agent_id, name, role, restriction, role_type, custom_role, org, groups, suspended in AGENTS:
        world.users[agent_id] = make_user(
            agent_id, name, f"agent{agent_id}@acme.example", role=role, ticket_restriction=restriction,
            role_type=role_type, custom_role_id=custom_role, organization_id=org, suspended=suspended,
            active=True, default_group_id=groups[0], restricted_agent=restriction is not None)
        for group_id in groups:
            world.group_memberships.append({"id": 90_000 + agent_id * 100 + group_id, "user_id": agent_id,
                                            "group_id": group_id, "default": group_id == groups[0],
                                            "created_at": "2026-11-01T09:00:00Z",
                                            "updated_at": "2026-11-01T09:00:00Z"})


def register(app: Flask, world: Any) -> None:
    """The read routes: groups, custom roles, a user's group memberships (cursor pagination)."""

    def not_found():
        return jsonify(error="RecordNotFound", description="Not found"), 404

    @app.get("/api/v2/users/<int:user_id>/group_memberships.json")
    def user_group_memberships(user_id: int):
        if user_id not in world.users:
            return not_found()
        items = [m for m in world.group_memberships if m["user_id"] == user_id]
        return _cursor_page(items, "group_memberships")

    @app.get("/api/v2/groups.json")
    def groups_list():
        return _cursor_page(list(world.groups.values()), "groups")

    @app.get("/api/v2/groups/<int:group_id>.json")
    def group_get(group_id: int):
        group = world.groups.get(group_id)
        return jsonify(group=group) if group else not_found()

    @app.get("/api/v2/custom_roles/<int:role_id>.json")
    def custom_role_get(role_id: int):
        role = world.custom_roles.get(role_id)
        return jsonify(custom_role=role) if role else not_found()


def _cursor_page(items: list[dict], key: str):
    """Cursor pages in id order; an unknown ``page[after]`` is a 400."""
    try:
        return jsonify(cursor_page(sorted(items, key=lambda item: item["id"]), key))
    except BadCursor:
        return jsonify(bad_cursor_body()), 400
