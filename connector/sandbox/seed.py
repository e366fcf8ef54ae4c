"""Deterministic seed data: a few thousand customers with identities, scores, audiences, events.

The same index always yields the same customer, whatever the machine or run. Timestamps are
anchored to ANCHOR, not to the clock, so that tests and demos see the same data.
"""
from __future__ import annotations

import base64
import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache, lru_cache

ANCHOR = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
DEFAULT_CUSTOMERS = 2000
TENANT = "_acme"
FIRST = ["Jane", "John", "Maria", "Wei", "Aisha", "Lucas", "Sofia", "Noah", "Emma", "Liam", "Olivia",
         "Mateo", "Chloe", "Arjun", "Yuki", "Fatima", "Pierre", "Ingrid", "Kwame", "Elena"]
LAST = ["Doe", "Smith", "Garcia", "Chen", "Khan", "Silva", "Rossi", "Müller", "Dubois", "Kim",
        "Nguyen", "Okafor", "Novak", "Larsen", "Tanaka", "Haddad", "Costa", "Walsh", "Ivanova", "Patel"]
CITIES = [("New York", "US"), ("San Francisco", "US"), ("Chicago", "US"), ("Boston", "US"),
          ("Seattle", "US"), ("Austin", "US"), ("London", "GB"), ("Toronto", "CA")]
AREA_CODES = ["212", "415", "312", "617", "206", "512"]
PRODUCTS = [("SKU-1001", "Trail running shoes", 129.0), ("SKU-1002", "Rain jacket", 189.0),
            ("SKU-1003", "Merino base layer", 79.5), ("SKU-1004", "Hiking poles", 59.0),
            ("SKU-1005", "Headlamp", 34.99), ("SKU-1006", "Down sleeping bag", 349.0),
            ("SKU-1007", "Water filter", 44.95), ("SKU-1008", "Camp stove", 99.0)]
CAMPAIGNS = ["Winter sale", "Loyalty double points", "New arrivals", "We miss you", "Black Friday early access"]
CAMPAIGN_EVENTS = ["directMarketing.emailSent", "directMarketing.emailOpened", "directMarketing.emailClicked"]
SEGMENT_NAMES = ["High lifetime value", "Churn risk", "Newsletter subscribers", "Cart abandoners (7 days)",
                 "Loyalty gold and above", "Recent purchasers (30 days)", "Lapsed customers", "Mobile app users",
                 "Outdoor enthusiasts", "Price sensitive"]
SEGMENTS = {str(uuid.uuid5(uuid.NAMESPACE_URL, f"acme/segments/{n}")): n for n in SEGMENT_NAMES}
SEGMENT_IDS = list(SEGMENTS)
OVERSIZED_GRAPH_IDENTITIES = 60


@dataclass(frozen=True)
class Customer:
    index: int
    entity_id: str
    first: str
    last: str
    email: str
    phone: str
    crm_id: str
    ecid: str
    oversized: bool = False

    @property
    def crm_email(self) -> str:
        """The e-mail as a CRM might hold it: mixed case, padded (exercises normalisation)."""
        local, _, domain = self.email.partition("@")
        return f" {local.title()}@{domain.upper()} "

    @property
    def crm_phone(self) -> str:
        """The phone as an agent would type it, without country code."""
        digits = self.phone[2:]
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def customer(index: int, total: int = DEFAULT_CUSTOMERS) -> Customer:
    rng = random.Random(f"acme-customer-{index}")
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = f"{first}.{last}".lower().replace("ü", "u")
    digest = hashlib.sha1(f"acme-profile-{index}".encode()).digest()
    return Customer(
        index=index,
        entity_id=base64.urlsafe_b64encode(digest).decode().rstrip("=")[:26],
        first=first,
        last=last,
        email=f"{local}{index}@example.com",
        phone=f"+1{rng.choice(AREA_CODES)}{rng.randint(200, 989)}{index % 10000:04d}",
        crm_id=f"CRM{index:06d}",
        ecid=str(rng.randrange(10**37, 10**38)),
        oversized=index == total - 1,
    )


def identities(c: Customer) -> dict[str, list[str]]:
    """Namespace code → values, as the identity graph links them."""
    graph = {
        "ECID": [c.ecid],
        "Email": [c.email],
        "Email_LC_SHA256": [sha256(c.email)],
        "Phone": [c.phone],
        "Phone_E.164": [c.phone],
        "Phone_SHA256": [sha256(c.phone)],
        "CRMID": [c.crm_id],
    }
    if c.oversized:
        graph["ECID"] += [str(10**37 + c.index * 1000 + n) for n in range(OVERSIZED_GRAPH_IDENTITIES)]
    return graph


@lru_cache(maxsize=4096)
def profile_entity(index: int, total: int = DEFAULT_CUSTOMERS) -> dict:
    c = customer(index, total)
    rng = random.Random(f"acme-profile-{index}")
    ltv = round(rng.lognormvariate(6.5, 1.0), 2)
    churn = round(rng.random(), 2)
    tier = "platinum" if ltv > 2500 else "gold" if ltv > 1000 else "silver" if ltv > 300 else "bronze"
    city, country = rng.choice(CITIES)
    joined = ANCHOR - timedelta(days=rng.randint(30, 3000))
    membership = {}
    for segment_id in rng.sample(SEGMENT_IDS, rng.randint(0, 5)):
        when = ANCHOR - timedelta(days=rng.randint(0, 60), seconds=rng.randint(0, 86399))
        status = rng.choice(["realized", "existing", "existing", "exited"])
        membership[segment_id] = {"lastQualificationTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "status": status}
    graph = identities(c)
    return {
        "identityMap": {ns: [{"id": v, "primary": ns == "CRMID"} for v in values] for ns, values in graph.items()},
        "person": {"name": {"firstName": c.first, "lastName": c.last}},
        "personalEmail": {"address": c.email, "primary": True, "status": "active"},
        "mobilePhone": {"number": c.phone, "primary": True},
        "homeAddress": {"city": city, "country": country},
        "loyalty": {"program": "Acme Trail Club", "tier": tier, "status": "active",
                    "points": float(int(ltv * 3)), "joinDate": joined.strftime("%Y-%m-%d")},
        "consents": {"marketing": {"email": {"val": rng.choice(["y", "y", "n"])}}, **personalize_consent(index)},
        "segmentMembership": {"ups": membership},
        TENANT: {"lifetimeValue": ltv, "churnPropensity": churn,
                 "preferredChannel": rng.choice(["email", "sms", "phone"])},
    }


def personalize_consent(index: int) -> dict:
    """``consents.personalize`` by index, not by chance: customers 3, 13, 23… (index ≡ 3 mod 10) refuse
    (``n``), customers 8, 18, 28… (≡ 8 mod 10) have no personalisation consent recorded, the rest grant (``y``)."""
    if index % 10 == 8:
        return {}
    return {"personalize": {"content": {"val": "n" if index % 10 == 3 else "y"}}}


def last_modified(index: int) -> str:
    rng = random.Random(f"acme-modified-{index}")
    return (ANCHOR - timedelta(hours=rng.randint(1, 24 * 30))).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=4096)
def events(index: int, total: int = DEFAULT_CUSTOMERS) -> tuple[dict, ...]:
    """Experience events of a customer, oldest first (purchases and e-mail campaign interactions)."""
    c = customer(index, total)
    rng = random.Random(f"acme-events-{index}")
    out = []
    for n in range(rng.randint(0, 6) if index % 7 else 0):
        when = ANCHOR - timedelta(days=rng.randint(0, 180), seconds=rng.randint(0, 86399))
        items = rng.sample(PRODUCTS, rng.randint(1, 3))
        total_price = round(sum(p[2] for p in items), 2)
        out.append(_event(c, f"p{n}", when, "commerce.purchases", {
            "commerce": {"purchases": {"value": 1},
                         "order": {"purchaseID": f"ORD-{index:05d}-{n}", "priceTotal": total_price,
                                   "currencyCode": "USD"}},
            "productListItems": [{"SKU": sku, "name": name, "quantity": 1, "priceTotal": price}
                                 for sku, name, price in items],
        }))
    for n in range(rng.randint(0, 10) if index % 7 else 0):
        when = ANCHOR - timedelta(days=rng.randint(0, 90), seconds=rng.randint(0, 86399))
        out.append(_event(c, f"m{n}", when, rng.choice(CAMPAIGN_EVENTS),
                          {"marketing": {"campaignName": rng.choice(CAMPAIGNS)}}))
    out.sort(key=lambda e: e["timestamp"])
    return tuple(out)


def _event(c: Customer, suffix: str, when: datetime, event_type: str, body: dict) -> dict:
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"acme/events/{c.index}/{suffix}"))
    millis = int(when.timestamp() * 1000)
    entity = {"_id": event_id, "eventType": event_type, "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "identityMap": {"ECID": [{"id": c.ecid, "primary": True}]}, **body}
    return {"entityId": event_id, "timestamp": millis, "entity": entity,
            "lastModifiedAt": when.strftime("%Y-%m-%dT%H:%M:%SZ")}


class IdentityIndex:
    """(namespace code lower-cased, value) → customer index, over the whole seed."""

    def __init__(self, total: int = DEFAULT_CUSTOMERS) -> None:
        self.total = total
        self._index: dict[tuple[str, str], int] = {}
        self._by_entity: dict[str, int] = {}
        for i in range(total):
            c = customer(i, total)
            self._by_entity[c.entity_id] = i
            for ns, values in identities(c).items():
                for value in values:
                    self._index[(ns.lower(), value)] = i

    def find(self, namespace: str | None, value: str) -> int | None:
        if not namespace:
            return self._by_entity.get(value)
        return self._index.get((namespace.lower(), value))
