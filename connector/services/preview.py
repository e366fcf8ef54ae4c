"""Writes the agent approves: the diff enrichment would write to a record, and a confirmed write of
exactly that diff (a fresh plan that differs is answered with the new diff instead of a write).

The plan comes from the provider's ``draft``, the same one the queue job runs, so a preview and a
write can never disagree about what the manifest means.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from connector import errors
from connector.core.jobkey import JobKey
from connector.core.models import Card
from connector.core.preview import Change, effective, explain, plan_token, same_plan
from connector.providers import parse_key
from connector.services.drafts import Draft
from connector.services.jobs import Jobs

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


def parse_record(text: object) -> JobKey:
    """A record a request names (``provider:object:id``) that a registered provider enriches."""
    try:
        return parse_key(text)
    except ValueError as exc:
        raise errors.PayloadError(str(exc), code="invalid_record") from None


def rows(draft: Draft) -> Preview:
    """A draft as the agent reviews it: every rule of every record it touches, old → new or why not."""
    record, card = str(draft.key), draft.card
    if card is None or not draft.parts:
        return Preview(record, draft.outcome, card=card)
    reason = draft.changes.reason
    if card.status != "found" or not card.writable or reason not in ("written", "unchanged"):
        return Preview(record, draft.outcome or reason, card=card)
    changes: list[Change] = []
    for part in draft.parts:
        changes += explain(record=str(part.key), card=card, spec=part.spec, state=part.state, changes=part.plan)
    return Preview(record, None, changes, card=card)


class Previews:
    def __init__(self, *, jobs: Jobs, secret: str) -> None:
        self.jobs = jobs
        self.secret = secret

    def preview(self, key: JobKey | str, *, session: str = "") -> Preview:
        """The diff for ``key``; its token is good for this record and this session (the agent's) only."""
        key = key if isinstance(key, JobKey) else parse_record(key)
        return self._sign(rows(self.jobs.connected(key).draft(key)), session)

    def apply(self, key: JobKey | str, token: str, *, session: str = "") -> Applied:
        """Write only if a fresh plan still makes the diff ``token`` signs; otherwise show the new diff.

        The write holds the record's job lease, as the queue job does: one writer at a time (a concurrent
        confirmation is refused with WriteInProgress), and the job finds the record written (its note too)."""
        key = key if isinstance(key, JobKey) else parse_record(key)
        store = self.jobs.store
        claimed = store.claim_now(str(key), provider=key.provider)
        if claimed is None:
            log.info("preview.apply.busy", extra={"record": str(key)})
            raise errors.WriteInProgress("this record is being written right now: check it again in a moment")
        job, previous = claimed
        try:
            applied, note_written = self._apply(key, token, job.note_written, session)
        except BaseException:
            store.release(str(key), previous=previous, lease=job.lease)
            raise
        if applied.status == "written":
            store.finish(str(key), outcome="written", note_written=note_written, lease=job.lease)
        else:
            store.release(str(key), previous=previous, lease=job.lease)
        return applied

    def _apply(self, key: JobKey, token: str, noted: bool, session: str) -> tuple[Applied, bool]:
        connected = self.jobs.connected(key)
        connected.reserve()  # the queue job's request budget (or the daily usage pause), all or nothing
        draft = connected.draft(key, note_written=noted)
        preview = self._sign(rows(draft), session)
        if not same_plan(token, preview.changes, secret=self.secret, record=str(key), session=session):
            log.info("preview.apply.changed", extra={"record": str(key)})
            return Applied("changed", preview), noted
        if not preview.writes:
            return Applied("unchanged", preview), noted
        _, wrote_note = connected.write(draft)
        log.info("preview.apply.written", extra={"record": str(key), "writes": preview.writes})
        return Applied("written", preview), noted or wrote_note

    def _sign(self, preview: Preview, session: str) -> Preview:
        preview.token = plan_token(preview.changes, secret=self.secret, record=preview.record, session=session)
        return preview
