"""Profile + audiences + events → the agent card, driven by the mapping manifest."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connector.core.consent import Withheld, consent_values, evaluate
from connector.core.formats import badge, display, timestamp
from connector.core.lang import ENGLISH, Lang
from connector.core.manifest import EventSectionSpec, FieldSpec, Manifest, WriteRule
from connector.core.models import (
    Attempt,
    Card,
    CardSection,
    Event,
    EventPage,
    Membership,
    Profile,
    iso,
)
from connector.core.timeparse import parse_timestamp

MEMBER_STATUSES = ("realized", "existing")  # reference/aep.md §2.8: "exited" is not a member


def get_path(data: Any, path: str) -> Any:
    """Read a dotted XDM path; ``items[].name`` collects ``name`` from every list element."""
    parts = path.split(".")
    for index, part in enumerate(parts):
        if data is None:
            return None
        if part.endswith("[]"):
            items = _get(data, part[:-2])
            if not isinstance(items, list):
                return None
            return _collect(items, ".".join(parts[index + 1:]))
        data = _get(data, part)
    return data


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, Mapping) else None


def _collect(items: list, rest: str) -> list:
    values = [get_path(item, rest) if rest else item for item in items]
    return [v for v in values if v is not None]


def memberships(entity: Mapping[str, Any], namespaces: tuple[str, ...]) -> list[Membership]:
    """Current audience memberships (realized + existing) of a profile, newest first."""
    found = []
    by_namespace = get_path(entity, "segmentMembership") or {}
    for namespace, entries in by_namespace.items():
        if namespace not in namespaces or not isinstance(entries, Mapping):
            continue
        for segment_id, info in entries.items():
            status = str((info or {}).get("status", "")).lower()
            if status in MEMBER_STATUSES:
                when = parse_timestamp((info or {}).get("lastQualificationTime"))
                found.append(Membership(namespace, segment_id, status, when))
    return sorted(found, key=lambda m: (m.last_qualification is None, _desc(m.last_qualification)))


def build_card(
    *,
    manifest: Manifest,
    profile: Profile,
    match: list[Attempt],
    confidence: float,
    segment_names: Mapping[str, str],
    events: EventPage,
    lang: Lang = ENGLISH,
) -> Card:
    """Machine values stay as they are; labels, titles and ``display``/``*_display`` strings are in ``lang``.
    What the agent policy withholds is shown as hidden, with the reason, never its value."""
    consents = consent_values(profile.entity, manifest.consent_paths())
    withheld: dict[str, Withheld] = {}
    for item_key, requirement in _requirements(manifest):
        verdict = evaluate(requirement, consents, manifest.policy)
        if verdict is not None:
            withheld[item_key] = verdict
    sections = [_attribute_section(manifest, spec, profile, withheld, lang) for spec in manifest.sections]
    sections.append(_hide(_audience_section(manifest, profile, segment_names, lang), withheld.get("audiences"), lang))
    sections.extend(_hide(_event_section(spec, events, manifest.currency, lang), withheld.get(spec.key), lang)
                    for spec in manifest.events.sections)
    return Card(
        status="found",
        match=match,
        profile_id=profile.entity_id,
        last_modified_at=profile.last_modified_at,
        confidence=confidence,
        writable=confidence >= manifest.identity.write_min_confidence,
        sections=sections,
        locale=lang.locale,
        last_modified_display=timestamp(profile.last_modified_at, lang=lang),
        withheld=withheld,
    )


def rule_key(rule: WriteRule) -> str:
    """The key under which ``Card.withheld`` records a write-back rule's own requirement."""
    return f"rule:{rule.target}={rule.value}"


def _requirements(manifest: Manifest):
    """(withheld key, requirement) for everything the manifest guards: fields, sections, rules."""
    for section in manifest.sections:
        for spec in section.fields:
            if spec.requires:
                yield spec.key, spec.requires
    if manifest.audiences.requires:
        yield "audiences", manifest.audiences.requires
    for event_spec in manifest.events.sections:
        if event_spec.requires:
            yield event_spec.key, event_spec.requires
    for writeback in manifest.writeback.values():
        for rule in writeback.rules:
            if rule.requires:
                yield rule_key(rule), rule.requires


def _hide(section: CardSection, verdict: Withheld | None, lang: Lang) -> CardSection:
    if verdict is None:
        return section
    return CardSection(section.key, section.title, section.kind, [], None, notice=verdict.shown(lang),
                       hidden=lang._(verdict.reason))


def _hidden_item(field: FieldSpec, verdict: Withheld, lang: Lang) -> dict:
    return {"key": field.key, "label": lang._(field.label), "value": None, "display": verdict.shown(lang),
            "format": field.format, "badge": None, "hidden": True, "hidden_reason": lang._(verdict.reason)}


def _attribute_section(manifest: Manifest, spec, profile: Profile, withheld: dict[str, Withheld],
                       lang: Lang) -> CardSection:
    items = []
    for field in spec.fields:
        if field.key in withheld:
            items.append(_hidden_item(field, withheld[field.key], lang))
            continue
        value = get_path(profile.entity, field.path)
        currency = _currency_of(profile, field.currency_path) or field.currency or manifest.currency
        items.append({
            "key": field.key,
            "label": lang._(field.label),
            "value": value,
            "display": display(value, field.format, currency=currency, lang=lang),
            "format": field.format,
            "badge": badge(value, field.badges, lang=lang) if field.badges else None,
            **({"currency": currency} if field.format == "currency" else {}),
        })
    return _section(spec.key, lang._(spec.title), "attributes", items, profile.last_modified_at, lang)


def _currency_of(profile: Profile, path: str | None) -> str | None:
    """The profile's own ISO 4217 code for an amount (e.g. ``_tenant.currencyCode``), if it has a valid one."""
    code = get_path(profile.entity, path) if path else None
    return code.upper() if isinstance(code, str) and len(code) == 3 and code.isalpha() else None


def _section(key: str, title: str, kind: str, items: list[dict], freshness: datetime | None, lang: Lang,
             notice: str | None = None) -> CardSection:
    return CardSection(key, title, kind, items, freshness, notice=notice,
                       freshness_display=timestamp(freshness, lang=lang))


def _audience_section(manifest: Manifest, profile: Profile, names: Mapping[str, str], lang: Lang) -> CardSection:
    spec = manifest.audiences
    current = memberships(profile.entity, spec.namespaces)
    items = [
        {
            "id": m.segment_id,
            "name": names.get(m.segment_id, m.segment_id),
            "status": m.status,
            "since": iso(m.last_qualification),
            "since_display": timestamp(m.last_qualification, lang=lang, date_only=True),
        }
        for m in current[: spec.max_items]
    ]
    newest = next((m.last_qualification for m in current if m.last_qualification), None)
    return _section("audiences", lang._(spec.title), "audiences", items, newest, lang)


def _event_section(spec: EventSectionSpec, page: EventPage, currency: str, lang: Lang) -> CardSection:
    if page.unavailable:
        return _section(spec.key, lang._(spec.title), "events", [], None, lang, notice=lang._(page.unavailable))
    wanted = {t.lower() for t in spec.event_types}
    chosen = [e for e in page.events if (e.event_type or "").lower() in wanted]
    chosen.sort(key=lambda e: _desc(e.timestamp))
    items = [_event_item(spec, e, currency, lang) for e in chosen[: spec.max_items]]
    newest = chosen[0].timestamp if chosen else None
    return _section(spec.key, lang._(spec.title), "events", items, newest, lang)


def _event_item(spec: EventSectionSpec, event: Event, currency: str, lang: Lang) -> dict:
    item = spec.item
    title = get_path(event.entity, item.title)
    if isinstance(title, list):
        title = ", ".join(str(t) for t in title)
    kind = event.event_type or ""
    label = lang._(item.labels[kind]) if kind in item.labels else (kind or lang._("event"))
    amount = get_path(event.entity, item.amount) if item.amount else None
    code = (get_path(event.entity, item.currency) if item.currency else None) or currency
    return {
        "id": event.event_id,
        "type": event.event_type,
        "label": label,
        "title": title or label,
        "timestamp": iso(event.timestamp),
        "date_display": timestamp(event.timestamp, lang=lang, date_only=True),
        "amount": amount,
        "currency": str(code) if amount is not None else None,
        "display_amount": display(amount, "currency", currency=str(code), lang=lang) if amount is not None else None,
    }


def _desc(moment: datetime | None) -> float:
    return -moment.timestamp() if moment else 0.0
