"""What an enrichment would write, planned but not yet written: shared by the queue job and the preview."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.core.jobkey import JobKey
from connector.core.manifest import Writeback
from connector.core.models import Card
from connector.core.writeplan import Plan, RecordState


@dataclass
class Part:
    """One record's share of a draft: its rules, what it holds now, and its plan."""

    key: JobKey
    spec: Writeback
    state: RecordState
    plan: Plan


@dataclass
class Draft:
    """What enriching one record would write (``outcome`` set when there is nothing to plan)."""

    key: JobKey
    outcome: str | None = None
    card: Card | None = None
    parts: list[Part] = field(default_factory=list)
    note_needed: bool = False
    extra: Any = None  # the provider's own working state (the ticket read, the fitted writes…)

    @property
    def changes(self) -> Plan:
        """The first part's plan (a provider with one record per job has only that one)."""
        return self.parts[0].plan if self.parts else Plan(reason=self.outcome or "unchanged")

    @property
    def writes(self) -> list[Part]:
        return [p for p in self.parts if not p.plan.empty]
