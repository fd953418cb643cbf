"""The IFS history log: what changed in one logical unit since a moment, with each row's key parsed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ml_connector.ifs.config import IfsEntities
from ml_connector.ifs.odata import F, Query
from ml_connector.ifs.reads import EntityReads


class HistoryLog:
    def __init__(self, reads: EntityReads, entities: IfsEntities) -> None:
        self._reads = reads
        self._entities = entities

    def iter(self, lu_name: str, since: datetime) -> Iterator[dict[str, Any]]:
        """History-log entries of one logical unit written after `since`, oldest first, each with its
        key columns parsed from IFS's keyref (`COMPANY=10^INVOICE_ID=1^`) under "key"."""
        log_set = self._entities.history_log
        column = log_set.modified_column or "TimeStamp"
        query = Query(filter=F("LuName").eq(lu_name), orderby=(column, "LogId"))
        entries = self._reads.iter_modified_since(
            log_set.projection, log_set.entity_set, column, since, query)
        for entry in entries:
            yield {**entry, "key": parse_keyref(str(entry.get("Keys") or ""))}


def parse_keyref(keyref: str) -> dict[str, str]:
    """IFS keyref `COMPANY=10^INVOICE_ID=1^` -> {"COMPANY": "10", "INVOICE_ID": "1"}."""
    pairs = (part.split("=", 1) for part in keyref.split("^") if "=" in part)
    return dict(pairs)
