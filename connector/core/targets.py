"""The neutral write grammar: where a write rule puts its value, in words no CRM owns.

``record.fields.X``  a field of the record the event is about (a ticket, a case)
``record.tags``      the record's tags
``person.fields.X``  a field of the person behind it (a ticket's requester, a case's contact, a lead)
``note``             an internal note on the record

Each provider maps the names its manifest section uses (its wire names) onto these; the wire name
stays with the target, because it is what the ledger records and what the agent's review shows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

RECORD, PERSON, NOTE = "record", "person", "note"
FIELDS, TAGS = "fields", "tags"
_NAME = re.compile(r"[A-Za-z0-9_]{1,80}")
_GRAMMAR = "record.fields.<name>, record.tags, person.fields.<name> or note"


@dataclass(frozen=True)
class Target:
    scope: str  # record | person | note
    kind: str  # fields | tags | note
    name: str = ""  # the field (fields only)
    wire: str = ""  # the provider's own spelling, e.g. ticket.custom_fields.360002 or Contact.AEP_LTV__c
    object: str = ""  # the provider's record type holding it, when it has several (Case, Contact, Lead)

    def __str__(self) -> str:
        return self.wire or self.neutral

    @property
    def neutral(self) -> str:
        if self.kind == FIELDS:
            return f"{self.scope}.fields.{self.name}"
        return "record.tags" if self.kind == TAGS else NOTE

    @property
    def is_tags(self) -> bool:
        return self.kind == TAGS

    @property
    def on_person(self) -> bool:
        return self.scope == PERSON

    def tag(self, tag: str) -> str:
        """The ledger's name for one tag a tags target wrote (each tag is its own ledger row)."""
        return f"{self}.{tag}"


def record_field(name: str, *, wire: str = "", object: str = "") -> Target:
    return Target(RECORD, FIELDS, name, wire, object)


def person_field(name: str, *, wire: str = "", object: str = "") -> Target:
    return Target(PERSON, FIELDS, name, wire, object)


def record_tags(*, wire: str = "") -> Target:
    return Target(RECORD, TAGS, "", wire)


def note(*, wire: str = "") -> Target:
    return Target(NOTE, NOTE, "", wire)


def parse(text: str) -> Target:
    """The neutral spelling itself (a provider whose manifest section speaks it, e.g. a test CRM)."""
    scope, _, rest = text.partition(".")
    kind, _, name = rest.partition(".")
    if text == NOTE:
        return note()
    if text == "record.tags":
        return record_tags()
    if scope in (RECORD, PERSON) and kind == FIELDS and _NAME.fullmatch(name):
        return Target(scope, FIELDS, name)
    raise ValueError(_GRAMMAR)
