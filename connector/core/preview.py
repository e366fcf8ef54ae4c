"""The per-field diff a write plan would make, for the agent to review before anything is written.

Pure: explains a ``Plan`` (from ``writeplan.plan``) rule by rule — old value → new value, or the
policy that keeps the field as it is (``fill_blank``, ``never_overwrite_human_edit``, ``consent``,
``label``, ``unchanged``, ``no_value``; a row the consent or label policy withholds carries no value,
only its reason) — and signs the effective changes, so that a confirmation
writes only when a freshly computed plan still makes exactly the diff the agent saw.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass
from typing import Any, TypeGuard

from connector.core.lang import N_
from connector.core.manifest import Writeback, WriteRule
from connector.core.models import Card
from connector.core.writeplan import Plan, RecordState, resolve, same, tag_of, withheld_by

WRITE, REMOVE, KEEP = "write", "remove", "keep"
TOKEN_RE = re.compile(r"[0-9a-f]{64}")  # a plan token is the hex HMAC-SHA256 ``plan_token`` makes


def well_formed(token: object) -> TypeGuard[str]:
    """The form of a plan token, checked before anything is read for it."""
    return isinstance(token, str) and TOKEN_RE.fullmatch(token) is not None


@dataclass(frozen=True)
class Change:
    """One line of the diff: what the target holds, what it would hold, and why."""

    record: str  # the record's job key (provider:object:id)
    target: str  # the target's wire name, as the manifest writes it
    label: str  # the card field's label, or the write-back value it comes from
    old: Any
    new: Any
    action: str  # write | remove | keep
    # overwrite | fill_blank | never_overwrite_human_edit | add | once | unchanged | no_value | consent | label
    policy: str
    reason: str | None = None  # the agent policy's reason for consent / label
    stamp: bool = False  # the write time: not part of what the agent confirms
    is_note: bool = False  # the internal note: added once, shown whole rather than as old → new

    def to_dict(self) -> dict:
        return asdict(self)


def explain(*, record: str, card: Card, spec: Writeback, state: RecordState, changes: Plan) -> list[Change]:
    """Every rule of ``spec`` as a diff line, then the internal note and the marker tag if planned."""
    rows: list[Change] = []
    for rule in spec.rules:
        item = card.field(rule.field_key)
        label = item.label if item is not None else rule.value
        if rule.target.is_tags:
            rows.extend(_tag_rows(record, card, rule, label, state, changes))
        else:
            rows.append(_field_row(record, card, rule, label, state, changes))
    if changes.note:
        rows.append(Change(record, str(spec.note_target), N_("Internal note"), None, changes.note, WRITE, "once",
                           is_note=True))
    marker = spec.marker_tag
    if marker and marker in changes.add_tags:
        rows.append(Change(record, str(spec.tags_target), N_("Marker tag"), None, marker, WRITE, "add"))
    return rows


def _field_row(record: str, card: Card, rule: WriteRule, label: str, state: RecordState, changes: Plan) -> Change:
    target, name = str(rule.target), rule.target.name
    current = state.values(rule.target).get(name)
    planned = changes.values(rule.target)
    withheld = withheld_by(card, rule)
    stamp = rule.value == "enriched_at"
    if withheld is not None:  # the policy hides the value: the row says why, never what (old or new)
        action = REMOVE if name in planned else KEEP
        return Change(record, target, label, None, None, action, withheld.cause, withheld.reason)
    if name in planned:
        return Change(record, target, label, current, planned[name], WRITE, rule.policy, stamp=stamp)
    new = None if stamp else resolve(card, rule.value)
    if new is None:
        return Change(record, target, label, current, None, KEEP, "no_value", stamp=stamp)
    policy = "unchanged" if same(current, new) else rule.policy
    return Change(record, target, label, current, new, KEEP, policy)


def _tag_rows(record: str, card: Card, rule: WriteRule, label: str, state: RecordState,
              changes: Plan) -> list[Change]:
    wire, withheld = str(rule.target), withheld_by(card, rule)
    if withheld is not None:
        removed = [t for t in changes.remove_tags if rule.prefix and t.startswith(rule.prefix)]
        if removed:  # a tag names its value (aep_churn_high): removed without saying which
            return [Change(record, wire, label, None, None, REMOVE, withheld.cause, withheld.reason)
                    for _ in removed]
        return [Change(record, wire, label, None, None, KEEP, withheld.cause, withheld.reason)]
    value = resolve(card, rule.value)
    if value is None:
        return [Change(record, wire, label, None, None, KEEP, "no_value")]
    tag = tag_of(rule.prefix, value)
    if tag in changes.add_tags:
        return [Change(record, wire, label, None, tag, WRITE, "add")]
    return [Change(record, wire, label, tag if tag in state.tags else None, tag, KEEP, "unchanged")]


def effective(rows: list[Change]) -> list[Change]:
    """The lines that change the record."""
    return [r for r in rows if r.action != KEEP]


def plan_token(rows: list[Change], *, secret: str, record: str = "", session: str = "") -> str:
    """HMAC-SHA256 of the effective changes (the write time excluded), bound to the record and to the
    session that saw them: opaque to the page, checked on confirm."""
    signed = [[r.record, r.target, _canonical(r.old), None if r.stamp else _canonical(r.new), r.action]
              for r in effective(rows)]
    message = json.dumps([record, session, signed], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode(), message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def same_plan(token: str, rows: list[Change], *, secret: str, record: str = "", session: str = "") -> bool:
    if not well_formed(token):
        return False
    return hmac.compare_digest(token.encode(), plan_token(rows, secret=secret, record=record,
                                                         session=session).encode())


def _canonical(value: Any) -> Any:
    """Numbers compare as numbers (2450.5 == "2450.50"), as the write policy compares them."""
    if isinstance(value, bool) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
