"""The agent card as plain text for a terminal (``aep-connector lookup``), in the card's language."""
from __future__ import annotations

from connector.core.lang import ENGLISH, N_, Lang

STATUS_LINES = {
    "found": N_("Profile found"),
    "not_found": N_("No AEP profile found"),
    "not_servable": N_("Profile exists but AEP will not serve it (identity graph above 50 identities)"),
}
OUTCOMES = {"matched": N_("matched"), "no_profile": N_("no profile"), "not_tried": N_("not tried"),
            "invalid": N_("invalid"), "missing": N_("missing"), "not_servable": N_("not servable")}
MEMBER_STATUS = {"realized": N_("realized"), "existing": N_("existing")}
BADGE_MARK = {"high": "▲", "medium": "●", "low": "▽", "info": "•"}


def render(card: dict, *, lang: Lang = ENGLISH) -> str:
    _ = lang._
    status = card["status"]
    lines = [_translated(STATUS_LINES, status, lang)]
    if card.get("profileId"):
        updated = card.get("lastModifiedDisplay") or card.get("lastModifiedAt") or _(N_("unknown"))
        lines[0] += "  " + _(N_("(profile %(id)s, updated %(when)s)"), id=card["profileId"], when=updated)
    lines.append("")
    lines.append(_(N_("How the customer was matched:")))
    for attempt in card["match"]["attempts"]:
        value = attempt["value"] or "-"
        outcome = _translated(OUTCOMES, attempt["outcome"], lang)
        lines.append(f"  {outcome:<12} {attempt['namespace']:<16} {value:<28} {attempt['reason']}")
    if card["match"].get("matched") and not card["match"]["writable"]:
        lines.append("  " + _(N_("(match confidence below the write-back threshold: shown, not written to the CRM)")))
    for section in card.get("sections", []):
        lines.append("")
        when = section.get("freshness_display") or section.get("freshness")
        fresh = "  [" + _(N_("as of %(when)s"), when=when) + "]" if when else ""
        lines.append(f"{section['title']}{fresh}")
        if section.get("notice"):
            lines.append(f"  {section['notice']}")
        elif not section["items"]:
            lines.append("  " + _(N_("none")))
        lines.extend(_items(section, lang))
    return "\n".join(lines)


def _items(section: dict, lang: Lang) -> list[str]:
    out = []
    for item in section["items"]:
        if section["kind"] == "attributes":
            badge = item.get("badge")
            mark = f"  {BADGE_MARK.get(badge['level'], '•')} {badge['label']}" if badge else ""
            out.append(f"  {item['label']:<20} {item['display']}{mark}")
        elif section["kind"] == "audiences":
            since = item.get("since_display") or (item.get("since") or "-")[:10]
            status = _translated(MEMBER_STATUS, item.get("status") or "", lang)
            out.append(f"  {item['name']:<32} {status:<9} " + lang._(N_("since %(when)s"), when=since))
        else:
            amount = f"  {item['display_amount']}" if item.get("display_amount") else ""
            day = item.get("date_display") or (item.get("timestamp") or "")[:10]
            out.append(f"  {day}  {item['label']:<18} {item['title']}{amount}")
    return out


def _translated(table: dict[str, str], code: str, lang: Lang) -> str:
    """A code's message in the agent's language; an unknown code is shown as it is."""
    return lang._(table[code]) if code in table else code
