"""In-memory entity sets with IFS row identity: Objid (a ROWID), Objversion, weak ETags, history log.

Rows keep their insertion sequence: without $orderby the simulator returns rows newest-inserted first,
a deterministic stand-in for the physical order Oracle gives IFS, which shifts when rows are added.
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlc_sandbox.ifs.clock import SimClock
from mlc_sandbox.ifs.entities import HISTORY_LOG, Schema
from mlc_sandbox.ifs.indexes import Constraints, Indexes
from mlc_sandbox.ifs.model import EntityType

_ROWID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def make_etag(objid: str, objversion: str) -> str:
    # What IFS sends: W/"<base64 of W/"objid:objversion">" (the reference's example starts "Vy8i" = W/").
    inner = f'W/"{objid}:{objversion}"'
    return f'W/"{base64.b64encode(inner.encode()).decode()}"'


def _rowid(table_no: int, seq: int) -> str:
    def b64(n: int, width: int) -> str:
        chars = []
        for _ in range(width):
            n, r = divmod(n, 64)
            chars.append(_ROWID_ALPHABET[r])
        return "".join(reversed(chars))

    return f"AAA{b64(table_no + 20_000, 3)}AAF{b64(seq // 1000, 6)}AA{b64(seq % 1000, 1)}"


@dataclass
class Row:
    values: dict[str, Any]
    seq: int  # insertion order, never changes

    @property
    def etag(self) -> str:
        return make_etag(self.values["Objid"], self.values["Objversion"])


class EntityStore:
    """Rows by key; change them only through put, pop and changed, which keep the indexes current."""

    def __init__(self, etype: EntityType) -> None:
        self.etype = etype
        self.rows: dict[tuple[Any, ...], Row] = {}
        self.indexes = Indexes()

    def key_of(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[k] for k in self.etype.keys)

    def get(self, key: tuple[Any, ...]) -> Row | None:
        return self.rows.get(key)

    def put(self, key: tuple[Any, ...], row: Row) -> None:
        previous = self.rows.get(key)
        if previous is not None:
            self.indexes.removed(key, previous)
        self.rows[key] = row
        self.indexes.added(key, row)

    def pop(self, key: tuple[Any, ...]) -> Row | None:
        row = self.rows.pop(key, None)
        if row is not None:
            self.indexes.removed(key, row)
        return row

    def changed(self, row: Row, before: dict[str, Any]) -> None:
        """`row.values` were changed in place; `before` is what they were."""
        key = self.key_of(row.values)
        if self.rows.get(key) is row:
            self.indexes.changed(key, row, before)

    def where(self, **equals: Any) -> list[Row]:
        return self.matching(Constraints({k: {v} for k, v in equals.items()}),
                             lambda values: all(values.get(k) == v for k, v in equals.items()))

    def matching(self, where: Constraints, predicate: Callable[[dict[str, Any]], bool] | None = None) -> list[Row]:
        """Rows for which `predicate` holds, read through an index when `where` names an indexed column."""
        found = self.indexes.candidates(self.rows, where) if where else None
        rows = list(self.rows.values()) if found is None else found
        return rows if predicate is None else [r for r in rows if predicate(r.values)]

    def max_of(self, column: str, **equals: Any) -> Any:
        return self.indexes.max_of(self.rows, column, **equals)


class Database:
    """All entity sets; every write bumps Objversion (so the ETag) and is written to the history log."""

    def __init__(self, clock: SimClock, schema: Schema | None = None) -> None:
        self.clock = clock
        self.schema = schema or Schema()
        self.lock = threading.RLock()
        self.stores = {t.entity_set: EntityStore(t) for t in self.schema.entity_types}
        self._table_no = {t.entity_set: n for n, t in enumerate(self.schema.entity_types)}
        self._seq = itertools.count(1)
        self._writes = itertools.count(1)
        self._log_ids = itertools.count(1)
        # While a $batch change set runs: how to undo each write it made, newest last (see snapshot()).
        self._undo: list[Callable[[], object]] | None = None

    def store(self, entity_set: str) -> EntityStore:
        return self.stores[entity_set]

    def now(self) -> datetime:
        # IFS timestamps are Oracle DATEs: whole seconds (two writes in one second share a ModifiedDate).
        return self.clock.now().replace(microsecond=0)

    def _objversion(self, when: datetime) -> str:
        # Timestamp-style like IFS, with a write counter so two writes in one second still differ.
        return f"{when:%Y%m%d%H%M%S}{next(self._writes):06d}"

    def insert(self, etype: EntityType, values: dict[str, Any], user: str, history: bool = True) -> Row:
        with self.lock:
            store = self.stores[etype.entity_set]
            seq = next(self._seq)
            row_values = {p.name: values.get(p.name) for p in etype.props}
            now = self.now()
            if etype.prop("ModifiedDate") and row_values.get("ModifiedDate") is None:
                row_values["ModifiedDate"] = now
            stamp = row_values.get("ModifiedDate") or now
            row_values.update(luname=etype.lu_name, keyref=etype.keyref(row_values), Objgrants=None,
                              Objid=_rowid(self._table_no[etype.entity_set], seq),
                              Objversion=self._objversion(stamp))
            row = Row(row_values, seq)
            key = store.key_of(row_values)
            self._note_undo(store, key, store.rows.get(key))
            store.put(key, row)
            if history:
                self._history(etype, row, "Insert", user)
            return row

    def update(self, etype: EntityType, row: Row, changes: dict[str, Any], user: str) -> Row:
        """Apply `changes` (may be empty: a touch) and give the row a new Objversion."""
        with self.lock:
            self._note_values(etype.entity_set, row)
            before = dict(row.values)
            row.values.update(changes)
            now = self.now()
            if etype.prop("ModifiedDate"):
                row.values["ModifiedDate"] = now
            row.values["Objversion"] = self._objversion(now)
            self.stores[etype.entity_set].changed(row, before)
            self._history(etype, row, "Update", user)
            return row

    def delete(self, etype: EntityType, row: Row, user: str) -> None:
        with self.lock:
            store = self.stores[etype.entity_set]
            key = store.key_of(row.values)
            self._note_undo(store, key, store.pop(key))
            self._history(etype, row, "Delete", user)

    def _history(self, etype: EntityType, row: Row, kind: str, user: str) -> None:
        if etype is HISTORY_LOG:
            return
        values = {"LogId": next(self._log_ids), "LuName": etype.lu_name, "TableName": etype.db_table,
                  "Keys": row.values["keyref"], "HistoryType": kind, "TimeStamp": self.now(),
                  "Username": user}
        self.insert(HISTORY_LOG, values, user, history=False)

    def set_derived(self, etype: EntityType, row: Row, name: str, value: Any) -> None:
        """A derived column (e.g. Objstate) set by a rule: undone with its change set too."""
        with self.lock:
            self._note_values(etype.entity_set, row)
            before = dict(row.values)
            row.values[name] = value
            self.stores[etype.entity_set].changed(row, before)

    def snapshot(self) -> list[Callable[[], object]]:
        """Start recording undo steps (a $batch change set restores them when one of its requests fails).
        An undo journal, not a copy: a change set costs what it writes, not what the database holds."""
        with self.lock:
            self._undo = []
            return self._undo

    def restore(self, undo: list[Callable[[], object]]) -> None:
        with self.lock:
            for step in reversed(undo):
                step()
            self._undo = None

    def release(self) -> None:
        """The change set is done: stop recording."""
        with self.lock:
            self._undo = None

    def _note_undo(self, store: EntityStore, key: tuple[Any, ...], previous: Row | None) -> None:
        if self._undo is None:
            return
        if previous is None:
            self._undo.append(lambda: store.pop(key))
        else:
            self._undo.append(lambda: store.put(key, previous))

    def _note_values(self, entity_set: str, row: Row) -> None:
        if self._undo is not None:
            store, before = self.stores[entity_set], dict(row.values)

            def put_back() -> None:
                now = dict(row.values)
                row.values.clear()
                row.values.update(before)
                store.changed(row, now)

            self._undo.append(put_back)

    def all_rows(self, entity_set: str) -> Iterable[Row]:
        return list(self.stores[entity_set].rows.values())
