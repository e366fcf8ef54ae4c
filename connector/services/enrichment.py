"""Enrichment of a CRM record: read it, look up the profile, write the diff once, audit it.

Runs in queue workers. Retryable failures (429, 409, 5xx, timeouts) are rescheduled with
back-off or at the remote's Retry-After; after the configured attempts, or on a fatal error,
the job goes to the dead-letter list, from which `aep-connector jobs retry` replays it.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from connector import errors
from connector.core.catalogfit import Skip
from connector.core.fieldfit import FieldMeta, Fitted, fit
from connector.core.lang import ENGLISH, Lang
from connector.core.manifest import Manifest, Writeback
from connector.core.models import Card, Contact
from connector.core.writeplan import Fit, Plan, RecordState, plan
from connector.logs import bind, unbind
from connector.metrics import ENRICHMENTS, RATE_LIMIT_WAITS
from connector.services.drafts import SalesforceDraft, ZendeskDraft, salesforce_rules
from connector.services.lookup import ProfileLookup
from connector.services.zendesk_fields import SKIPPED, FittedWrites
from connector.store.db import IDENTITY_POLICY, AuditEntry, JobRow, Store, utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0
RATE_LIMIT_PATIENCE = 20
ZENDESK_CALLS_PER_JOB = 3  # read (with sideload), ticket PUT, user PUT
SALESFORCE_OBJECTS = ("Case", "Contact", "Lead")
SALESFORCE_PAUSE_S = 300.0  # re-check the org's usage every five minutes while paused


class SalesforcePort(Protocol):
    usage: Any

    def get(self, obj: str, record_id: str, fields: list[str]) -> dict: ...
    def query(self, obj: str, fields: list[str], *, ids: list[str] | None = None,
              limit: int | None = None) -> list[dict]: ...
    def update(self, obj: str, record_id: str, changes: dict[str, Any]) -> None: ...
    def update_many(self, writes: list[tuple[str, str, dict[str, Any]]]) -> list[str | None]: ...
    def field_metadata(self, obj: str) -> dict[str, FieldMeta]: ...


class ZendeskPort(Protocol):
    def read_ticket(self, ticket_id: int): ...
    def update_ticket(self, ticket_id: int, *, custom_fields: dict, add_tags: list[str], note: str | None,
                      remove_tags: list[str] | None = None) -> None: ...
    def update_user(self, requester, user_fields: dict) -> None: ...
    def reserve(self, calls: int) -> None: ...
    def field_catalog(self, *, refresh: bool = False): ...


def _fields_of(spec: Writeback, obj: str) -> list[str]:
    return [r.target.split(".", 1)[1] for r in spec.rules if r.target.split(".", 1)[0] == obj]


def record_key(provider: str, kind: str, record_id: object) -> str:
    return f"{provider}:{kind}:{record_id}"


def backoff(attempt: int) -> float:
    return min(MAX_BACKOFF_S, 2.0 * (2 ** max(0, attempt - 1)))


class Enrichment:
    """Dispatches a job by provider; each provider's use-case lives in one method."""

    def __init__(self, *, store: Store, lookup: ProfileLookup, manifest: Manifest, max_attempts: int,
                 reschedule: Callable[[str, float], None], zendesk: ZendeskPort | None = None,
                 salesforce: SalesforcePort | None = None, salesforce_api_share: float = 0.8,
                 on_ticket_read: Callable[[int, Any], None] | None = None, lang: Lang = ENGLISH) -> None:
        self.store = store
        self.lookup = lookup
        self.manifest = manifest
        self.max_attempts = max_attempts
        self.reschedule = reschedule
        self.zendesk = zendesk
        self.salesforce = salesforce
        self.salesforce_api_share = salesforce_api_share
        # Called with (ticket id, ticket) whenever a ticket is read, so that the sidebar's per-ticket
        # cache is primed by the job that ran on ticket creation (the agent's first open reads nothing).
        self.on_ticket_read = on_ticket_read
        self.lang = lang  # the account's language (CONNECTOR_NOTE_LOCALE): the note and `.display` values

    def run(self, key: str) -> str:
        """Process one job; returns what became of it (done outcome, retry, dead, skipped)."""
        started = time.perf_counter()
        token = bind(job=key)
        try:
            outcome = self._run(key)
        finally:
            unbind(token)
        ENRICHMENTS.labels(provider=key.split(":", 1)[0], outcome=outcome).observe(time.perf_counter() - started)
        return outcome

    def _run(self, key: str) -> str:
        job = self.store.claim(key)
        if job is None:
            return "skipped"
        provider, kind, record_id = key.split(":", 2)
        try:
            if provider == "zendesk" and kind == "ticket":
                outcome, note_written = self._zendesk_ticket(int(record_id), job)
            elif provider == "salesforce" and kind in SALESFORCE_OBJECTS:
                outcome, note_written = self._salesforce_record(kind, record_id), False
            else:
                raise errors.ConnectorError(f"no enrichment for {provider}:{kind}", code="unknown_job")
        except errors.UpstreamError as exc:
            return self._failed(job, exc)
        except errors.ConnectorError as exc:
            self.store.dead(key, error=f"{exc.code}: {exc.message}")
            log.warning("enrichment.dead", extra={"job": key, "reason": exc.code})
            return "dead"
        self.store.finish(key, outcome=outcome, note_written=note_written)
        log.info("enrichment.done", extra={"job": key, "outcome": outcome})
        return outcome

    def _failed(self, job: JobRow, exc: errors.UpstreamError) -> str:
        # Waiting for a rate-limit window is not the job failing: it gets many more turns.
        limit = self.max_attempts * RATE_LIMIT_PATIENCE if isinstance(exc, errors.UpstreamRateLimited) \
            else self.max_attempts
        if not exc.retryable or job.attempts >= limit:
            self.store.dead(job.record_key, error=f"{exc.code}: {exc.message}")
            log.warning("enrichment.dead", extra={"job": job.record_key, "reason": exc.code,
                                                  "attempts": job.attempts})
            return "dead"
        delay = exc.retry_after if exc.retry_after is not None else backoff(job.attempts)
        if isinstance(exc, errors.UpstreamRateLimited):
            RATE_LIMIT_WAITS.labels(service=exc.service).inc()
        if isinstance(exc, errors.UpstreamConflict):
            delay = min(delay, 1.0)
        self.store.retry_later(job.record_key, delay=delay, error=f"{exc.code}: {exc.message}")
        self.reschedule(job.record_key, delay)
        log.info("enrichment.retry", extra={"job": job.record_key, "reason": exc.code, "delay": delay})
        return "retry"

    def _zendesk_ticket(self, ticket_id: int, job: JobRow) -> tuple[str, bool]:
        if self.zendesk is None:
            raise errors.ConfigError("Zendesk is not configured (CONNECTOR_ZENDESK_URL…)")
        self.zendesk.reserve(ZENDESK_CALLS_PER_JOB)  # all or nothing: no read that cannot be followed by its write
        draft = self.draft_zendesk(ticket_id, note_written=job.note_written)
        if draft.outcome is not None:
            return draft.outcome, job.note_written
        self.write_zendesk(draft)
        changes = draft.changes
        return changes.reason, job.note_written or changes.note is not None or not draft.note_needed

    def draft_zendesk(self, ticket_id: int, *, note_written: bool | None = None) -> ZendeskDraft:
        """Read the ticket, look up its requester and plan the write, without writing (preview and job share it)."""
        if self.zendesk is None:
            raise errors.ConfigError("Zendesk is not configured (CONNECTOR_ZENDESK_URL…)")
        key = record_key("zendesk", "ticket", ticket_id)
        spec = self.manifest.writeback.get("zendesk")
        ticket = self.zendesk.read_ticket(ticket_id)
        requester = ticket.requester
        if self.on_ticket_read is not None:
            self.on_ticket_read(ticket_id, ticket)
        if requester is None or spec is None:
            return ZendeskDraft(key, ticket, outcome="no_requester" if requester is None else "no_rules")
        contact = Contact(email=requester.email, phone=requester.phone, crm_id=requester.external_id,
                          external_id=requester.external_id)
        card = self.lookup.by_contact(contact, lang=self.lang)
        if note_written is None:
            job = self.store.job(key)
            note_written = bool(job and job.note_written)
        # The marker tag travels in the same PUT as the note, so it proves the note was written
        # even when the worker died before recording it.
        note_needed = (spec.marker_tag not in ticket.tags) if spec.marker_tag else not note_written
        state = RecordState(fields=ticket.custom_fields, tags=ticket.tags, user_fields=requester.user_fields)
        last = self.store.last_written(key)
        planned = plan(card=card, spec=spec, state=state, last_written=last, note_needed=note_needed, lang=self.lang)
        writes = FittedWrites(self.zendesk, planned, state)  # only values that fit the account's fields
        return ZendeskDraft(key, ticket, card=card, spec=spec, state=state, last_written=last, changes=writes.plan,
                            note_needed=note_needed, writes=writes)

    def write_zendesk(self, draft: ZendeskDraft) -> None:
        """Write a planned diff: one ticket PUT (note, fields, tags added and removed), one user PUT."""
        assert self.zendesk is not None and draft.card is not None and draft.writes is not None
        writes = draft.writes
        if writes.plan.record_changes:
            writes.write_ticket(draft.ticket.id)  # on a 422 the plan is fitted again to fresh field metadata
            self._audit(draft.key, writes.plan, draft.card, scopes=("ticket.",))
        if writes.plan.user_fields:
            writes.write_user(draft.ticket.requester)
            self._audit(draft.key, writes.plan, draft.card, scopes=("user.",))
        self._record_skips(draft.key, writes.skipped(), draft.card)
        draft.changes = writes.plan

    def _record_skips(self, key: str, skips: list[Skip], card: Card) -> None:
        """The ledger says which planned values were not written, and why (no value: nothing was written)."""
        before = self.store.last_skipped(key) if skips else {}
        skips = [s for s in skips if before.get(s.target) != s.reason]  # each reason once, not at every run
        if skips:
            self.store.record_writes(key, [AuditEntry(s.target, s.reason, SKIPPED) for s in skips],
                                     profile_id=card.profile_id, profile_last_modified=card.last_modified_at,
                                     namespace=card.matched.namespace if card.matched else None)

    def _salesforce_record(self, obj: str, record_id: str) -> str:
        """Case → its contact; Contact/Lead → itself. Re-read (deliveries are late and out of order),
        look up, and PATCH only the changed fields: one call, or one sObject Collections call for two records."""
        self._check_salesforce_budget()
        draft = self.draft_salesforce(obj, record_id)
        if draft.outcome is not None:
            return draft.outcome
        self.write_salesforce(draft)
        return "written"

    def draft_salesforce(self, obj: str, record_id: str) -> SalesforceDraft:
        """Read the record (a Case and its Contact), look up, plan each record's PATCH; write nothing."""
        sf = self.salesforce
        spec = self.manifest.writeback.get("salesforce")
        if sf is None:
            raise errors.ConfigError("Salesforce is not configured (CONNECTOR_SALESFORCE_INSTANCE_URL…)")
        if spec is None:
            return SalesforceDraft(outcome="no_rules")
        records: list[tuple[str, str, dict]] = []
        if obj == "Case":
            case = sf.get("Case", record_id, ["Id", "ContactId", *_fields_of(spec, "Case")])
            if not case.get("ContactId"):
                return SalesforceDraft(outcome="no_contact")
            records.append(("Case", record_id, case))
            person_obj, person_id = "Contact", str(case["ContactId"])
        else:
            person_obj, person_id = obj, record_id
        identity_fields = ["Email", "Phone"] + (["AEP_CRM_Id__c"] if person_obj == "Contact" else [])
        person = sf.get(person_obj, person_id, ["Id", *identity_fields, *_fields_of(spec, person_obj)])
        records.insert(0, (person_obj, person_id, person))
        card = self.lookup.by_contact(Contact(email=person.get("Email"), phone=person.get("Phone"),
                                              crm_id=person.get("AEP_CRM_Id__c")), lang=self.lang)
        planned = [self._plan_salesforce_all(card, spec, o, i, current) for o, i, current in records]
        draft = SalesforceDraft(card=card, spec=spec, records=records, plans=planned)
        if not draft.writes:
            if card.status != "found":
                draft.outcome = "no_profile" if card.status == "not_found" else card.status
            else:
                draft.outcome = "unchanged" if card.writable else "low_confidence"
        return draft

    def write_salesforce(self, draft: SalesforceDraft) -> None:
        assert draft.card is not None
        for obj, record_id, changes in draft.plans:
            self._record_salesforce_skips(draft.card, obj, record_id, changes)
        self._write_salesforce([(draft.card, *p) for p in draft.writes])

    def backfill_salesforce(self, obj: str, *, limit: int) -> dict[str, int]:
        """Enrich existing records in bulk: one query per 200 records, one sObject Collections PATCH per 200."""
        sf, spec = self.salesforce, self.manifest.writeback.get("salesforce")
        if sf is None or spec is None:
            raise errors.ConfigError("Salesforce is not configured (CONNECTOR_SALESFORCE_INSTANCE_URL…)")
        self._check_salesforce_budget()
        identity_fields = ["Email", "Phone"] + (["AEP_CRM_Id__c"] if obj == "Contact" else [])
        records = sf.query(obj, ["Id", *identity_fields, *_fields_of(spec, obj)], limit=limit)
        counts = {"records": len(records), "written": 0, "failed": 0}
        writes = []
        for record in records:
            card = self.lookup.by_contact(Contact(email=record.get("Email"), phone=record.get("Phone"),
                                                  crm_id=record.get("AEP_CRM_Id__c")), lang=self.lang)
            planned = self._plan_salesforce(card, spec, obj, str(record["Id"]), record)
            if planned:
                writes.append((card, *planned))
        try:
            self._write_salesforce(writes)
        except errors.UpstreamError as exc:
            if exc.retryable:
                raise
            counts["failed"] = exc.message.count(" | ") + 1
        counts["written"] = len(writes) - counts["failed"]
        return counts

    def _plan_salesforce(self, card: Card, spec: Writeback, obj: str, record_id: str,
                         current: dict) -> tuple[str, str, Plan] | None:
        planned = self._plan_salesforce_all(card, spec, obj, record_id, current)
        self._record_salesforce_skips(card, *planned)
        return planned if planned[2].fields else None

    def _plan_salesforce_all(self, card: Card, spec: Writeback, obj: str, record_id: str,
                             current: dict) -> tuple[str, str, Plan]:
        key = record_key("salesforce", obj, record_id)
        changes = plan(card=card, spec=salesforce_rules(spec, obj), state=RecordState(fields=current),
                       last_written=self.store.last_written(key), note_needed=False,
                       now=utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), fit=self._salesforce_fit(obj), lang=self.lang)
        return obj, record_id, changes

    def _record_salesforce_skips(self, card: Card, obj: str, record_id: str, changes: Plan) -> None:
        """Values the fields cannot take: the ledger says so, once (not at every run)."""
        if not (changes.skipped and card.writable):
            return
        key = record_key("salesforce", obj, record_id)
        text = "skipped " + "; ".join(f"{target}: {why}" for target, why in changes.skipped)
        if self.store.last_skipped(key).get(f"{obj}.*") != text:
            self.store.record_writes(key, [AuditEntry(f"{obj}.*", text, SKIPPED)], profile_id=card.profile_id,
                                     profile_last_modified=card.last_modified_at,
                                     namespace=card.matched.namespace if card.matched else None)

    def _salesforce_fit(self, obj: str) -> Fit:
        """Each value as Salesforce will store it in its field (describe, read once per object)."""
        assert self.salesforce is not None
        fields = self.salesforce.field_metadata(obj)

        def fit_target(target: str, value: Any) -> Fitted:
            return fit(fields.get(target.split(".", 1)[1]), value)
        return fit_target

    def _write_salesforce(self, writes: list[tuple[Card, str, str, Plan]]) -> None:
        """One PATCH for one record, sObject Collections for more; refusals go to the ledger, then raise."""
        sf = self.salesforce
        assert sf is not None
        if not writes:
            return
        if len(writes) == 1:
            _, obj, record_id, changes = writes[0]
            try:
                sf.update(obj, record_id, changes.fields)
            except errors.UpstreamError as exc:
                if exc.retryable:
                    raise
                failures: list[str | None] = [exc.message]
            else:
                failures = [None]
        else:
            failures = sf.update_many([(o, i, c.fields) for _, o, i, c in writes])
        problems = []
        for (card, obj, record_id, changes), failure in zip(writes, failures, strict=True):
            key = record_key("salesforce", obj, record_id)
            if failure:  # validation rules, field-level security…: recorded, then dead-lettered
                problems.append(f"{obj} {record_id}: {failure}")
                self.store.record_writes(key, [AuditEntry(f"{obj}.*", failure[:500], "refused"), *_identities(card)],
                                         profile_id=card.profile_id, profile_last_modified=card.last_modified_at,
                                         namespace=card.matched.namespace if card.matched else None)
            else:
                self._audit(key, changes, card, scopes=(f"{obj}.",))
        if problems:
            raise errors.UpstreamError("Salesforce refused the update: " + " | ".join(problems), service="Salesforce")

    def check_salesforce_budget(self) -> None:
        """The daily API-usage pause, for a write the agent confirmed outside the queue."""
        self._check_salesforce_budget()

    def _check_salesforce_budget(self) -> None:
        usage = getattr(self.salesforce, "usage", None)
        if usage is not None and usage.share >= self.salesforce_api_share:
            raise errors.UpstreamRateLimited(
                f"Salesforce daily API usage at {usage.used}/{usage.allocation}: enrichment paused",
                service="Salesforce", retry_after=SALESFORCE_PAUSE_S)

    def _audit(self, key: str, changes: Plan, card: Card, *, scopes: tuple[str, ...]) -> None:
        matched = card.matched
        entries = [AuditEntry(target, value, policy) for target, value, policy in changes.audit
                   if target.startswith(scopes)]
        if entries:
            entries.extend(_identities(card))
        self.store.record_writes(key, entries, profile_id=card.profile_id,
                                 profile_last_modified=card.last_modified_at,
                                 namespace=matched.namespace if matched else None)


def _identities(card: Card) -> list[AuditEntry]:
    """Digests of the contact's identities, kept with the writes so that `forget` finds them by any of them."""
    return [AuditEntry(f"identity:{namespace}", value, IDENTITY_POLICY) for namespace, value in card.identity_digests]
