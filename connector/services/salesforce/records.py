"""Salesforce enrichment: a Case by its contact, a Contact or Lead by itself. Re-read the records
(deliveries are late and out of order), look up, and PATCH only the changed fields: one call, or one
sObject Collections call for two records. Values are fitted to ``describe`` first (read once per object)."""
from __future__ import annotations

from typing import Any, Protocol

from connector import errors
from connector.core.fieldfit import FieldMeta, Fitted, fit
from connector.core.jobkey import JobKey
from connector.core.lang import Lang
from connector.core.manifest import Writeback
from connector.core.models import Card
from connector.core.targets import Target
from connector.core.writeplan import Fit, Plan, RecordState, plan
from connector.services.drafts import Draft, Part
from connector.services.ledger import Ledger
from connector.services.lookup import ProfileLookup
from connector.services.salesforce.cards import contact_of, identity_fields
from connector.store.db import utcnow

PAUSE_S = 300.0  # re-check the org's usage every five minutes while paused


class SalesforcePort(Protocol):
    usage: Any

    def get(self, obj: str, record_id: str, fields: list[str]) -> dict: ...
    def query(self, obj: str, fields: list[str], *, ids: list[str] | None = None,
              limit: int | None = None) -> list[dict]: ...
    def update(self, obj: str, record_id: str, changes: dict[str, Any]) -> None: ...
    def update_many(self, writes: list[tuple[str, str, dict[str, Any]]]) -> list[str | None]: ...
    def field_metadata(self, obj: str) -> dict[str, FieldMeta]: ...


def changes_of(changes: Plan) -> dict[str, Any]:
    """One record's PATCH: its fields as the record (Case) or as the person (Contact, Lead)."""
    return {**changes.fields, **changes.person_fields}


class Records:
    def __init__(self, *, salesforce: SalesforcePort, spec: Writeback | None, lookup: ProfileLookup, ledger: Ledger,
                 lang: Lang, api_share: float) -> None:
        self.sf = salesforce
        self.spec = spec
        self.lookup = lookup
        self.ledger = ledger
        self.lang = lang
        self.api_share = api_share

    def check_budget(self) -> None:
        """The daily API-usage pause: enrichment waits while the org is above its share."""
        usage = getattr(self.sf, "usage", None)
        if usage is not None and usage.share >= self.api_share:
            raise errors.UpstreamRateLimited(
                f"Salesforce daily API usage at {usage.used}/{usage.allocation}: enrichment paused",
                service="Salesforce", retry_after=PAUSE_S)

    def draft(self, key: JobKey) -> Draft:
        """Read the record (a Case and its Contact), look up, plan each record's PATCH; write nothing."""
        spec = self.spec
        if spec is None:
            return Draft(key, outcome="no_rules")
        records: list[tuple[JobKey, dict]] = []
        person_key = key
        if key.object == "Case":
            case = self.sf.get("Case", key.id, ["Id", "ContactId", *_fields_of(spec, "Case")])
            if not case.get("ContactId"):
                return Draft(key, outcome="no_contact")
            records.append((key, case))
            person_key = key.sibling("Contact", str(case["ContactId"]))
        person = self.sf.get(person_key.object, person_key.id,
                             ["Id", *identity_fields(person_key.object), *_fields_of(spec, person_key.object)])
        records.insert(0, (person_key, person))
        card = self.lookup.by_contact(contact_of(person), lang=self.lang)
        draft = Draft(key, card=card, parts=[self._part(card, spec, k, current) for k, current in records])
        if not draft.writes:
            if card.status != "found":
                draft.outcome = "no_profile" if card.status == "not_found" else card.status
            else:
                draft.outcome = "unchanged" if card.writable else "low_confidence"
        return draft

    def write(self, draft: Draft) -> tuple[str, bool]:
        assert draft.card is not None
        for part in draft.parts:
            self._skips(draft.card, part)
        self._write([(draft.card, part) for part in draft.writes])
        return "written", False

    def backfill(self, obj: str, *, limit: int) -> dict[str, int]:
        """Enrich existing records in bulk: one query per 200 records, one sObject Collections PATCH per 200."""
        spec = self.spec
        if spec is None:
            raise errors.ConfigError("the manifest has no writeback.salesforce rules")
        self.check_budget()
        records = self.sf.query(obj, ["Id", *identity_fields(obj), *_fields_of(spec, obj)], limit=limit)
        counts = {"records": len(records), "written": 0, "failed": 0}
        writes = []
        for record in records:
            card = self.lookup.by_contact(contact_of(record), lang=self.lang)
            part = self._part(card, spec, JobKey("salesforce", obj, str(record["Id"])), record)
            self._skips(card, part)
            if not part.plan.empty:
                writes.append((card, part))
        try:
            self._write(writes)
        except errors.UpstreamError as exc:
            if exc.retryable:
                raise
            counts["failed"] = exc.message.count(" | ") + 1
        counts["written"] = len(writes) - counts["failed"]
        return counts

    def _part(self, card: Card, spec: Writeback, key: JobKey, current: dict) -> Part:
        rules = spec.only(key.object)
        on_person = any(r.target.on_person for r in rules.rules)
        state = RecordState(person_fields=current) if on_person else RecordState(fields=current)
        changes = plan(card=card, spec=rules, state=state, last_written=self.ledger.last_written(key),
                       note_needed=False, now=utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                       fit=self._fit(key.object), lang=self.lang)
        return Part(key, rules, state, changes)

    def _skips(self, card: Card, part: Part) -> None:
        """Values the fields cannot take: the ledger says so, once (not at every run)."""
        if part.plan.skipped and card.writable:
            text = "skipped " + "; ".join(f"{target}: {why}" for target, why in part.plan.skipped)
            self.ledger.skipped(part.key, [(f"{part.key.object}.*", text)], card)

    def _fit(self, obj: str) -> Fit:
        """Each value as Salesforce will store it in its field (describe, read once per object)."""
        fields = self.sf.field_metadata(obj)

        def fit_target(target: Target, value: Any) -> Fitted:
            return fit(fields.get(target.name), value)
        return fit_target

    def _write(self, writes: list[tuple[Card, Part]]) -> None:
        """One PATCH for one record, sObject Collections for more; refusals go to the ledger, then raise."""
        if not writes:
            return
        if len(writes) == 1:
            _, part = writes[0]
            try:
                self.sf.update(part.key.object, part.key.id, changes_of(part.plan))
            except errors.UpstreamError as exc:
                if exc.retryable:
                    raise
                failures: list[str | None] = [exc.message]
            else:
                failures = [None]
        else:
            failures = self.sf.update_many([(p.key.object, p.key.id, changes_of(p.plan)) for _, p in writes])
        problems = []
        for (card, part), failure in zip(writes, failures, strict=True):
            if failure:  # validation rules, field-level security…: recorded, then dead-lettered
                problems.append(f"{part.key.object} {part.key.id}: {failure}")
                self.ledger.refused(part.key, f"{part.key.object}.*", failure, card)
            else:
                self.ledger.written(part.key, part.plan, card)
        if problems:
            raise errors.UpstreamError("Salesforce refused the update: " + " | ".join(problems), service="Salesforce")


def _fields_of(spec: Writeback, obj: str) -> list[str]:
    return [r.target.name for r in spec.rules if r.target.object == obj]
