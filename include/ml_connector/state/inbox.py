"""Webhook inbox: deliveries recorded once by their stable id, processed later by a DAG run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from ml_connector.state.base import Ops, upsert
from ml_connector.state.models import webhook_inbox
from ml_connector.state.records import Delivery

i = webhook_inbox.c


class InboxOps(Ops):
    def record_delivery(
        self, tenant_id: str, delivery_id: str, document_id: str | None = None, payload: Any = None, *,
        at: datetime | None = None,
    ) -> bool:
        """True for a new delivery, False for a redelivery of one already recorded."""
        with self._tx() as conn:
            stmt = upsert(conn, webhook_inbox).values(
                tenant_id=tenant_id, delivery_id=delivery_id, document_id=document_id, payload=payload,
                received_at=at or self._now(),
            ).on_conflict_do_nothing(index_elements=["tenant_id", "delivery_id"]).returning(i.delivery_id)
            return conn.execute(stmt).first() is not None

    def pending_deliveries(self, tenant_id: str, *, limit: int | None = None) -> list[Delivery]:
        stmt = select(webhook_inbox).where(i.tenant_id == tenant_id, i.processed_at.is_(None))
        with self._tx(read_only=True) as conn:
            rows = conn.execute(stmt.order_by(i.received_at, i.delivery_id).limit(limit)).all()
        return [Delivery.from_row(r) for r in rows]

    def mark_processed(self, tenant_id: str, delivery_id: str, *, at: datetime | None = None) -> bool:
        """False if unknown or already processed (a second worker lost the race)."""
        stmt = update(webhook_inbox).where(
            i.tenant_id == tenant_id, i.delivery_id == delivery_id, i.processed_at.is_(None)
        ).values(processed_at=at or self._now())
        with self._tx() as conn:
            return conn.execute(stmt).rowcount == 1
