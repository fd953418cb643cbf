"""Vendor versions: per (tenant, vendor, system), the synced fields as the last sync left them there.

A vendor read whose content hash equals the stored one did not change since (our own write read back
is no change); a vendor changed in both systems since is a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ml_connector.state.base import Ops, chunks, upsert
from ml_connector.state.models import vendor_versions

v = vendor_versions.c
_ROWS_PER_STATEMENT = 500


@dataclass(frozen=True)
class VendorVersion:
    content_hash: str
    content: dict[str, Any]
    run_id: str | None


class VendorVersionOps(Ops):
    def vendor_versions(self, tenant_id: str) -> dict[tuple[str, str], VendorVersion]:
        """(vendor code, system) -> the version the last sync left in that system."""
        stmt = select(v.vendor_code, v.system, v.content_hash, v.content, v.run_id).where(v.tenant_id == tenant_id)
        with self._tx(read_only=True) as conn:
            return {(r.vendor_code, r.system): VendorVersion(r.content_hash, dict(r.content or {}), r.run_id)
                    for r in conn.execute(stmt)}

    def record_vendor_versions(self, tenant_id: str,
                               versions: Mapping[tuple[str, str], tuple[str, Mapping[str, Any]]],
                               run_id: str | None = None) -> None:
        """Upsert {(vendor code, system): (content hash, content)}."""
        now = self._now()
        rows = [{"tenant_id": tenant_id, "vendor_code": code, "system": system, "content_hash": digest,
                 "content": dict(content), "run_id": run_id, "synced_at": now}
                for (code, system), (digest, content) in versions.items()]
        with self._tx() as conn:
            for part in chunks(rows, _ROWS_PER_STATEMENT):
                stmt = upsert(conn, vendor_versions).values(list(part))
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=["tenant_id", "vendor_code", "system"],
                    set_={"content_hash": stmt.excluded.content_hash, "content": stmt.excluded.content,
                          "run_id": stmt.excluded.run_id, "synced_at": stmt.excluded.synced_at}))
