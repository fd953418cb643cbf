"""The IFS history log: what changed in one logical unit since a moment, with each row's key parsed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ml_connector.field_map import HistoryLogMap
from ml_connector.ifs.odata import F, Query
from ml_connector.ifs.reads import EntityReads


class HistoryLog:
    def __init__(self, reads: EntityReads, names: HistoryLogMap) -> None:
        self._reads = reads
        self._names = names

    def iter(self, lu_name: str, since: datetime) -> Iterator[dict[str, Any]]:
        """History-log entries of one logical unit written after `since`, oldest first, each with its
        key columns parsed from IFS's keyref (`COMPANY=10^INVOICE_ID=1^`) under "key"."""
        n = self._names
        query = Query(filter=F(n.lu_name).eq(lu_name), orderby=(n.timestamp, n.log_id))
        entries = self._reads.iter_modified_since(n.projection, n.entity_set, n.timestamp, since, query)
        for entry in entries:
            yield {**entry, "key": parse_keyref(str(entry.get(n.keys) or ""))}


def parse_keyref(keyref: str) -> dict[str, str]:
    """IFS keyref `COMPANY=10^INVOICE_ID=1^` -> {"COMPANY": "10", "INVOICE_ID": "1"}."""
    pairs = (part.split("=", 1) for part in keyref.split("^") if "=" in part)
    return dict(pairs)
