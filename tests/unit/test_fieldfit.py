"""Fitting values to CRM field metadata: one row per rule (pure, no CRM names)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from connector.core.fieldfit import FieldMeta, Fitted, compatible, fit

TEXT40 = FieldMeta("tier", "text", length=40)
MONEY = FieldMeta("ltv", "number", precision=16, scale=2)
RATIO = FieldMeta("churn", "number", precision=5, scale=4)
COUNT = FieldMeta("points", "number", precision=9, scale=0)
RISK = FieldMeta("risk", "choice", length=255, choices=(("high", "High"), ("medium", "Medium"), ("low", "Low")),
                 restricted=True)
OPEN = FieldMeta("status", "choice", length=10, choices=(("New", "New"),))
STAMP = FieldMeta("stamp", "datetime")
DAY = FieldMeta("day", "date")
FLAG = FieldMeta("flag", "boolean")


@pytest.mark.parametrize("meta, value, expected", [
    (None, 1.23456, Fitted(1.23456)),                                      # no metadata: as it is
    (TEXT40, None, Fitted(None)),
    (TEXT40, "gold", Fitted("gold")),
    (TEXT40, "x" * 40, Fitted("x" * 40)),
    (TEXT40, "x" * 60, Fitted("x" * 39 + "…")),                            # cut with the marker, 40 in all
    (TEXT40, True, Fitted("true")),
    (TEXT40, ["a", "b"], Fitted("a; b")),
    (MONEY, 4321.987654, Fitted(4321.99)),
    (MONEY, 1234.565, Fitted(1234.57)),                                    # half-up, not to even
    (MONEY, 2.675, Fitted(2.68)),                                          # the float 2.675 is 2.67499…
    (MONEY, "-10.005", Fitted(-10.01)),
    (MONEY, 10 ** 14, Fitted(skipped="too many digits before the decimal point (at most 14)")),
    (MONEY, True, Fitted(skipped="not a number")),
    (MONEY, "lots", Fitted(skipped="not a number")),
    (RATIO, 0.876543, Fitted(0.8765)),
    (RATIO, 0.99996, Fitted(1.0)),
    (RATIO, 9.99996, Fitted(skipped="too many digits before the decimal point (at most 1)")),  # rounds to 10
    (RATIO, 9.99994, Fitted(9.9999)),
    (COUNT, 12.5, Fitted(13)),
    (RISK, "high", Fitted("high")),
    (RISK, "HIGH", Fitted("high")),                                        # by value, ignoring case
    (RISK, "Medium", Fitted("medium")),                                    # by label
    (RISK, "extreme", Fitted(skipped="not an active value of the picklist")),
    (OPEN, "Waiting for customer", Fitted("Waiting f…")),                  # unrestricted: any text that fits
    (STAMP, "2026-11-30T10:00:00Z", Fitted("2026-11-30T10:00:00.000+0000")),
    (STAMP, "2026-11-30T12:00:00.250+02:00", Fitted("2026-11-30T10:00:00.250+0000")),
    (STAMP, "2026-11-30", Fitted("2026-11-30T00:00:00.000+0000")),
    (STAMP, datetime(2026, 11, 30, 10, tzinfo=timezone.utc), Fitted("2026-11-30T10:00:00.000+0000")),
    (STAMP, "30/11/2026", Fitted(skipped="not a date-time")),
    (STAMP, "2026-02-30T00:00:00Z", Fitted(skipped="not a date-time")),
    (DAY, "2026-11-30T23:30:00Z", Fitted("2026-11-30")),
    (DAY, date(2026, 1, 2), Fitted("2026-01-02")),
    (DAY, "soon", Fitted(skipped="not a date")),
    (FLAG, "y", Fitted(True)),
    (FLAG, False, Fitted(False)),
    (FLAG, "maybe", Fitted(skipped="not a yes/no value")),
    (FieldMeta("ro", "text", updateable=False), "x", Fitted(skipped="the field is read-only")),
    (FieldMeta("geo", "other"), {"lat": 1}, Fitted({"lat": 1})),
])
def test_fit(meta, value, expected):
    assert fit(meta, value) == expected


@pytest.mark.parametrize("meta, kind, ok", [
    (MONEY, "number", True), (TEXT40, "number", True), (RISK, "number", False), (STAMP, "number", False),
    (TEXT40, "text", True), (RISK, "text", True), (MONEY, "text", False), (FLAG, "text", False),
    (STAMP, "datetime", True), (DAY, "datetime", False), (DAY, "date", True), (STAMP, "date", True),
    (FLAG, "boolean", True), (MONEY, "boolean", False),
])
def test_compatible(meta, kind, ok):
    assert compatible(meta, kind) is ok
