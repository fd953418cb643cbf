"""The token cache: one sealed token per credential-set slot (see models.token_cache, http/token_seal).

The store is a `TokenCache` for `TokenManager.share_through`; its cross-process lock is
`StateStore.token_lock`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from ml_connector.state.base import Ops, upsert
from ml_connector.state.models import token_cache

t = token_cache.c
# Expired rows are purged on the next save of any slot; kept this long for a look during an incident.
EXPIRED_ROWS_KEPT = timedelta(hours=1)


class TokenCacheOps(Ops):
    def load_token(self, slot: str) -> bytes | None:
        with self._tx(read_only=True) as conn:
            sealed = conn.execute(select(t.sealed).where(t.slot == slot)).scalar()
        return bytes(sealed) if sealed is not None else None

    def save_token(self, slot: str, sealed: bytes, expires_at: float) -> None:
        """Store `sealed` in `slot` (replacing what was there); `expires_at` in epoch seconds."""
        now = self._now()
        with self._tx() as conn:
            conn.execute(delete(token_cache).where(t.expires_at < now - EXPIRED_ROWS_KEPT))
            stmt = upsert(conn, token_cache).values(
                slot=slot, sealed=sealed, expires_at=datetime.fromtimestamp(expires_at, UTC), saved_at=now)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["slot"],
                set_={"sealed": stmt.excluded.sealed, "expires_at": stmt.excluded.expires_at,
                      "saved_at": stmt.excluded.saved_at}))

    def discard_token(self, slot: str, sealed: bytes) -> None:
        with self._tx() as conn:
            conn.execute(delete(token_cache).where(t.slot == slot, t.sealed == sealed))
