"""The Salesforce emulator's org: Contacts and Cases seeded from the shared customers, the deployed
package's field metadata, issued sessions, the daily API allocation and the writes received.
"""
from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox import seed
from connector.sandbox.faults import Faults
from connector.sandbox.salesforce.fields import load_schema
from connector.sandbox.salesforce.records import canonical_id
from connector.sandbox.salesforce.values import check_write

ORG_ID = "00D5g000004ACMEEA2"
CLIENT_ID = "sandbox-consumer-key"
CLIENT_SECRET = "sandbox-consumer-secret"
USERNAME = "integration@acme.example"
PASSWORD = "sandbox-password" + "SECURITYTOKEN"
INTEGRATION_USER = "0055g00000INTEGAAA"
AGENT_USER = "0055g00000AGENTAAA"
CONTACTS = 200
PREFIX = {"Contact": "003", "Lead": "00Q", "Case": "500"}


def record_id(obj: str, index: int) -> str:
    return f"{PREFIX[obj]}5g{index:010d}AAA"


@dataclass
class SalesforceWorld:
    daily_max: int = 15_000  # Developer Edition allocation (reference §2.4)
    token_ttl: float = 7200.0
    query_page: int = 2000
    faults: Faults = field(default_factory=Faults)
    lock: threading.RLock = field(default_factory=threading.RLock)
    requests: list = field(default_factory=list)
    schema: dict = field(default_factory=dict)  # object → field → SfField (the deployed package)

    def __post_init__(self) -> None:
        self.reset_data()

    def reset_data(self) -> None:
        with self.lock:
            self.used = 0
            self.tokens: dict[str, tuple[float, str]] = {}
            self.token_orgs: dict[str, str] = {}
            self.schema = load_schema()
            self.records: dict[str, dict[str, dict]] = {obj: {} for obj in self.schema}
            self.patches: list[tuple[str, str, dict]] = []
            self._ids = itertools.count(100_000)
            self.cursors: dict[str, list[dict]] = {}  # query locator → the rows of its query
            for index in range(1, CONTACTS + 1):
                c = seed.customer(index)
                contact = self._blank("Contact", record_id("Contact", index))
                contact.update(FirstName=c.first, LastName=c.last, Email=c.crm_email.strip(), Phone=c.crm_phone,
                               AEP_CRM_Id__c=c.crm_id if index % 3 else None, LastModifiedById=AGENT_USER)
                self.records["Contact"][contact["Id"]] = contact
                case = self._blank("Case", record_id("Case", index))
                case.update(ContactId=contact["Id"], Subject=f"Order question {index}", Status="New",
                            LastModifiedById=AGENT_USER)
                self.records["Case"][case["Id"]] = case

    def _blank(self, obj: str, rid: str) -> dict:
        return {name: None for name in self.schema[obj]} | {"Id": rid}

    def new_record(self, obj: str) -> dict:
        """A record of ``obj`` under a new id, every field blank (not stored yet)."""
        return self._blank(obj, f"{PREFIX[obj]}5g{next(self._ids):010d}AAA")

    def find(self, obj: str, rid: str) -> dict | None:
        """The record under a 15- or 18-character id (either case for the 18)."""
        canonical = canonical_id(rid)
        return self.records.get(obj, {}).get(canonical) if canonical else None

    def check(self, obj: str, changes: dict, *, creating: bool = False) -> tuple[dict, list[dict]]:
        return check_write(obj, self.schema[obj], changes, creating=creating)

    def commit(self, obj: str, record: dict, stored: dict, changes: dict, user: str = INTEGRATION_USER) -> None:
        record.update(stored)
        record["LastModifiedById"] = user
        self.patches.append((obj, record["Id"], changes))

    def issue_token(self, user: str = INTEGRATION_USER, *, org: str = ORG_ID) -> str:
        """A session (also what an Outbound Message with "Send Session ID" carries), of ``org``."""
        token = "00D!" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (time.time() + self.token_ttl, user)
            self.token_orgs[token] = org
        return token

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def calls(self, path: str = "", method: str | None = None) -> list[tuple[str, str, Any]]:
        with self.lock:
            return [r for r in self.requests if path in r[1] and (method is None or r[0] == method)]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.patches.clear()

    def create_case(self, contact_index: int, subject: str = "New case") -> dict:
        with self.lock:
            case = self._blank("Case", f"5005g{next(self._ids):010d}AAA")
            case.update(ContactId=record_id("Contact", contact_index), Subject=subject, Status="New",
                        LastModifiedById=AGENT_USER)
            self.records["Case"][case["Id"]] = case
            return case

