"""Quarantine: records that could not be processed, with why, kept until resolved or replayed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update

from ml_connector.state.base import Ops, upsert
from ml_connector.state.models import quarantine
from ml_connector.state.records import QuarantineEntry

q = quarantine.c


def _key(tenant_id: str, record_type: str, record_id: str) -> ColumnElement[bool]:
    return and_(q.tenant_id == tenant_id, q.record_type == record_type, q.record_id == record_id)


class QuarantineOps(Ops):
    def quarantine(
        self, tenant_id: str, record_type: str, record_id: str, reason_code: str, reason: str | None = None,
        payload: Any = None, *, run_id: str | None = None,
    ) -> QuarantineEntry:
        """Upsert: the same record again bumps `occurrences`, takes the latest reason and payload,
        and reopens it if it had been resolved."""
        now = self._now()
        with self._tx() as conn:
            stmt = upsert(conn, quarantine).values(
                tenant_id=tenant_id, record_type=record_type, record_id=record_id, reason_code=reason_code,
                reason=reason, payload=payload, run_id=run_id, first_seen=now, last_seen=now,
                occurrences=1, replay_count=0,
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["tenant_id", "record_type", "record_id"],
                set_={
                    "reason_code": stmt.excluded.reason_code, "reason": stmt.excluded.reason,
                    "payload": stmt.excluded.payload, "run_id": stmt.excluded.run_id,
                    "last_seen": stmt.excluded.last_seen, "occurrences": q.occurrences + 1,
                    "resolved_at": None,
                },
            ).returning(*quarantine.c)
            return QuarantineEntry.from_row(conn.execute(stmt).one())

    def get_quarantined(self, tenant_id: str, record_type: str, record_id: str) -> QuarantineEntry | None:
        with self._tx(read_only=True) as conn:
            row = conn.execute(select(quarantine).where(_key(tenant_id, record_type, record_id))).first()
        return QuarantineEntry.from_row(row) if row else None

    def list_open(self, tenant_id: str, record_type: str | None = None) -> list[QuarantineEntry]:
        stmt = select(quarantine).where(q.tenant_id == tenant_id, q.resolved_at.is_(None))
        if record_type is not None:
            stmt = stmt.where(q.record_type == record_type)
        with self._tx(read_only=True) as conn:
            rows = conn.execute(stmt.order_by(q.first_seen, q.record_type, q.record_id)).all()
        return [QuarantineEntry.from_row(r) for r in rows]

    def resolve(self, tenant_id: str, record_type: str, record_id: str, *, at: datetime | None = None) -> bool:
        """Close an open entry; False if there is none (unknown or already resolved)."""
        stmt = update(quarantine).where(_key(tenant_id, record_type, record_id), q.resolved_at.is_(None))
        with self._tx() as conn:
            return conn.execute(stmt.values(resolved_at=at or self._now())).rowcount == 1

    def mark_replayed(self, tenant_id: str, record_type: str, record_id: str) -> bool:
        """Count a replay of an open entry; it stays open until the replay succeeds and resolves it."""
        stmt = update(quarantine).where(_key(tenant_id, record_type, record_id), q.resolved_at.is_(None))
        values = {"replay_count": q.replay_count + 1, "last_replayed_at": self._now()}
        with self._tx() as conn:
            return conn.execute(stmt.values(**values)).rowcount == 1

    def set_payload(self, tenant_id: str, record_type: str, record_id: str, payload: Any) -> bool:
        """Replace an entry's payload (e.g. a person's decision on a held record), open or resolved."""
        stmt = update(quarantine).where(_key(tenant_id, record_type, record_id))
        with self._tx() as conn:
            return conn.execute(stmt.values(payload=payload)).rowcount == 1
