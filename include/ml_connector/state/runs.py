"""Runs: one row per DAG run and tenant, with its counts and control totals when it ends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from ml_connector.state.base import Ops, upsert
from ml_connector.state.models import runs
from ml_connector.state.records import RunRecord

r = runs.c


class RunOps(Ops):
    def start_run(
        self, tenant_id: str, run_id: str, *, dag_id: str | None = None, info: dict[str, Any] | None = None
    ) -> bool:
        """False if the run is already recorded (a task retry): its first start time stays."""
        with self._tx() as conn:
            stmt = upsert(conn, runs).values(
                tenant_id=tenant_id, run_id=run_id, dag_id=dag_id, info=info, state="running",
                started_at=self._now(),
            ).on_conflict_do_nothing(index_elements=["tenant_id", "run_id"]).returning(r.run_id)
            return conn.execute(stmt).first() is not None

    def finish_run(
        self, tenant_id: str, run_id: str, state: str, *, counts: Any = None, control_totals: Any = None
    ) -> bool:
        """Record the outcome; counts and totals may hold Decimals and dataclasses (kept as strings)."""
        stmt = update(runs).where(r.tenant_id == tenant_id, r.run_id == run_id).values(
            state=state, finished_at=self._now(), counts=counts, control_totals=control_totals
        )
        with self._tx() as conn:
            return conn.execute(stmt).rowcount == 1

    def get_run(self, tenant_id: str, run_id: str) -> RunRecord | None:
        with self._tx(read_only=True) as conn:
            row = conn.execute(select(runs).where(r.tenant_id == tenant_id, r.run_id == run_id)).first()
        return RunRecord.from_row(row) if row else None

    def recent_runs(self, tenant_id: str, limit: int = 10) -> list[RunRecord]:
        """The tenant's latest runs, newest first."""
        stmt = select(runs).where(r.tenant_id == tenant_id).order_by(r.started_at.desc(), r.run_id.desc()).limit(limit)
        with self._tx(read_only=True) as conn:
            return [RunRecord.from_row(row) for row in conn.execute(stmt).all()]
