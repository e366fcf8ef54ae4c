"""The diff a write would make, as a plain-text table for a terminal (``aep-connector enrich --dry-run``)."""
from __future__ import annotations

from typing import Any

from connector.core.jobkey import JobKey

KEPT = {"fill_blank": "kept: only filled when blank", "never_overwrite_human_edit": "kept: changed by an agent",
        "unchanged": "unchanged", "no_value": "no value in the profile"}
WIDTH = 40


def render_diff(preview: dict) -> str:
    lines = [f"{preview['record']}: dry run, nothing written"]
    if preview.get("outcome"):
        lines.append(f"nothing to write ({preview['outcome'].replace('_', ' ')})")
        return "\n".join(lines)
    lines.append(f"{preview['writes']} change(s) would be written")
    rows = [("record", "target", "old", "new", "why")]
    for change in preview["changes"]:
        rows.append((_record(change["record"]), change["target"], _cell(change["old"]), _new(change), _why(change)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _record(key: str) -> str:
    """The record within the CRM (``object:id``): the heading line already names the CRM."""
    parsed = JobKey.parse(key)
    return f"{parsed.object}:{parsed.id}"


def _new(change: dict) -> str:
    if change["action"] == "keep":
        return "(kept)"
    if change["action"] == "remove":
        return "(removed)"
    if change.get("is_note"):
        return "(internal note, added once)"
    return "(write time)" if change.get("stamp") else _cell(change["new"])


def _why(change: dict) -> str:
    if change["policy"] in ("consent", "label"):
        return f"{change['policy']}: {change['reason']}"
    if change["action"] == "keep":
        return KEPT.get(change["policy"], change["policy"])
    return change["policy"]


def _cell(value: Any) -> str:
    text = "—" if value in (None, "") else str(value).replace("\n", " ")
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"
