"""Staging of extracted documents as JSON batches, so that XCom carries only references.

`base` is anything path-like with `/`, `mkdir`, `write_text` and `read_text`: a `pathlib.Path` for
local runs and tests, an Airflow `ObjectStoragePath` for shared storage between workers.
References are relative to `base`, so the DAG passes the same base to every task.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, Self

MAX_BATCHES = 1024  # Airflow's default max_map_length: one mapped task per batch
DEFAULT_BATCH_SIZE = 200
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class StoragePath(Protocol):
    def __truediv__(self, key: str) -> Self: ...
    def mkdir(self, parents: bool = ..., exist_ok: bool = ...) -> None: ...
    def write_text(self, data: str, encoding: str | None = ...) -> Any: ...
    def read_text(self, encoding: str | None = ...) -> str: ...


def run_folder(tenant_id: str, run_id: str) -> str:
    """`demo/scheduled__2026-11-01T00_00_00_00_00-1a2b3c4d`: Airflow run ids hold ':' and '+'."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:8]
    return f"{_UNSAFE.sub('_', tenant_id)}/{_UNSAFE.sub('_', run_id)[:80]}-{digest}"


class Staging:
    def __init__(self, base: StoragePath, tenant_id: str, run_id: str) -> None:
        self.base = base
        self.folder = run_folder(tenant_id, run_id)

    def write(self, name: str, data: Any) -> str:
        ref = f"{self.folder}/{name}"
        target = self._path(ref)
        self._path(self.folder).mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, separators=(",", ":"), default=str), encoding="utf-8")
        return ref

    def read(self, ref: str) -> Any:
        return json.loads(self._path(ref).read_text(encoding="utf-8"))

    def _path(self, ref: str) -> StoragePath:
        path = self.base
        for part in ref.split("/"):
            if part in ("", ".", ".."):
                raise ValueError(f"bad staging reference {ref!r}")
            path = path / part
        return path


def read_json(base: StoragePath, ref: str) -> Any:
    """Read a staged file by its reference (the task side: no run folder needed)."""
    return Staging(base, "_", "_").read(ref)


def batch_size_for(total: int, wanted: int = DEFAULT_BATCH_SIZE, max_batches: int = MAX_BATCHES) -> int:
    """`wanted`, grown when `total` items would otherwise need more than `max_batches` batches."""
    return max(wanted, -(-total // max_batches)) if total else wanted


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_batches(staging: Staging, kind: str, items: list[dict[str, Any]], size: int,
                  extra: dict[str, Any], start: int = 0) -> list[dict[str, Any]]:
    """Write `items` as `<kind>-0001.json`...; returns the references the DAG expands over."""
    refs = []
    for n, chunk in enumerate(chunked(items, size), start=start + 1):
        ref = staging.write(f"{kind}-{n:04d}.json", {**extra, "kind": kind, "items": chunk})
        refs.append({"ref": ref, "kind": kind, "count": len(chunk)})
    return refs
