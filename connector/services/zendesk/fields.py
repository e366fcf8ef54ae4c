"""Zendesk write-back that follows the account's field metadata.

Zendesk refuses a whole ticket update when one custom field value does not fit (422
RecordInvalid, reference/zendesk.md §4.1/§4.4) and drops unknown user field keys without a
word. So the plan is fitted to ``ticket_fields``/``user_fields`` (read once, cached by the
adapter): a value that cannot fit is skipped and recorded, the rest is written. A 422 means the
metadata changed under us: read it again and retry that write once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from connector import errors
from connector.core.writeplan import Plan, RecordState
from connector.services.zendesk.catalog import Skip, fit_plan

log = logging.getLogger(__name__)

class FittedWrites:
    """A write plan fitted to the Zendesk field metadata, written part by part."""

    def __init__(self, zendesk: Any, planned: Plan, state: RecordState) -> None:
        self._zendesk = zendesk
        self._planned = planned
        self._state = state
        self.plan, self.skips = fit_plan(planned, zendesk.field_catalog(), state)

    def write_ticket(self, ticket_id: int) -> None:
        """One ticket PUT: note, fitted custom fields, tags added and removed."""
        def write(plan: Plan) -> None:
            if plan.record_changes:
                self._zendesk.update_ticket(ticket_id, custom_fields=plan.fields, add_tags=plan.add_tags,
                                            note=plan.note, remove_tags=plan.remove_tags)
        self._run(write)

    def write_user(self, requester: Any) -> None:
        """One user PUT with the fitted user fields."""
        def write(plan: Plan) -> None:
            if plan.person_fields:
                self._zendesk.update_user(requester, plan.person_fields)
        self._run(write)

    def _run(self, write: Callable[[Plan], None]) -> None:
        """Write one part of the fitted plan; on a 422, refit with fresh metadata and write once more."""
        try:
            write(self.plan)
        except errors.UpstreamError as exc:
            if exc.upstream_status != 422:
                raise
            log.info("zendesk.fields.refresh", extra={"reason": exc.code})
            self.plan, self.skips = fit_plan(self._planned, self._zendesk.field_catalog(refresh=True), self._state)
            write(self.plan)

    def skipped(self) -> list[Skip]:
        if self.skips:
            log.warning("zendesk.fields.skipped", extra={"targets": [s.target for s in self.skips]})
        return self.skips
