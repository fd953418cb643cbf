"""Split records into request bodies that respect both Basware limits: count and bytes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_REQUEST_BYTES = 6_000_000  # Basware's 6 MB, counted in decimal to keep headroom


@dataclass(frozen=True)
class Chunk:
    records: list[Mapping[str, Any]]
    body: bytes  # exactly what is sent, so the size check is on the real bytes
    oversized: bool = False  # a single record larger than the limit: reject it, never send it


def _number(value: Any) -> Any:
    # Basware's amounts are JSON numbers (format double): a Decimal goes out as one, never as a string.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.is_finite() else float(value)
    return str(value)


def encode(record: Any) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=_number).encode("utf-8")


def chunk_records(
    records: Iterable[Mapping[str, Any]], *, max_count: int, max_bytes: int = MAX_REQUEST_BYTES
) -> Iterator[Chunk]:
    """Yield JSON-array bodies of at most `max_count` records and `max_bytes` bytes each."""
    parts: list[bytes] = []
    batch: list[Mapping[str, Any]] = []
    size = 2  # the enclosing brackets
    for record in records:
        part = encode(record)
        if len(part) + 2 > max_bytes:
            yield Chunk([record], b"[" + part + b"]", oversized=True)
            continue
        extra = len(part) + (1 if parts else 0)  # the comma
        if parts and (len(parts) >= max_count or size + extra > max_bytes):
            yield Chunk(batch, b"[" + b",".join(parts) + b"]")
            parts, batch, size = [], [], 2
            extra = len(part)
        parts.append(part)
        batch.append(record)
        size += extra
    if parts:
        yield Chunk(batch, b"[" + b",".join(parts) + b"]")
