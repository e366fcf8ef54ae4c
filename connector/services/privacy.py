"""Privacy requests: forget a person — cache, audit personal data and, on request, the CRM fields
the connector wrote for them (only where they still hold what it wrote: an agent's edit stays)."""
from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.core.identity import digest
from connector.core.jobkey import JobKey
from connector.providers import Connected
from connector.services.cache import GENERATION_KEY
from connector.services.lookup import ProfileLookup
from connector.store.db import Store

log = logging.getLogger(__name__)


@dataclass
class ForgetReport:
    profile_found: bool = False  # AEP still had a profile for the identity
    recorded: bool = False  # the connector's ledger held something about the person
    audit_rows: int = 0
    identities: int = 0  # identities of the person the ledger knew (digests), the given one included
    cleared: list[str] = field(default_factory=list)  # record key/target
    kept: list[str] = field(default_factory=list)  # changed since the connector wrote them, or not clearable


def forget(*, lookup: ProfileLookup, store: Store, namespace: str, value: str, clear_crm: bool,
           providers: Mapping[str, Connected] | None = None) -> ForgetReport:
    """Forget a person by one identity: AEP may have deleted the profile already (its own privacy job
    runs first), so the ledger is searched by the identity's digest and value as well as by profile id,
    and every identity and profile id recorded with the rows found is followed."""
    report = ForgetReport()
    identity = lookup.candidate(namespace, value).identity
    card = lookup.by_identity(namespace, value, refresh=True)
    report.profile_found = card.profile_id is not None
    person = store.find_person(digests=[digest(identity)], values=[identity.value, value.strip()],
                               profile_ids=[card.profile_id] if card.profile_id else [])
    report.recorded = bool(person.row_ids)
    report.identities = len(person.digests)
    if clear_crm:
        _clear_crm(store.writes_for_person(person), providers or {}, report)
    report.audit_rows = store.forget_person(person)
    _forget_cached(lookup, store, person.digests)
    log.info("privacy.forget.done", extra={"audit_rows": report.audit_rows, "cleared": len(report.cleared),
                                           "identities": report.identities})
    return report


def _forget_cached(lookup: ProfileLookup, store: Store, digests: frozenset[str]) -> None:
    """Drop the person from this process's cache (or Redis), then tell every other process's cache."""
    for key in digests:
        lookup.cache.forget_digest(key)
    store.put_setting(GENERATION_KEY, uuid.uuid4().hex)


def _clear_crm(writes: list[dict], providers: Mapping[str, Connected], report: ForgetReport) -> None:
    by_record: dict[str, dict[str, Any]] = {}
    for row in writes:
        by_record.setdefault(row["record_key"], {})[row["target"]] = row["value"]
    for text, targets in by_record.items():
        try:
            key: JobKey | None = JobKey.parse(text)
        except ValueError:
            key = None
        connected = providers.get(key.provider) if key is not None else None
        if key is None or connected is None:
            report.kept.extend(f"{text}/{t}" for t in targets)
            continue
        cleared, kept = connected.clear(key, targets)
        report.cleared.extend(cleared)
        report.kept.extend(kept)
