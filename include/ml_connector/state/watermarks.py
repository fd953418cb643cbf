"""Watermarks: per (tenant, stream), the lastUpdated up to which everything is settled."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from ml_connector.state.base import Ops, upsert
from ml_connector.state.models import watermarks
from ml_connector.state.types import utc

log = logging.getLogger(__name__)
w = watermarks.c


class WatermarkOps(Ops):
    def get_watermark(self, tenant_id: str, stream: str) -> datetime | None:
        stmt = select(w.value).where(w.tenant_id == tenant_id, w.stream == stream)
        with self._tx(read_only=True) as conn:
            return conn.execute(stmt).scalar_one_or_none()

    def advance_watermark(
        self, tenant_id: str, stream: str, new_value: datetime | str, *, run_id: str | None = None,
        force: bool = False,
    ) -> bool:
        """Move the watermark forward (or anywhere with force=True); False if it did not move.

        A single conditional upsert, so two runs racing cannot move it backwards between them.
        """
        value = utc(new_value)
        now = self._now()
        with self._tx() as conn:
            stmt = upsert(conn, watermarks).values(
                tenant_id=tenant_id, stream=stream, value=value, updated_at=now, run_id=run_id
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["tenant_id", "stream"],
                set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at,
                      "run_id": stmt.excluded.run_id},
                where=None if force else watermarks.c.value < stmt.excluded.value,
            ).returning(w.value)
            moved = conn.execute(stmt).first() is not None
        if moved:
            log.info("tenant %s watermark %s -> %s%s", tenant_id, stream, value.isoformat(),
                     " (forced)" if force else "")
        return moved
