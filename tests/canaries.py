"""Find known secret values (canaries) wherever the connector leaves traces: files (task and demo logs,
staging), databases (every table, every text-like column) and captured texts (output, exceptions,
HTTP answers). Extend by passing more paths, URLs or texts; a finding names where the canary was."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa


def _variants(canary: str) -> set[bytes]:
    raw = canary.encode()
    return {raw, raw.hex().encode(), canary.encode("utf-16-le")}


def _scan_bytes(where: str, data: bytes, canaries: Iterable[str]) -> list[str]:
    return [f"{canary!r} in {where}" for canary in canaries if any(v in data for v in _variants(canary))]


def scan_files(paths: Iterable[Path], canaries: Iterable[str], *, skip: Iterable[Path] = ()) -> list[str]:
    skipped = {p.resolve() for p in skip}
    canaries = list(canaries)
    found: list[str] = []
    for root in paths:
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if path.is_file() and path.resolve() not in skipped:
                found += _scan_bytes(str(path), path.read_bytes(), canaries)
    return found


def scan_database(url: str, canaries: Iterable[str]) -> list[str]:
    """Every row of every table, each value as text (JSON, blobs and pickles as their bytes)."""
    canaries = list(canaries)
    found: list[str] = []
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        if value is None:
                            continue
                        data = value if isinstance(value, bytes) else str(value).encode()
                        found += _scan_bytes(f"{url} {table.name}.{column.name}", data, canaries)
    finally:
        engine.dispose()
    return found


def scan_for_canaries(canaries: Iterable[str], *, paths: Iterable[Path] = (), db_urls: Iterable[str] = (),
                      texts: dict[str, str] | None = None, skip: Iterable[Path] = ()) -> list[str]:
    canaries = [c for c in canaries if c]
    assert canaries, "no canary to look for"
    found = scan_files(paths, canaries, skip=skip)
    for url in db_urls:
        found += scan_database(url, canaries)
    for where, text in (texts or {}).items():
        found += _scan_bytes(where, text.encode(), canaries)
    return found
