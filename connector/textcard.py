"""The agent card as plain text for a terminal (``aep-connector lookup``)."""
from __future__ import annotations

STATUS_LINES = {
    "found": "Profile found",
    "not_found": "No AEP profile found",
    "not_servable": "Profile exists but AEP will not serve it (identity graph above 50 identities)",
}
BADGE_MARK = {"high": "▲", "medium": "●", "low": "▽", "info": "•"}


def render(card: dict) -> str:
    lines = [STATUS_LINES.get(card["status"], card["status"])]
    if card.get("profileId"):
        lines[0] += f"  (profile {card['profileId']}, updated {card.get('lastModifiedAt') or 'unknown'})"
    lines.append("")
    lines.append("How the customer was matched:")
    for attempt in card["match"]["attempts"]:
        value = attempt["value"] or "-"
        lines.append(f"  {attempt['outcome']:<12} {attempt['namespace']:<16} {value:<28} {attempt['reason']}")
    if card["match"].get("matched") and not card["match"]["writable"]:
        lines.append("  (match confidence below the write-back threshold: shown, not written to the CRM)")
    for section in card.get("sections", []):
        lines.append("")
        fresh = f"  [as of {section['freshness']}]" if section.get("freshness") else ""
        lines.append(f"{section['title']}{fresh}")
        if section.get("notice"):
            lines.append(f"  {section['notice']}")
        elif not section["items"]:
            lines.append("  none")
        lines.extend(_items(section))
    return "\n".join(lines)


def _items(section: dict) -> list[str]:
    out = []
    for item in section["items"]:
        if section["kind"] == "attributes":
            badge = item.get("badge")
            mark = f"  {BADGE_MARK.get(badge['level'], '•')} {badge['label']}" if badge else ""
            out.append(f"  {item['label']:<20} {item['display']}{mark}")
        elif section["kind"] == "audiences":
            out.append(f"  {item['name']:<32} {item['status']:<9} since {item.get('since') or '-'}")
        else:
            amount = f"  {item['display_amount']}" if item.get("display_amount") else ""
            out.append(f"  {(item.get('timestamp') or '')[:10]}  {item['label']:<18} {item['title']}{amount}")
    return out
