"""The mapping manifest as plain dataclasses (parsed and validated in connector.schemas.manifest)."""
from __future__ import annotations

from dataclasses import dataclass, field

from connector.core import targets as t

NAMESPACE_KINDS = ("email", "email_sha256", "phone", "phone_sha256", "ecid", "plain")
CONTACT_SOURCES = ("email", "phone", "crm_id", "external_id")
FORMATS = (
    "text", "name", "number", "integer", "currency", "percent", "date", "datetime",
    "boolean", "consent", "list",
)
WRITE_POLICIES = ("overwrite", "fill_blank", "never_overwrite_human_edit")
RESERVED_VALUES = ("audiences", "profile_id", "enriched_at")  # write-back values that are not card fields
MISSING_CONSENT = ("deny", "allow")


@dataclass(frozen=True)
class Requirement:
    """What showing or writing a piece of profile data needs: consents granted, labels agents may see."""

    consents: tuple[str, ...] = ()  # XDM consent paths, e.g. consents.personalize.content
    labels: tuple[str, ...] = ()  # data-usage labels the data carries, e.g. C9, S1

    def __bool__(self) -> bool:
        return bool(self.consents or self.labels)

    def __add__(self, other: Requirement) -> Requirement:
        return Requirement(tuple(dict.fromkeys(self.consents + other.consents)),
                           tuple(dict.fromkeys(self.labels + other.labels)))


@dataclass(frozen=True)
class AgentPolicy:
    """The agent surface's policy: labels agents may not see (with the reason shown instead), the
    reason shown for each consent, and what a profile without consent data gets."""

    missing_consent: str = "deny"
    hidden_labels: dict[str, str] = field(default_factory=dict)
    consent_reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CandidateRule:
    source: str  # email | phone | crm_id | external_id | identities.<NS>
    namespace: str
    confidence: float


@dataclass(frozen=True)
class IdentitySpec:
    namespaces: dict[str, str]  # namespace code → kind
    candidates: tuple[CandidateRule, ...]
    default_region: str = "US"
    write_min_confidence: float = 0.9

    def kind_of(self, namespace: str) -> str | None:
        """Namespace codes match case-insensitively, as AEP matches them (reference §4.2)."""
        wanted = namespace.lower()
        for code, kind in self.namespaces.items():
            if code.lower() == wanted:
                return kind
        return None

    def canonical(self, namespace: str) -> str | None:
        wanted = namespace.lower()
        return next((code for code in self.namespaces if code.lower() == wanted), None)


@dataclass(frozen=True)
class Badge:
    min: float
    level: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    key: str
    path: str
    label: str
    format: str = "text"
    currency: str | None = None
    badges: tuple[Badge, ...] = ()
    currency_path: str | None = None  # the profile's own currency code for this amount, when it has one
    requires: Requirement = Requirement()


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class AudienceSpec:
    title: str = "Audiences"
    namespaces: tuple[str, ...] = ("ups",)
    max_items: int = 20
    requires: Requirement = Requirement()


@dataclass(frozen=True)
class EventItemSpec:
    title: str
    amount: str | None = None
    currency: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EventSectionSpec:
    key: str
    title: str
    event_types: tuple[str, ...]
    item: EventItemSpec
    max_items: int = 5
    requires: Requirement = Requirement()


@dataclass(frozen=True)
class EventsSpec:
    limit: int = 50
    max_pages: int = 2
    fields: tuple[str, ...] = ()
    sections: tuple[EventSectionSpec, ...] = ()


@dataclass(frozen=True)
class WriteRule:
    target: t.Target  # neutral (record.fields.X, record.tags, person.fields.X), with the provider's wire name
    value: str  # a card field key, optionally with .badge or .display
    policy: str = "fill_blank"
    prefix: str = ""  # tags: the tag is prefix + value
    requires: Requirement = Requirement()  # besides what the card field it writes requires

    @property
    def field_key(self) -> str:
        return self.value.split(".", 1)[0]


@dataclass(frozen=True)
class Writeback:
    rules: tuple[WriteRule, ...] = ()
    note: bool = False
    marker_tag: str | None = None
    note_target: t.Target = t.note()  # the provider's name for its internal note (ledger, review)
    tags_target: t.Target = t.record_tags()  # … and for the record's tags (the marker tag's row)

    def only(self, obj: str) -> Writeback:
        """The rules that write to one of the provider's record types."""
        return Writeback(tuple(r for r in self.rules if r.target.object == obj), self.note, self.marker_tag,
                         self.note_target, self.tags_target)

    def objects(self) -> list[str]:
        return sorted({r.target.object for r in self.rules})


@dataclass(frozen=True)
class Manifest:
    identity: IdentitySpec
    sections: tuple[SectionSpec, ...]
    audiences: AudienceSpec
    events: EventsSpec
    currency: str = "USD"
    writeback: dict[str, Writeback] = field(default_factory=dict)
    policy: AgentPolicy = AgentPolicy()

    def profile_fields(self) -> tuple[str, ...]:
        """The ``fields`` projection for profile lookups: every path the card reads."""
        paths = ["identityMap", "segmentMembership"]
        for section in self.sections:
            paths.extend(f.path.split("[")[0].rstrip(".") for f in section.fields)
            paths.extend(f.currency_path for f in section.fields if f.currency_path)
        paths.extend(f"{c}.val" for c in self.consent_paths())
        kept: list[str] = []
        for path in sorted(set(paths), key=len):
            if not any(path == k or path.startswith(k + ".") for k in kept):
                kept.append(path)
        return tuple(sorted(kept))

    def consent_paths(self) -> tuple[str, ...]:
        """Every consent some card field, section or write-back rule requires."""
        found: list[str] = [c for s in self.sections for f in s.fields for c in f.requires.consents]
        found += self.audiences.requires.consents
        found += [c for s in self.events.sections for c in s.requires.consents]
        found += [c for w in self.writeback.values() for r in w.rules for c in r.requires.consents]
        return tuple(dict.fromkeys(found))
