"""Reports: the latest value of each named observation per tenant, overwritten on every write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ml_connector.state.base import Ops, upsert
from ml_connector.state.models import reports
from ml_connector.state.records import Report

p = reports.c


class ReportOps(Ops):
    def put_report(self, tenant_id: str, name: str, payload: Any, *, run_id: str | None = None) -> None:
        with self._tx() as conn:
            stmt = upsert(conn, reports).values(tenant_id=tenant_id, name=name, payload=payload, run_id=run_id,
                                                at=self._now())
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["tenant_id", "name"],
                set_={"payload": stmt.excluded.payload, "run_id": stmt.excluded.run_id, "at": stmt.excluded.at}))

    def reports(self, tenant_id: str) -> dict[str, Report]:
        """name -> the latest report of that name."""
        with self._tx(read_only=True) as conn:
            rows = conn.execute(select(reports).where(p.tenant_id == tenant_id)).all()
        return {row.name: Report.from_row(row) for row in rows}
