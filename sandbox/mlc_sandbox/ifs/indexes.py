"""Indexes of one entity set: what a query filters on is found without reading every row.

An equality index (column -> value -> rows) or an ordered one (sorted (value, seq) pairs, for
gt/ge/lt/le) is built the first time a query constrains that column, then kept up to date by every
insert, update, delete and rollback. An index only narrows the rows a query looks at: the full
$filter still runs over them, so an answer is exactly what a full scan gives, only sooner.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Key = tuple[Any, ...]


@dataclass
class Constraints:
    """What every matching row must satisfy: a column equal to one of some values, or within a range."""

    equals: dict[str, set[Any]] = field(default_factory=dict)
    # column -> (op, value) pairs, op one of gt ge lt le
    ranges: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)

    def equal(self, column: str, values: Iterable[Any]) -> None:
        values = set(values)
        self.equals[column] = self.equals[column] & values if column in self.equals else values

    def bound(self, column: str, op: str, value: Any) -> None:
        self.ranges.setdefault(column, []).append((op, value))

    def __bool__(self) -> bool:
        return bool(self.equals or self.ranges)


class _Ordered:
    """Sorted (value, seq) pairs of rows whose value is not null; None when values do not compare."""

    def __init__(self, rows: Iterable[Any], column: str) -> None:
        self.column = column
        self.pairs = sorted((r.values[column], r.seq) for r in rows if r.values.get(column) is not None)

    def add(self, value: Any, seq: int) -> None:
        if value is not None:
            bisect.insort(self.pairs, (value, seq))

    def remove(self, value: Any, seq: int) -> None:
        if value is None:
            return
        i = bisect.bisect_left(self.pairs, (value, seq))
        if i < len(self.pairs) and self.pairs[i] == (value, seq):
            del self.pairs[i]

    def seqs(self, bounds: list[tuple[str, Any]]) -> list[int]:
        lo, hi = 0, len(self.pairs)
        for op, value in bounds:
            if op in ("gt", "ge"):
                # (value, inf) sorts after every pair of that value; (value, -1) before every one.
                at = bisect.bisect_right(self.pairs, (value, float("inf"))) if op == "gt" else \
                    bisect.bisect_left(self.pairs, (value, -1))
                lo = max(lo, at)
            else:
                at = bisect.bisect_left(self.pairs, (value, -1)) if op == "lt" else \
                    bisect.bisect_right(self.pairs, (value, float("inf")))
                hi = min(hi, at)
        return [seq for _, seq in self.pairs[lo:hi]]


class Indexes:
    def __init__(self) -> None:
        self._equal: dict[str, dict[Any, dict[Key, Any]]] = {}
        self._ordered: dict[str, _Ordered] = {}
        self._unorderable: set[str] = set()
        self._by_seq: dict[int, Any] = {}  # for ordered look-ups (seq -> row), kept only once needed
        self._max: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    # -- upkeep --------------------------------------------------------------------------------------
    def added(self, key: Key, row: Any) -> None:
        for column, index in self._equal.items():
            index.setdefault(row.values.get(column), {})[key] = row
        if self._ordered:
            self._by_seq[row.seq] = row
            for column, ordered in list(self._ordered.items()):
                self._add_ordered(column, ordered, row.values.get(column), row.seq)
        self._raise_max(row.values)

    def removed(self, key: Key, row: Any) -> None:
        for column, index in self._equal.items():
            bucket = index.get(row.values.get(column))
            if bucket is not None:
                bucket.pop(key, None)
                if not bucket:
                    del index[row.values.get(column)]
        if self._ordered:
            self._by_seq.pop(row.seq, None)
            for column, ordered in self._ordered.items():
                ordered.remove(row.values.get(column), row.seq)
        self._forget_max(row.values)

    def changed(self, key: Key, row: Any, before: Mapping[str, Any]) -> None:
        """`row.values` changed in place from `before`."""
        after = row.values
        for column, index in self._equal.items():
            old, new = before.get(column), after.get(column)
            if old != new or type(old) is not type(new):
                bucket = index.get(old)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del index[old]
                index.setdefault(new, {})[key] = row
        for column, ordered in list(self._ordered.items()):
            old, new = before.get(column), after.get(column)
            if old != new:
                ordered.remove(old, row.seq)
                self._add_ordered(column, ordered, new, row.seq)
        if self._max:
            moved = {c for c in set(before) | set(after) if before.get(c) != after.get(c)}
            self._forget_max(before, moved)
            self._forget_max(after, moved)

    def _add_ordered(self, column: str, ordered: _Ordered, value: Any, seq: int) -> None:
        try:
            ordered.add(value, seq)
        except TypeError:  # a value of another type: this column cannot be kept in order
            del self._ordered[column]
            self._unorderable.add(column)

    def _raise_max(self, values: Mapping[str, Any]) -> None:
        for entry, top in list(self._max.items()):
            value = values.get(entry[0])
            if value is not None and all(values.get(k) == v for k, v in entry[1]) and (top is None or value > top):
                self._max[entry] = value

    def _forget_max(self, values: Mapping[str, Any], moved: set[str] | None = None) -> None:
        """Drop the maxima `values` took part in (`moved`: only those whose columns changed)."""
        for entry in [e for e in self._max if all(values.get(k) == v for k, v in e[1])
                      and (moved is None or e[0] in moved or any(k in moved for k, _ in e[1]))]:
            del self._max[entry]

    # -- look-ups ------------------------------------------------------------------------------------
    def candidates(self, rows: dict[Key, Any], where: Constraints) -> list[Any] | None:
        """Rows that may match (a superset of the matches), fewest first; None: no index narrows it."""
        best: list[Any] | None = None
        buckets: list[dict[Key, Any]] | None = None  # the smallest equality match, counted before it is read
        for column, values in where.equals.items():
            if not all(_hashable(v) for v in values):
                continue
            index = self._equal_index(rows, column)
            found = [index[v] for v in values if v in index]
            if buckets is None or sum(map(len, found)) < sum(map(len, buckets)):
                buckets = found
        if buckets is not None:
            best = [r for bucket in buckets for r in bucket.values()]
        for column, bounds in where.ranges.items():
            ordered = self._ordered_index(rows, column)
            if ordered is None:
                continue
            try:
                seqs = ordered.seqs(bounds)
            except TypeError:  # a bound of another type than the column's values: let the filter judge
                continue
            if best is None or len(seqs) < len(best):
                best = [self._by_seq[s] for s in seqs]
        if best is not None:
            best.sort(key=lambda r: r.seq)  # one order whichever index answered
        return best

    def max_of(self, rows: dict[Key, Any], column: str, **equals: Any) -> Any:
        """The largest non-null `column` of the rows with these values (None when there is none)."""
        entry = (column, tuple(sorted(equals.items())))
        if entry not in self._max:
            where = Constraints()
            for name, value in equals.items():
                where.equal(name, [value])
            found = self.candidates(rows, where) if equals else list(rows.values())
            matching = (r.values.get(column) for r in found or ()
                        if all(r.values.get(k) == v for k, v in equals.items()))
            self._max[entry] = max((v for v in matching if v is not None), default=None)
        return self._max[entry]

    def _equal_index(self, rows: dict[Key, Any], column: str) -> dict[Any, dict[Key, Any]]:
        index = self._equal.get(column)
        if index is None:
            index = self._equal[column] = {}
            for key, row in rows.items():
                index.setdefault(row.values.get(column), {})[key] = row
        return index

    def _ordered_index(self, rows: dict[Key, Any], column: str) -> _Ordered | None:
        if column in self._unorderable:
            return None
        ordered = self._ordered.get(column)
        if ordered is None:
            try:
                ordered = _Ordered(rows.values(), column)
            except TypeError:
                self._unorderable.add(column)
                return None
            if not self._by_seq:
                self._by_seq = {r.seq: r for r in rows.values()}
            self._ordered[column] = ordered
        return ordered


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
