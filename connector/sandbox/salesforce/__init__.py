"""Salesforce emulator over TLS: OAuth token, sObjects, SOQL query paging, sObject Collections, limits,
error lists, Sforce-Limit-Info and a daily API allocation that runs out.

Wire facts: ../shared/reference/salesforce.md (§1.5/§1.6 shapes, §2 errors and limits, §9 checklist).

- ``state``: the org (records, sessions, allocation); ``app``: ``create_app`` and ``SalesforceSandbox``;
  ``gate``: faults, sessions, the allocation; ``errors``: Salesforce's error lists.
- ``routes_*``: OAuth, sObjects and Collections, queries and limits.
- ``fields`` / ``values``: field metadata and value checks; ``records``: ids, SOQL and Collections;
  ``connected_app``: the JWT bearer flow's certificate; ``canvas``: Canvas signed requests;
  ``outbound``: an Outbound Message sender.
"""
from connector.sandbox.salesforce.app import SalesforceSandbox, create_app
from connector.sandbox.salesforce.canvas import canvas_request
from connector.sandbox.salesforce.state import (
    AGENT_USER,
    CLIENT_ID,
    CLIENT_SECRET,
    INTEGRATION_USER,
    ORG_ID,
    PASSWORD,
    USERNAME,
    SalesforceWorld,
    record_id,
)

__all__ = ["AGENT_USER", "CLIENT_ID", "CLIENT_SECRET", "INTEGRATION_USER", "ORG_ID", "PASSWORD", "USERNAME",
           "SalesforceSandbox", "SalesforceWorld", "canvas_request", "create_app", "record_id"]
