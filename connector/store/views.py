"""Sidebar sessions bound to one record, and the ledger of card views (who saw whose profile)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, distinct, func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from connector.store.tables import card_views, sidebar_bindings

BINDINGS_KEPT = timedelta(days=1)  # sessions live 15 minutes; a day covers every budget window


@dataclass(frozen=True)
class CardView:
    at: datetime
    provider: str
    agent_id: str
    record_key: str
    profile_id: str | None


class CardViews:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def bind(self, *, session_id: str, agent_id: str, record_key: str, limit: int,
             window: timedelta = timedelta(minutes=1)) -> str:
        """Bind a session to its first record. Returns ``bound`` (just now), ``same`` (already bound
        to this record), ``other`` (bound to another record) or ``over_budget`` (the agent's
        sessions were bound to ``limit`` other records within ``window``)."""
        now = self.clock()
        with self.engine.connect() as conn:
            bound = conn.execute(select(sidebar_bindings.c.record_key)
                                 .where(sidebar_bindings.c.session_id == session_id)).scalar()
            if bound is None:
                recent = conn.execute(select(func.count(distinct(sidebar_bindings.c.record_key))).where(
                    sidebar_bindings.c.agent_id == agent_id, sidebar_bindings.c.created_at >= now - window,
                    sidebar_bindings.c.record_key != record_key)).scalar() or 0
                if recent >= limit:
                    return "over_budget"
        if bound is not None:
            return "same" if bound == record_key else "other"
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(sidebar_bindings).values(session_id=session_id, agent_id=agent_id,
                                                             record_key=record_key, created_at=now))
        except IntegrityError:  # a concurrent request of the same session bound it first
            with self.engine.connect() as conn:
                bound = conn.execute(select(sidebar_bindings.c.record_key)
                                     .where(sidebar_bindings.c.session_id == session_id)).scalar()
            return "same" if bound == record_key else "other"
        # The count above and the insert are two steps: sessions binding at the same moment could all
        # pass the count. Counted again with our own row in, the agent's records must still fit.
        with self.engine.begin() as conn:
            total = conn.execute(select(func.count(distinct(sidebar_bindings.c.record_key))).where(
                sidebar_bindings.c.agent_id == agent_id, sidebar_bindings.c.created_at >= now - window)).scalar() or 0
            if total > limit:
                conn.execute(delete(sidebar_bindings).where(sidebar_bindings.c.session_id == session_id))
                return "over_budget"
        return "bound"

    def record(self, *, provider: str, agent_id: str, record_key: str, profile_id: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(card_views).values(at=self.clock(), provider=provider, agent_id=agent_id,
                                                   record_key=record_key, profile_id=profile_id))

    def list(self, *, agent_id: str | None = None, record_key: str | None = None,
             limit: int = 100) -> list[CardView]:
        """Newest first; filtered by agent and/or record."""
        query = select(card_views).order_by(card_views.c.at.desc(), card_views.c.id.desc()).limit(limit)
        if agent_id is not None:
            query = query.where(card_views.c.agent_id == agent_id)
        if record_key is not None:
            query = query.where(card_views.c.record_key == record_key)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [CardView(_aware(r.at), r.provider, r.agent_id, r.record_key, r.profile_id) for r in rows]

    def purge(self, conn: Connection, *, cutoff: datetime) -> dict[str, int]:
        """Retention, inside the store's purge transaction."""
        bindings_cutoff = max(cutoff, self.clock() - BINDINGS_KEPT)
        return {
            "card_views": conn.execute(delete(card_views).where(card_views.c.at < cutoff)).rowcount,
            "sidebar_bindings": conn.execute(delete(sidebar_bindings).where(
                sidebar_bindings.c.created_at < bindings_cutoff)).rowcount,
        }


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
