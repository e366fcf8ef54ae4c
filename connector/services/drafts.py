"""What an enrichment would write, planned but not yet written: shared by the queue job and the preview."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.core.manifest import Writeback
from connector.core.models import Card
from connector.core.writeplan import Plan, RecordState


@dataclass
class ZendeskDraft:
    """What enriching one ticket would write (``outcome`` set when there is nothing to plan)."""

    key: str
    ticket: Any
    outcome: str | None = None
    card: Card | None = None
    spec: Writeback | None = None
    state: RecordState = field(default_factory=RecordState)
    last_written: dict = field(default_factory=dict)
    changes: Plan = field(default_factory=Plan)
    note_needed: bool = False
    writes: Any = None  # the plan fitted to the account's field metadata (FittedWrites), written part by part


@dataclass
class SalesforceDraft:
    """What enriching one record would PATCH: the records read, and each one's plan."""

    outcome: str | None = None
    card: Card | None = None
    spec: Writeback | None = None
    records: list[tuple[str, str, dict]] = field(default_factory=list)
    plans: list[tuple[str, str, Plan]] = field(default_factory=list)

    @property
    def writes(self) -> list[tuple[str, str, Plan]]:
        return [p for p in self.plans if p[2].fields]


def salesforce_rules(spec: Writeback, obj: str) -> Writeback:
    return Writeback(rules=tuple(r for r in spec.rules if r.target.split(".", 1)[0] == obj))
