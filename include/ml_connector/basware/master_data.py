"""Master data pushed to Basware: GL accounts, cost centers and the generic coding lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ml_connector.basware.models import UpsertResult
from ml_connector.basware.transport import BaswareTransport

MASTER_DATA_PER_CALL = 500
_LIST_KEY = re.compile(r"^ACC_LIST_([1-9]|[12][0-9]|3[0-5])$")


class MasterData:
    def __init__(self, transport: BaswareTransport) -> None:
        self._t = transport

    def upsert_accounts(self, accounts: Iterable[Mapping[str, Any]]) -> UpsertResult:
        return self._t.post_chunked("/v1/accounts", accounts, MASTER_DATA_PER_CALL)

    def upsert_cost_centers(self, cost_centers: Iterable[Mapping[str, Any]]) -> UpsertResult:
        return self._t.post_chunked("/v1/costCenters", cost_centers, MASTER_DATA_PER_CALL)

    def upsert_list(self, list_key: str, items: Iterable[Mapping[str, Any]]) -> UpsertResult:
        if not _LIST_KEY.match(list_key):
            raise ValueError(f"list key must be ACC_LIST_1..ACC_LIST_35, not {list_key!r}")
        return self._t.post_chunked(f"/v1/lists/{list_key}", items, MASTER_DATA_PER_CALL)
