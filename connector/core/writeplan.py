"""Write plans: what to write back to a CRM record, as a diff under per-field policies.

Pure: takes the card, the manifest's write-back spec, what the record holds now and what the
connector wrote last; returns only the changes. An empty plan means no API call. With ``fit`` (target,
value → ``Fitted``) each value is first made what the CRM would store, so the comparison with the
record is like for like and a value the field cannot take is skipped (``Plan.skipped``).

Targets are neutral (``connector.core.targets``): the record's fields and tags, the person's fields,
a note. The ledger and the plan's ``audit`` name them by their wire name (``str(target)``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.core.card import rule_key
from connector.core.consent import Withheld
from connector.core.fieldfit import Fitted
from connector.core.formats import MISSING, format_percent_value, timestamp
from connector.core.lang import ENGLISH, N_, Lang
from connector.core.manifest import Writeback, WriteRule
from connector.core.models import Card
from connector.core.targets import Target

Fit = Callable[[Target, Any], Fitted]


@dataclass(frozen=True)
class RecordState:
    """What the CRM holds now (values as the CRM returns them): the record's fields and tags, and the
    fields of the person behind it."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    person_fields: Mapping[str, Any] = field(default_factory=dict)

    def values(self, target: Target) -> Mapping[str, Any]:
        return self.person_fields if target.on_person else self.fields


@dataclass
class Plan:
    fields: dict[str, Any] = field(default_factory=dict)  # record fields
    add_tags: list[str] = field(default_factory=list)
    person_fields: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    audit: list[tuple[str, str | None, str]] = field(default_factory=list)  # wire target, value, policy
    skipped: list[tuple[str, str]] = field(default_factory=list)  # wire target, why its value cannot be written
    reason: str = "written"
    remove_tags: list[str] = field(default_factory=list)  # tags the connector wrote that the policy now withholds
    withheld: dict[str, str] = field(default_factory=dict)  # wire target → why the agent policy keeps it unwritten
    on_person: set[str] = field(default_factory=set)  # the audit's wire targets that are the person's fields

    @property
    def record_changes(self) -> bool:
        return bool(self.fields or self.add_tags or self.note or self.remove_tags)

    @property
    def empty(self) -> bool:
        return not (self.record_changes or self.person_fields)

    def values(self, target: Target) -> dict[str, Any]:
        return self.person_fields if target.on_person else self.fields

    def audit_of(self, *, person: bool) -> list[tuple[str, str | None, str]]:
        """The ledger entries of the record's write, or of the person's."""
        return [a for a in self.audit if (a[0] in self.on_person) == person]

    def record(self, target: Target, wire: str, value: str | None, policy: str) -> None:
        self.audit.append((wire, value, policy))
        if target.on_person:
            self.on_person.add(wire)


def plan(*, card: Card, spec: Writeback, state: RecordState, last_written: Mapping[str, str | None],
         note_needed: bool, now: str | None = None, fit: Fit | None = None, lang: Lang = ENGLISH) -> Plan:
    """The diff to write; nothing when there is no profile or the match is below the write threshold."""
    if card.status != "found":
        return Plan(reason="no_profile" if card.status == "not_found" else card.status)
    if not card.writable:
        return Plan(reason="low_confidence")
    result = Plan()
    stamps = [r for r in spec.rules if r.value == "enriched_at"]
    for rule in spec.rules:
        verdict = withheld_by(card, rule)
        if verdict is not None:
            result.withheld[str(rule.target)] = verdict.reason
            withdraw(rule, state, last_written, result)
            continue
        value = resolve(card, rule.value)
        if value is None or rule in stamps:
            continue
        _apply(rule, value, state, last_written, result, fit)
    if now and (result.fields or result.person_fields):  # a time stamp alone is no reason to write
        for rule in stamps:
            _apply(rule, now, state, last_written, result, fit)
    if spec.note and note_needed:
        result.note = note_text(card, lang=lang)
        result.record(spec.note_target, str(spec.note_target), None, "once")
        if spec.marker_tag and spec.marker_tag not in state.tags and spec.marker_tag not in result.add_tags:
            result.add_tags.append(spec.marker_tag)
    if result.empty:
        result.reason = "unchanged"
    return result


def resolve(card: Card, reference: str) -> Any:
    """``key`` → the field's value; ``key.badge`` → its badge level; ``key.display`` → its text.

    Three names are not card fields: ``audiences`` (current audience names, "; "-joined),
    ``profile_id`` (the merged AEP profile id) and ``enriched_at`` (the write time, given to ``plan``).
    """
    if reference == "profile_id":
        return card.profile_id
    if reference == "audiences":
        names = [i["name"] for s in card.sections if s.kind == "audiences" for i in s.items]
        return "; ".join(names) if names else None
    key, _, part = reference.partition(".")
    item = card.field(key)
    if item is None:
        return None
    if part == "badge":
        return (item.badge or {}).get("level")
    if part == "display":
        return None if item.display == MISSING else item.display
    return item.value


def _apply(rule: WriteRule, value: Any, state: RecordState, last: Mapping[str, str | None], out: Plan,
           fit: Fit | None = None) -> None:
    target = rule.target
    if target.is_tags:
        tag = tag_of(rule.prefix, value)
        if tag and tag not in state.tags and tag not in out.add_tags:
            out.add_tags.append(tag)
            out.record(target, target.tag(tag), tag, "add")  # one ledger target per tag
        return
    if fit is not None:
        fitted = fit(target, value)
        if fitted.skipped:
            out.skipped.append((str(target), fitted.skipped))
            return
        value = fitted.value
    if should_write(rule.policy, state.values(target).get(target.name), value, last.get(str(target))):
        out.values(target)[target.name] = value
        out.record(target, str(target), _text(value), rule.policy)


def should_write(policy: str, current: Any, new: Any, last_written: str | None) -> bool:
    if same(current, new):
        return False
    if policy == "overwrite":
        return True
    if policy == "fill_blank":
        return _blank(current)
    # never_overwrite_human_edit: blank, or still holding what we wrote last time
    return _blank(current) or (last_written is not None and same(current, last_written))


def same(a: Any, b: Any) -> bool:
    if _blank(a) and _blank(b):
        return True
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return _text(a) == _text(b)


def tag_of(prefix: str, value: Any) -> str:
    """Tags: lower-case letters, digits and _, as the CRMs store them."""
    return re.sub(r"[^a-z0-9_]+", "_", f"{prefix}{value}".lower()).strip("_")


def note_text(card: Card, *, lang: Lang = ENGLISH) -> str:
    """The internal note, in the account's language: who matched, key attributes, audiences, recent events."""
    matched = card.matched
    lines = [lang._(N_("AEP customer profile"))]
    if matched:
        lines.append(lang._(N_("Matched by %(namespace)s (%(value)s), confidence %(confidence)s"),
                            namespace=matched.namespace, value=matched.masked,
                            confidence=format_percent_value(card.confidence or 0, lang=lang)))
    for section in card.sections:
        if section.hidden:
            lines.append(_line(section.title, section.notice or "", lang))
        elif section.kind == "attributes":
            for item in section.items:
                if item["display"] != MISSING:
                    badge = f" ({item['badge']['label']})" if item.get("badge") else ""
                    lines.append(_line(item["label"], f"{item['display']}{badge}", lang))
        elif section.kind == "audiences" and section.items:
            lines.append(_line(section.title, ", ".join(i["name"] for i in section.items), lang))
        elif section.kind == "events" and section.items:
            recent = "; ".join(f"{i.get('date_display') or (i['timestamp'] or '')[:10]} {i['title']}"
                               for i in section.items[:3])
            lines.append(_line(section.title, recent, lang))
    if card.last_modified_at:
        lines.append(lang._(N_("Profile updated %(when)s"), when=timestamp(card.last_modified_at, lang=lang)))
    return "\n".join(lines)


def _line(label: str, value: str, lang: Lang) -> str:
    # French typography puts a no-break space before the colon: the separator is the catalog's.
    return lang._(N_("%(label)s: %(value)s"), label=label, value=value)


def withheld_by(card: Card, rule: WriteRule) -> Withheld | None:
    """Why the agent policy keeps this rule from writing (its own requirement, or its card field's)."""
    return card.withheld.get(rule_key(rule)) or card.withheld.get(rule.field_key)


def withdraw(rule: WriteRule, state: RecordState, last: Mapping[str, str | None], out: Plan) -> None:
    """Blank what the connector wrote for a rule the policy now withholds, where it still holds that
    value (an agent's edit stays); tags go only when the rule has a prefix that names them."""
    target = rule.target
    if target.is_tags:
        for tag in sorted(state.tags):
            written = last.get(target.tag(tag))
            if rule.prefix and tag.startswith(rule.prefix) and written is not None and tag not in out.remove_tags:
                out.remove_tags.append(tag)
                out.record(target, target.tag(tag), None, "withdrawn")
        return
    current = state.values(target).get(target.name)
    written = last.get(str(target))
    if written is not None and not _blank(current) and same(current, written):
        out.values(target)[target.name] = None
        out.record(target, str(target), None, "withdrawn")


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _text(value: Any) -> str:
    return "" if value is None else str(value)
