"""``aep-connector enrich --dry-run`` as a terminal table: read from the preview's JSON, whatever the CRM."""
from __future__ import annotations

import pytest

from connector.core.preview import Change
from connector.textdiff import render_diff

KEY = "fakecrm:issue:7"  # a CRM the renderer has never heard of


def preview(*changes: Change) -> dict:
    return {"record": KEY, "outcome": None, "writes": sum(c.action != "keep" for c in changes),
            "changes": [c.to_dict() for c in changes]}


def row(text: str, target: str) -> str:
    return next(line for line in text.splitlines() if target in line)


def test_the_record_column_names_the_record_within_its_crm():
    text = render_diff(preview(Change(KEY, "record.fields.tier", "Tier", None, "gold", "write", "fill_blank")))
    assert text.splitlines()[:2] == [f"{KEY}: dry run, nothing written", "1 change(s) would be written"]
    assert row(text, "record.fields.tier").split() == ["issue:7", "record.fields.tier", "—", "gold", "fill_blank"]


@pytest.mark.parametrize("wire", ["note", "ticket.note", "Case.Comment"])
def test_the_note_row_is_the_flagged_one_under_any_wire_name(wire):
    note = Change(KEY, wire, "Internal note", None, "AEP profile: …", "write", "once", is_note=True)
    assert "(internal note, added once)" in row(render_diff(preview(note)), wire)


def test_a_field_is_not_a_note_for_its_name():
    field = Change(KEY, "ticket.note", "Note field", None, "hello", "write", "overwrite")
    assert "hello" in row(render_diff(preview(field)), "ticket.note")


def test_the_write_time_kept_and_withheld_rows_say_why():
    text = render_diff(preview(
        Change(KEY, "record.fields.enriched", "enriched_at", None, "2026-01-01T00:00:00Z", "write", "overwrite",
               stamp=True),
        Change(KEY, "record.fields.tier", "Tier", "silver", "gold", "keep", "fill_blank"),
        Change(KEY, "record.fields.churn", "Churn", None, None, "keep", "consent", "no personalisation consent")))
    assert "(write time)" in row(text, "record.fields.enriched")
    assert row(text, "record.fields.tier").endswith("kept: only filled when blank")
    assert row(text, "record.fields.churn").endswith("consent: no personalisation consent")


def test_nothing_to_write_is_one_line():
    assert render_diff({"record": KEY, "outcome": "no_profile", "changes": [], "writes": 0}).splitlines()[1] == \
        "nothing to write (no profile)"
