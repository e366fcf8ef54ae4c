"""Zendesk Support emulator: the endpoints zenpy and the connector call, webhooks and triggers
that fire signed deliveries on ticket creation, per-minute rate limits, and the ZAF app key.

Wire facts: ../shared/reference/zendesk.md (§3.3/§3.4 shapes, §4 errors and limits, §8 checklist).

- ``state``: the world (users, tickets, fields, webhooks, triggers, request budget); ``agents``: the
  agents, groups and custom roles it is seeded with.
- ``app``: ``create_app`` and ``ZendeskSandbox``; ``gate``: auth, faults, rate limits, error bodies.
- ``routes_*``: the route groups; ``tickets`` and ``firing``: what an update or a new ticket does.
- ``fields``, ``hooks``, ``paging``, ``ratelimit``: the checks and wire formats the routes share.
"""
from connector.sandbox.zendesk.app import ZendeskSandbox, create_app
from connector.sandbox.zendesk.firing import fire
from connector.sandbox.zendesk.state import (
    ACCOUNT_ID,
    AGENT_EMAIL,
    API_TOKEN,
    APP_ID,
    INTEGRATION_USER_ID,
    OAUTH_TOKEN,
    ZendeskWorld,
)
from connector.sandbox.zendesk.tickets import create_ticket

__all__ = ["ACCOUNT_ID", "AGENT_EMAIL", "API_TOKEN", "APP_ID", "INTEGRATION_USER_ID", "OAUTH_TOKEN", "ZendeskSandbox",
           "ZendeskWorld", "create_app", "create_ticket", "fire"]
