"""Which Basware documents a run reads, and when its watermark may move.

Watermark mode (scheduled runs): documents with lastUpdated after (watermark - overlap). The overlap
catches documents committed late with an earlier timestamp; reading one twice is harmless.
Explicit mode (backfill or a data interval): [start, end). Basware only filters "after", so the
end is applied here. An explicit window moves the watermark only when it reaches back to it (so
no gap opens before the window) and never backwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from ml_connector.state import FINAL, StateStore, Status
from ml_connector.sync.values import iso, parse_timestamp

STREAM = "invoices"
DEFAULT_OVERLAP = timedelta(minutes=5)
# Final for the watermark: reported, or quarantined AND told to Basware.
SETTLED = (Status.REPORTED, Status.TRANSFER_FAILED_REPORTED)
UNSETTLED = tuple(s for s in Status if s not in SETTLED)
assert set(SETTLED) <= FINAL


@dataclass(frozen=True)
class Window:
    explicit: bool
    query_after: datetime | None  # asked of Basware as lastUpdated (exclusive)
    since: datetime | None  # lower bound of the window, for the completeness check
    until: datetime | None  # exclusive upper bound (explicit windows only)
    watermark_before: datetime | None = None
    max_last_updated: datetime | None = None  # latest document read, the watermark candidate
    truncated: bool = False  # extraction stopped at the batch limit: no watermark move

    def contains(self, last_updated: datetime | None) -> bool:
        if last_updated is None:
            return not self.explicit  # undated documents belong to the regular runs
        if self.explicit:
            return self.since is not None and self.until is not None and self.since <= last_updated < self.until
        return self.query_after is None or last_updated > self.query_after

    def to_dict(self) -> dict[str, Any]:
        return {k: iso(v) if isinstance(v, datetime) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Window:
        def at(name: str) -> datetime | None:
            return parse_timestamp(data.get(name))

        return cls(bool(data["explicit"]), at("query_after"), at("since"), at("until"), at("watermark_before"),
                   at("max_last_updated"), bool(data.get("truncated")))


def plan(store: StateStore, tenant_id: str, window: tuple[datetime, datetime] | None = None,
         overlap: timedelta = DEFAULT_OVERLAP, stream: str = STREAM) -> Window:
    current = store.get_watermark(tenant_id, stream)
    if window is None:
        after = current - overlap if current is not None else None
        return Window(False, after, after, None, current)
    start, end = window
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise ValueError(f"window must be two aware datetimes, start before end: {start!r}, {end!r}")
    return Window(True, start - overlap, start, end, current)


def watermark_target(store: StateStore, tenant_id: str, window: Window, stream: str = STREAM,
                     ) -> tuple[datetime | None, str]:
    """(where the watermark may move, why) — (None, why not) when it must stay."""
    if window.truncated:
        return None, "extraction stopped at the batch limit; the next run continues"
    if window.max_last_updated is None:
        return None, "no documents in the window"
    current = store.get_watermark(tenant_id, stream)
    if window.explicit and (current is None or (window.since is not None and window.since > current)):
        return None, "explicit window does not reach back to the watermark"
    # A count and five examples: a window of 100,000 unfinished invoices is not loaded to say so.
    until = window.max_last_updated + timedelta(microseconds=1)
    blocking = store.unfinished(tenant_id, UNSETTLED, since=window.since, until=until, limit=5)
    if blocking:
        sample = ", ".join(f"{e.invoice_id} ({e.status})" for e in blocking)
        total = store.count_unfinished(tenant_id, UNSETTLED, since=window.since, until=until)
        return None, f"{total} invoice(s) of the window not final yet: {sample}"
    return window.max_last_updated, "window complete"
