"""Privacy requests: forget a person — cache, audit personal data and, on request, the CRM fields
the connector wrote for them (only where they still hold what it wrote: an agent's edit stays)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from connector.core.identity import digest
from connector.core.writeplan import same
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
    cleared: list[str] = field(default_factory=list)  # record_key/target
    kept: list[str] = field(default_factory=list)  # changed since the connector wrote them, or not clearable


def forget(*, lookup: ProfileLookup, store: Store, namespace: str, value: str, clear_crm: bool,
           zendesk: Any = None, salesforce: Any = None) -> ForgetReport:
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
        _clear_crm(store.writes_for_person(person), zendesk, salesforce, report)
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


def _clear_crm(writes: list[dict], zendesk: Any, salesforce: Any, report: ForgetReport) -> None:
    by_record: dict[str, dict[str, Any]] = {}
    for row in writes:
        by_record.setdefault(row["record_key"], {})[row["target"]] = row["value"]
    for key, targets in by_record.items():
        provider, kind, record_id = key.split(":", 2)
        if provider == "zendesk" and zendesk is not None:
            _clear_zendesk(zendesk, int(record_id), key, targets, report)
        elif provider == "salesforce" and salesforce is not None:
            _clear_salesforce(salesforce, kind, record_id, key, targets, report)
        else:
            report.kept.extend(f"{key}/{t}" for t in targets)


def _clear_zendesk(zendesk: Any, ticket_id: int, key: str, targets: dict[str, Any], report: ForgetReport) -> None:
    ticket = zendesk.read_ticket(ticket_id)
    fields, tags, user_keys = [], [], []
    for target, written in targets.items():
        scope, _, name = target.rpartition(".")
        if target == "ticket.note":
            report.kept.append(f"{key}/{target}")  # comments cannot be deleted through the API; redact in Zendesk
        elif scope == "ticket.tags":
            if name in ticket.tags:
                tags.append(name)
        elif scope == "ticket.custom_fields" and same(ticket.custom_fields.get(name), written):
            fields.append(name)
        elif scope == "user.user_fields" and ticket.requester and same(ticket.requester.user_fields.get(name), written):
            user_keys.append(name)
        else:
            report.kept.append(f"{key}/{target}")
    zendesk.clear_ticket(ticket_id, custom_fields=fields, remove_tags=tags)
    if ticket.requester is not None:
        zendesk.clear_user_fields(ticket.requester.id, user_keys)
    report.cleared.extend([f"{key}/ticket.custom_fields.{f}" for f in fields] + [f"{key}/ticket.tags:{t}" for t in tags]
                          + [f"{key}/user.user_fields.{k}" for k in user_keys])


def _clear_salesforce(salesforce: Any, obj: str, record_id: str, key: str, targets: dict[str, Any],
                      report: ForgetReport) -> None:
    names = [t.split(".", 1)[1] for t in targets if "." in t and not t.endswith(".*")]
    current = salesforce.get(obj, record_id, ["Id", *names])
    clear = [n for n in names if same(current.get(n), targets[f"{obj}.{n}"])]
    report.kept.extend(f"{key}/{obj}.{n}" for n in names if n not in clear)
    if clear:
        salesforce.update(obj, record_id, dict.fromkeys(clear))
        report.cleared.extend(f"{key}/{obj}.{n}" for n in clear)
