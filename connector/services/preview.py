"""Writes the agent approves: the diff enrichment would write to a record, and a confirmed write of
exactly that diff (a fresh plan that differs is answered with the new diff instead of a write).

The plan comes from the enrichment service's ``draft_*`` methods, the same ones the queue job runs,
so a preview and a write can never disagree about what the manifest means.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from connector import errors
from connector.core.models import Card
from connector.core.preview import Change, effective, explain, plan_token, same_plan
from connector.core.writeplan import RecordState
from connector.services.drafts import SalesforceDraft, ZendeskDraft, salesforce_rules
from connector.services.enrichment import SALESFORCE_OBJECTS, ZENDESK_CALLS_PER_JOB, Enrichment

log = logging.getLogger(__name__)


@dataclass
class Preview:
    record: str
    outcome: str | None  # why nothing can be planned: no_requester, no_profile, low_confidence…
    changes: list[Change] = field(default_factory=list)
    token: str = ""
    card: Card | None = None

    @property
    def writes(self) -> int:
        return len(effective(self.changes))

    def to_dict(self) -> dict:
        return {"record": self.record, "outcome": self.outcome, "writes": self.writes,
                "changes": [c.to_dict() for c in self.changes], "plan_token": self.token}


@dataclass
class Applied:
    status: str  # written | unchanged | changed (the plan no longer matches the token: nothing written)
    preview: Preview


def parse_record(key: str) -> tuple[str, str, str]:
    """``zendesk:ticket:42`` / ``salesforce:Case:500…`` → (provider, object, id)."""
    provider, _, rest = key.partition(":")
    kind, _, record_id = rest.partition(":")
    if provider == "zendesk" and kind == "ticket" and record_id.isdigit():
        return provider, kind, record_id
    if provider == "salesforce" and kind in SALESFORCE_OBJECTS and record_id.isalnum() and len(record_id) in (15, 18):
        return provider, kind, record_id
    raise errors.PayloadError(f"not a record: {key!r} (zendesk:ticket:<id> or salesforce:<Case|Contact|Lead>:<id>)",
                              code="invalid_record")


class Previews:
    def __init__(self, *, enrichment: Enrichment, secret: str) -> None:
        self.enrichment = enrichment
        self.secret = secret

    def preview(self, key: str, *, session: str = "") -> Preview:
        """The diff for ``key``; its token is good for this record and this session (the agent's) only."""
        return self._draft(key, session)[0]

    def apply(self, key: str, token: str, *, session: str = "") -> Applied:
        """Write only if a fresh plan still makes the diff ``token`` signs; otherwise show the new diff.

        The write holds the record's job lease, as the queue job does: one writer at a time (a concurrent
        confirmation is refused with WriteInProgress), and the job finds the record written (its note too)."""
        provider, _, record_id = parse_record(key)
        store = self.enrichment.store
        claimed = store.claim_now(key, provider=provider)
        if claimed is None:
            log.info("preview.apply.busy", extra={"record": key})
            raise errors.WriteInProgress("this record is being written right now: check it again in a moment")
        job, previous = claimed
        try:
            applied, note_written = self._apply(key, provider, int(record_id) if provider == "zendesk" else 0,
                                                token, job.note_written, session)
        except BaseException:
            store.release(key, previous=previous)
            raise
        if applied.status == "written":
            store.finish(key, outcome="written", note_written=note_written)
        else:
            store.release(key, previous=previous)
        return applied

    def _apply(self, key: str, provider: str, ticket_id: int, token: str, noted: bool,
               session: str) -> tuple[Applied, bool]:
        draft: ZendeskDraft | SalesforceDraft
        if provider == "zendesk":
            zendesk = self.enrichment.zendesk
            if zendesk is None:
                raise errors.ConfigError("Zendesk is not configured (CONNECTOR_ZENDESK_URL…)")
            zendesk.reserve(ZENDESK_CALLS_PER_JOB)  # the queue job's request budget, all or nothing
            zd = self.enrichment.draft_zendesk(ticket_id, note_written=noted)
            preview, draft = self._sign(self._zendesk(zd), session), zd
        else:
            self.enrichment.check_salesforce_budget()  # the daily API-usage pause holds for confirmed writes too
            preview, draft = self._draft(key, session)
        if not same_plan(token, preview.changes, secret=self.secret, record=key, session=session):
            log.info("preview.apply.changed", extra={"record": key})
            return Applied("changed", preview), noted
        if not preview.writes:
            return Applied("unchanged", preview), noted
        if isinstance(draft, ZendeskDraft):
            self.enrichment.write_zendesk(draft)
            noted = noted or draft.changes.note is not None or not draft.note_needed
        else:
            self.enrichment.write_salesforce(draft)
        log.info("preview.apply.written", extra={"record": key, "writes": preview.writes})
        return Applied("written", preview), noted

    def _draft(self, key: str, session: str) -> tuple[Preview, ZendeskDraft | SalesforceDraft]:
        provider, kind, record_id = parse_record(key)
        if provider == "zendesk":
            zd = self.enrichment.draft_zendesk(int(record_id))
            return self._sign(self._zendesk(zd), session), zd
        sf = self.enrichment.draft_salesforce(kind, record_id)
        return self._sign(self._salesforce(key, sf), session), sf

    def _sign(self, preview: Preview, session: str) -> Preview:
        preview.token = plan_token(preview.changes, secret=self.secret, record=preview.record, session=session)
        return preview

    @staticmethod
    def _zendesk(draft: ZendeskDraft) -> Preview:
        if draft.card is None or draft.spec is None:
            return Preview(draft.key, draft.outcome)
        outcome = None if draft.changes.reason in ("written", "unchanged") else draft.changes.reason
        rows = [] if outcome else explain(record=draft.key, card=draft.card, spec=draft.spec, state=draft.state,
                                          changes=draft.changes)
        return Preview(draft.key, outcome, rows, card=draft.card)

    @staticmethod
    def _salesforce(key: str, draft: SalesforceDraft) -> Preview:
        card, spec = draft.card, draft.spec
        if card is None or spec is None:
            return Preview(key, draft.outcome)
        if card.status != "found" or not card.writable:
            return Preview(key, draft.outcome, card=card)
        rows: list[Change] = []
        for (obj, record_id, current), (_, _, changes) in zip(draft.records, draft.plans, strict=True):
            rows += explain(record=f"salesforce:{obj}:{record_id}", card=card, spec=salesforce_rules(spec, obj),
                            state=RecordState(fields=current), changes=changes)
        return Preview(key, None, rows, card=card)
