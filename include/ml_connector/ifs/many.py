"""Many reads of one projection in few round trips: GET parts of one `$batch` each, pages beyond the
first followed with plain GETs; or one plain read each where $batch is not to be used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ml_connector.http.errors import ProtocolError
from ml_connector.ifs.batch import EntityBatch
from ml_connector.ifs.odata import Query, encode_query, entity_path
from ml_connector.ifs.reads import EntityReads
from ml_connector.ifs.wire import Keys

# GET parts per $batch request: a few hundred rows each, one answer of a bounded size.
READS_PER_BATCH = 50


@dataclass(frozen=True)
class Read:
    entity_set: str
    query: Query = field(default_factory=Query)
    keys: Keys | None = None
    navigation: str | None = None

    def url(self) -> str:
        """Relative to the projection, as a $batch part addresses it."""
        params = encode_query(self.query.params())
        path = entity_path(self.entity_set, self.keys, self.navigation)
        return f"{path}?{params}" if params else path


def read_all(reads: EntityReads, batch: EntityBatch, projection: str, wanted: Sequence[Read], *,
             use_batch: bool = True) -> list[list[dict[str, Any]]]:
    """The rows of each read in `wanted`, in order."""
    if not use_batch or len(wanted) < 2:
        return [list(reads.iter(projection, r.entity_set, r.query, keys=r.keys, navigation=r.navigation))
                for r in wanted]
    out: list[list[dict[str, Any]]] = []
    for start in range(0, len(wanted), READS_PER_BATCH):
        chunk = wanted[start:start + READS_PER_BATCH]
        for read, answer in zip(chunk, batch.get_all(projection, [r.url() for r in chunk]), strict=True):
            payload = answer.body or {}
            rows = payload.get("value")
            if not isinstance(rows, list):
                raise ProtocolError(f"$batch read of {read.entity_set} answered without a value array")
            link = payload.get("@odata.nextLink")
            out.append(rows + list(reads.iter_link(str(link))) if link else rows)
    return out
