"""Audit trail: what the connector did to master data (vendors, accounts...), and who changed it last."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from ml_connector.state.base import Ops
from ml_connector.state.models import AuditAction, SourceSystem, audit
from ml_connector.state.records import AuditEntry

a = audit.c


class AuditOps(Ops):
    def audit(
        self, tenant_id: str, entity: str, key: str, action: AuditAction | str,
        source_system: SourceSystem | str, changes: dict[str, Any] | None = None, *,
        run_id: str | None = None, at: datetime | None = None,
    ) -> int:
        """Append one entry; `changes` is {field: {"before": ..., "after": ...}}. Returns its id."""
        stmt = insert(audit).values(
            tenant_id=tenant_id, entity=entity, entity_key=key, action=AuditAction(action),
            source_system=SourceSystem(source_system), changes=changes, run_id=run_id, at=at or self._now(),
        ).returning(a.id)
        with self._tx() as conn:
            return int(conn.execute(stmt).scalar_one())

    def audit_history(
        self, tenant_id: str, entity: str, key: str, *, limit: int | None = None
    ) -> list[AuditEntry]:
        """Oldest first (ties in `at` by insertion order); with `limit`, the latest `limit` entries."""
        where = (a.tenant_id == tenant_id, a.entity == entity, a.entity_key == key)
        stmt = select(audit).where(*where).order_by(a.at.desc(), a.id.desc()).limit(limit)
        with self._tx(read_only=True) as conn:
            rows = conn.execute(stmt).all()
        return [AuditEntry.from_row(r) for r in reversed(rows)]

    def audit_entries(self, tenant_id: str, entity: str, key: str | None = None) -> list[AuditEntry]:
        """Every entry of one entity kind (or of one record with `key`), oldest first."""
        where = [a.tenant_id == tenant_id, a.entity == entity]
        if key is not None:
            where.append(a.entity_key == key)
        stmt = select(audit).where(*where).order_by(a.at, a.id)
        with self._tx(read_only=True) as conn:
            return [AuditEntry.from_row(r) for r in conn.execute(stmt).all()]

    def recent_audit(self, tenant_id: str, entity: str, limit: int = 20) -> list[AuditEntry]:
        """The latest entries of one entity kind, newest first."""
        stmt = (select(audit).where(a.tenant_id == tenant_id, a.entity == entity)
                .order_by(a.at.desc(), a.id.desc()).limit(limit))
        with self._tx(read_only=True) as conn:
            return [AuditEntry.from_row(r) for r in conn.execute(stmt).all()]
