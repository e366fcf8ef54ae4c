"""Zendesk enrichment of a ticket: read it (requester sideloaded), look the requester up, plan the
diff, write it in one ticket PUT (note, fields, tags) and one user PUT, fitted to the account's fields."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from connector.core.jobkey import JobKey
from connector.core.lang import Lang
from connector.core.manifest import Writeback
from connector.core.models import Contact
from connector.core.writeplan import RecordState, plan
from connector.services.drafts import Draft, Part
from connector.services.ledger import Ledger
from connector.services.lookup import ProfileLookup
from connector.services.zendesk.fields import FittedWrites
from connector.store.db import Store

CALLS_PER_JOB = 3  # read (with sideload), ticket PUT, user PUT


class ZendeskPort(Protocol):
    def read_ticket(self, ticket_id: int): ...
    def update_ticket(self, ticket_id: int, *, custom_fields: dict, add_tags: list[str], note: str | None,
                      remove_tags: list[str] | None = None) -> None: ...
    def update_user(self, requester, user_fields: dict) -> None: ...
    def reserve(self, calls: int) -> None: ...
    def field_catalog(self, *, refresh: bool = False): ...


def contact_of(person: Any) -> Contact:
    return Contact(email=person.email, phone=person.phone, crm_id=person.external_id, external_id=person.external_id)


class Tickets:
    def __init__(self, *, zendesk: ZendeskPort, spec: Writeback | None, lookup: ProfileLookup, ledger: Ledger,
                 store: Store, lang: Lang, on_ticket_read: Callable[[int, Any], None] | None = None) -> None:
        self.zendesk = zendesk
        self.spec = spec
        self.lookup = lookup
        self.ledger = ledger
        self.store = store
        self.lang = lang  # the account's language (CONNECTOR_NOTE_LOCALE): the note and `.display` values
        # Called with (ticket id, ticket) whenever a ticket is read, so that the sidebar's per-ticket
        # cache is primed by the job that ran on ticket creation (the agent's first open reads nothing).
        self.on_ticket_read = on_ticket_read

    def draft(self, key: JobKey, *, note_written: bool | None = None) -> Draft:
        """Read the ticket, look up its requester and plan the write, without writing (preview and job share it)."""
        ticket = self.zendesk.read_ticket(int(key.id))
        requester, spec = ticket.requester, self.spec
        if self.on_ticket_read is not None:
            self.on_ticket_read(ticket.id, ticket)
        if requester is None or spec is None:
            return Draft(key, outcome="no_requester" if requester is None else "no_rules", extra=ticket)
        card = self.lookup.by_contact(contact_of(requester), lang=self.lang)
        if note_written is None:
            job = self.store.job(str(key))
            note_written = bool(job and job.note_written)
        # The marker tag travels in the same PUT as the note, so it proves the note was written
        # even when the worker died before recording it.
        note_needed = (spec.marker_tag not in ticket.tags) if spec.marker_tag else not note_written
        state = RecordState(fields=ticket.custom_fields, tags=ticket.tags, person_fields=requester.user_fields)
        planned = plan(card=card, spec=spec, state=state, last_written=self.ledger.last_written(key),
                       note_needed=note_needed, lang=self.lang)
        writes = FittedWrites(self.zendesk, planned, state)  # only values that fit the account's fields
        return Draft(key, card=card, parts=[Part(key, spec, state, writes.plan)], note_needed=note_needed,
                     extra=(ticket, writes))

    def write(self, draft: Draft) -> tuple[str, bool]:
        """Write a planned diff: one ticket PUT (note, fields, tags added and removed), one user PUT."""
        assert draft.card is not None and draft.parts
        ticket, writes = draft.extra
        if writes.plan.record_changes:
            writes.write_ticket(ticket.id)  # on a 422 the plan is fitted again to fresh field metadata
            self.ledger.written(draft.key, writes.plan, draft.card, person=False)
        if writes.plan.person_fields:
            writes.write_user(ticket.requester)
            self.ledger.written(draft.key, writes.plan, draft.card, person=True)
        self.ledger.skipped(draft.key, [(s.target, s.reason) for s in writes.skipped()], draft.card)
        draft.parts[0].plan = writes.plan
        changes = writes.plan
        return changes.reason, changes.note is not None or not draft.note_needed
