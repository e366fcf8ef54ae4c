"""Dataclasses shared by the pure core and the layers around it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connector.core.consent import Withheld


@dataclass(frozen=True)
class Contact:
    """What a CRM knows about the person on a ticket, case or record."""

    email: str | None = None
    phone: str | None = None
    crm_id: str | None = None
    external_id: str | None = None
    identities: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    """An identity value in an AEP namespace, already normalised for lookup."""

    namespace: str
    value: str


@dataclass(frozen=True)
class Candidate:
    identity: Identity
    source: str
    confidence: float
    masked: str


@dataclass
class Attempt:
    """One line of the match explanation: what was tried and what came of it."""

    namespace: str
    source: str
    masked: str | None
    outcome: str  # matched | no_profile | not_tried | invalid | missing | namespace_unknown | not_servable
    reason: str
    confidence: float | None = None

    def to_dict(self) -> dict:
        return {
            "namespace": self.namespace,
            "source": self.source,
            "value": self.masked,
            "outcome": self.outcome,
            "reason": self.reason,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Profile:
    entity_id: str
    entity: Mapping[str, Any]
    last_modified_at: datetime | None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    event_id: str
    timestamp: datetime | None
    event_type: str | None
    entity: Mapping[str, Any]


@dataclass(frozen=True)
class EventPage:
    """Recent events, or why there are none (``unavailable`` carries a safe reason)."""

    events: tuple[Event, ...] = ()
    unavailable: str | None = None


@dataclass(frozen=True)
class Membership:
    namespace: str
    segment_id: str
    status: str
    last_qualification: datetime | None


@dataclass
class CardField:
    key: str
    label: str
    value: Any
    display: str
    format: str
    badge: dict | None = None
    hidden: bool = False  # the agent policy withholds it: no value, display says why
    hidden_reason: str | None = None

    def to_dict(self) -> dict:
        shown = {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "display": self.display,
            "format": self.format,
            "badge": self.badge,
        }
        return shown | ({"hidden": True, "hidden_reason": self.hidden_reason} if self.hidden else {})


CARD_FIELD_KEYS = ("key", "label", "value", "display", "format", "badge")


@dataclass
class CardSection:
    key: str
    title: str
    kind: str  # attributes | audiences | events
    items: list[dict] = field(default_factory=list)
    freshness: datetime | None = None
    notice: str | None = None
    freshness_display: str | None = None
    hidden: str | None = None  # the agent policy withholds the whole section: the reason (notice says it too)

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "items": self.items,
            "freshness": iso(self.freshness),
            "freshness_display": self.freshness_display,
            "notice": self.notice,
            "hidden": self.hidden,
        }


@dataclass
class Card:
    """The agent card: what every surface (API, CLI, sidebars) renders."""

    status: str  # found | not_found | not_servable
    match: list[Attempt]
    profile_id: str | None = None
    last_modified_at: datetime | None = None
    confidence: float | None = None
    writable: bool = False
    sections: list[CardSection] = field(default_factory=list)
    # (namespace, SHA-256 digest) of every identity of the contact that was tried: never rendered,
    # recorded with the audit rows so that a privacy request can find them by any of the person's identities
    identity_digests: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    locale: str = "en"  # the locale of the card's display strings (its values are locale-free)
    last_modified_display: str | None = None
    # What the agent policy withholds, by card field key, "audiences", event section key, or
    # write-back rule (``rule:<target>=<value>``), and why. Kept for the write plan, not rendered.
    withheld: dict[str, Withheld] = field(default_factory=dict)

    @property
    def matched(self) -> Attempt | None:
        return next((a for a in self.match if a.outcome == "matched"), None)

    def field(self, key: str) -> CardField | None:
        for section in self.sections:
            for item in section.items:
                if section.kind == "attributes" and item["key"] == key:
                    return CardField(**{k: item[k] for k in CARD_FIELD_KEYS if k in item})
        return None

    def to_dict(self) -> dict:
        matched = self.matched
        return {
            "status": self.status,
            "profileId": self.profile_id,
            "lastModifiedAt": iso(self.last_modified_at),
            "lastModifiedDisplay": self.last_modified_display,
            "locale": self.locale,
            "match": {
                "matched": matched.to_dict() if matched else None,
                "confidence": self.confidence,
                "writable": self.writable,
                "attempts": [a.to_dict() for a in self.match],
            },
            "sections": [s.to_dict() for s in self.sections],
        }


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")
