"""Content hashes of the master-data records last sent to Basware, per (tenant, target, record)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select

from ml_connector.state.base import Ops, chunks, upsert
from ml_connector.state.models import master_data_hashes

h = master_data_hashes.c
_ROWS_PER_STATEMENT = 5000  # rows per executemany call: bounded memory per round trip


class MasterDataOps(Ops):
    def master_data_hashes(self, tenant_id: str) -> dict[tuple[str, str], str]:
        """(target, external code) -> content hash of what Basware was last sent."""
        stmt = select(h.target, h.external_code, h.content_hash).where(h.tenant_id == tenant_id)
        with self._tx(read_only=True) as conn:
            return {(r.target, r.external_code): r.content_hash for r in conn.execute(stmt)}

    def record_master_data_hashes(self, tenant_id: str, sent: Mapping[tuple[str, str], str],
                                  run_id: str | None = None) -> None:
        now = self._now()
        rows = [{"tenant_id": tenant_id, "target": t, "external_code": c, "content_hash": v, "run_id": run_id,
                 "sent_at": now} for (t, c), v in sent.items()]
        if not rows:
            return
        with self._tx() as conn:
            # One statement, many parameter sets: with RETURNING, SQLAlchemy's "insertmanyvalues" sends
            # them as multi-row INSERTs compiled once (a hand-built multi-row VALUES is compiled anew per
            # chunk, and a plain executemany is one round trip per row on psycopg2).
            stmt = upsert(conn, master_data_hashes)
            stmt = stmt.on_conflict_do_update(
                index_elements=["tenant_id", "target", "external_code"],
                set_={"content_hash": stmt.excluded.content_hash, "run_id": stmt.excluded.run_id,
                      "sent_at": stmt.excluded.sent_at}).returning(h.external_code)
            for part in chunks(rows, _ROWS_PER_STATEMENT):
                conn.execute(stmt, list(part)).close()

    def master_data_sent_by(self, tenant_id: str, run_id: str) -> dict[str, int]:
        """How many records of each target a run sent (and Basware accepted)."""
        stmt = (select(h.target, func.count()).where(h.tenant_id == tenant_id, h.run_id == run_id)
                .group_by(h.target))
        with self._tx(read_only=True) as conn:
            return {target: int(n) for target, n in conn.execute(stmt)}
