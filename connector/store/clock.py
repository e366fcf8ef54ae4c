"""The store's clock: aware UTC datetimes, also for values SQLite hands back without their zone."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite drops the zone
        return moment.replace(tzinfo=timezone.utc)
    return moment
