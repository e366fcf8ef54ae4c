"""The AEP emulator's world: issued tokens, the identity namespaces this sandbox defines, test changes
to profiles, faults, and every request received. Profiles and events come from ``seed``.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from connector.sandbox import seed
from connector.sandbox.faults import Faults

ORG_ID = "ACME0000000000000000@AdobeOrg"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
SANDBOXES = ("prod", "dev")
MERGE_POLICY_ID = "0bf16e61-90e9-4204-b8fa-ad250360957b"
PROFILE_SCHEMA = "_xdm.context.profile"
EVENT_SCHEMA = "_xdm.context.experienceevent"
GATEWAY_PREFIXES = ("/data/",)
NAMESPACES = [  # §4.3 list shape
    ("ECID", 4, "COOKIE", False), ("Email", 6, "EMAIL", False), ("Phone", 7, "PHONE", False),
    ("Email_LC_SHA256", 11, "EMAIL", False), ("Phone_E.164", 12, "PHONE", False),
    ("Phone_SHA256", 13, "PHONE", False), ("CRMID", 10001, "CROSS_DEVICE", True),
]
# The scopes of the sandbox credential (§1.1, S24); IMS refuses a token request asking for others.
SCOPES = frozenset(("openid", "session", "AdobeID", "read_organizations", "additional_info.projectedProductContext"))


@dataclass
class Recorded:
    method: str
    path: str
    args: list[tuple[str, str]]
    headers: dict[str, str]
    form: dict[str, str]
    json: object


@dataclass
class AepWorld:
    """Mutable emulator state: issued tokens, faults, and every request received."""

    customers: int = seed.DEFAULT_CUSTOMERS
    token_ttl: int = 86399
    default_merge_policy: bool = True
    absent_namespaces: set[str] = field(default_factory=set)  # codes this sandbox does not define (e.g. CRMID)
    faults: Faults = field(default_factory=Faults)
    requests: list[Recorded] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    profile_patches: dict[int, dict] = field(default_factory=dict)  # customer index → attributes merged over the seed

    def __post_init__(self) -> None:
        self.index = seed.IdentityIndex(self.customers)

    def set_consent(self, index: int, path: str, val: str | None) -> None:
        """Change a customer's consent (``personalize.content``, ``marketing.email``…); None removes it."""
        with self.lock:
            node = self.profile_patches.setdefault(index, {}).setdefault("consents", {})
            *parents, last = path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = {"val": val} if val is not None else None

    def preload(self) -> None:
        """Generate every customer's profile and events up front (benchmarks: no cold generation)."""
        for index in range(self.customers):
            seed.profile_entity(index, self.customers)
            seed.events(index, self.customers)

    def namespaces(self) -> list[tuple[str, int, str, bool]]:
        """The identity namespaces this sandbox defines (§4.3)."""
        absent = {code.lower() for code in self.absent_namespaces}
        return [n for n in NAMESPACES if n[0].lower() not in absent]

    def knows_namespace(self, code: str | None) -> bool:
        """Namespace codes match case-insensitively (§4.2)."""
        return bool(code) and any(n[0].lower() == str(code).lower() for n in self.namespaces())

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def calls(self, path: str = "", method: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path) and (method is None or r.method == method)]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
