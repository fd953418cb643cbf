"""Query options ($filter, $select, $orderby, $top, $skip, $count, $skiptoken, $expand) and server paging.

Server paging continues from the last row's sort values (a keyset $skiptoken), so rows added or
removed between pages never make it skip or repeat rows. $top/$skip paging counts positions and so
shows the hazard IFS warns about. Without $orderby rows come newest-inserted first; with $orderby the
key columns break ties, so a $orderby on the key is a total, stable order.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import total_ordering
from operator import itemgetter
from typing import Any

from mlc_sandbox.ifs import edm
from mlc_sandbox.ifs.errors import bad_query
from mlc_sandbox.ifs.expand_options import ExpandItem, parse_expand
from mlc_sandbox.ifs.filter_plan import constraints_of
from mlc_sandbox.ifs.indexes import Constraints
from mlc_sandbox.ifs.model import EntityType
from mlc_sandbox.ifs.odata_filter import compile_filter
from mlc_sandbox.ifs.store import Row

_KNOWN_OPTIONS = {"$filter", "$select", "$orderby", "$top", "$skip", "$count", "$skiptoken", "$format",
                  "$expand"}
_SEQ = "__seq__"  # pseudo column: insertion order, for the default (unordered) sort
_NEWEST_FIRST = [(_SEQ, True)]


@dataclass
class QueryOptions:
    filter: Callable[[dict[str, Any]], bool] | None = None
    select: list[str] | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    top: int | None = None
    skip: int = 0
    count: bool = False
    skiptoken: str | None = None
    raw_orderby: str = ""
    expand: list[ExpandItem] = field(default_factory=list)
    where: Constraints | None = None  # what the $filter requires of every row, for the indexes


@dataclass
class Page:
    rows: list[Row]
    count: int
    next_token: str | None


def parse_options(params: Iterable[tuple[str, str]], etype: EntityType,
                  allow_paging: bool = True, now: Callable[[], datetime] | None = None,
                  by_set: Mapping[str, EntityType] | None = None) -> QueryOptions:
    """`now`: the clock for now() in $filter (the simulator's), read once per request."""
    opts = QueryOptions()
    seen: set[str] = set()
    for name, value in params:
        if not name.startswith("$"):
            continue  # custom query options are allowed and ignored
        if name not in _KNOWN_OPTIONS:
            raise bad_query(f"system query option {name!r} is not supported", name)
        if name in seen:
            raise bad_query(f"system query option {name!r} given more than once", name)
        seen.add(name)
        if name == "$filter":
            opts.filter = compile_filter(value, etype, now() if now else None)
            opts.where = constraints_of(value)
        elif name == "$expand":
            opts.expand = parse_expand(value, etype, by_set or {})
        elif name == "$select":
            opts.select = _select(value, etype)
        elif name == "$orderby":
            opts.orderby, opts.raw_orderby = _orderby(value, etype), value
        elif name in ("$top", "$skip"):
            number = _non_negative(name, value)
            if name == "$top":
                opts.top = number
            else:
                opts.skip = number
        elif name == "$count":
            if value not in ("true", "false"):
                raise bad_query("$count must be true or false", name)
            opts.count = value == "true"
        elif name == "$skiptoken":
            opts.skiptoken = value
        elif name == "$format" and value != "json":
            raise bad_query("only $format=json is supported", name)
    paging = opts.top is not None or opts.skip or opts.orderby or opts.skiptoken or opts.count
    if not allow_paging and paging:
        raise bad_query("a single entity accepts only $select", "query")
    return opts


def _non_negative(name: str, value: str) -> int:
    if not value.isdigit():
        raise bad_query(f"{name} must be a non-negative integer, got {value!r}", name)
    return int(value)


def _select(value: str, etype: EntityType) -> list[str] | None:
    names = [n.strip() for n in value.split(",")]
    if "*" in names:
        return None
    for name in names:
        if not name or etype.prop(name) is None:
            raise bad_query(f"property {name!r} does not exist in type {etype.full_name}", "$select")
    return names


def _orderby(value: str, etype: EntityType) -> list[tuple[str, bool]]:
    result = []
    for item in value.split(","):
        parts = item.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise bad_query(f"invalid $orderby item {item.strip()!r}", "$orderby")
        if etype.prop(parts[0]) is None:
            raise bad_query(f"property {parts[0]!r} does not exist in type {etype.full_name}", "$orderby")
        result.append((parts[0], len(parts) == 2 and parts[1] == "desc"))
    return result


@total_ordering
class _Desc:
    """Reverses the order of one sort component (strings cannot be negated)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.v == other.v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __hash__(self) -> int:
        return hash(self.v)


def _columns(etype: EntityType, opts: QueryOptions) -> list[tuple[str, bool]]:
    if not opts.orderby:
        return _NEWEST_FIRST
    named = {name for name, _ in opts.orderby}
    return opts.orderby + [(k, False) for k in etype.keys if k not in named]


def _sort_values(row: Row, columns: list[tuple[str, bool]]) -> list[Any]:
    return [row.seq if name == _SEQ else row.values.get(name) for name, _ in columns]


def _sort_key(values: list[Any], columns: list[tuple[str, bool]]) -> tuple[Any, ...]:
    if columns == _NEWEST_FIRST:
        return (-values[0],)  # the default order: an integer key, no per-comparison objects
    # OData: null sorts before every value in ascending order.
    parts = []
    for value, (_, desc) in zip(values, columns, strict=False):
        part = (0,) if value is None else (1, value)
        parts.append(_Desc(part) if desc else part)
    return tuple(parts)


def run(rows: list[Row], etype: EntityType, opts: QueryOptions, page_size: int) -> Page:
    """Filter, sort, continue after $skiptoken, $skip, then cut one page (and say whether more follow).

    Each row's sort key is computed once, and only the rows up to the end of the page are ordered
    (a partial sort): a 50,000-row set read in pages of 5,000 would otherwise be sorted whole per page.
    """
    if opts.filter:
        rows = [r for r in rows if opts.filter(r.values)]
    count = len(rows)
    columns = _columns(etype, opts)
    if columns == _NEWEST_FIRST:
        keyed = [((-r.seq,), r) for r in rows]
    else:
        keyed = [(_sort_key(_sort_values(r, columns), columns), r) for r in rows]
    if opts.skiptoken:
        after = _sort_key(decode_token(opts.skiptoken, opts.raw_orderby), columns)
        keyed = [pair for pair in keyed if pair[0] > after]
    # One row past the page tells whether more follow; an explicit $top gets no nextLink.
    wanted = opts.skip + (min(opts.top, page_size) if opts.top is not None else page_size + 1)
    if wanted < len(keyed):
        keyed = heapq.nsmallest(wanted, keyed, key=itemgetter(0))
    else:
        keyed.sort(key=itemgetter(0))
    rows = [r for _, r in keyed[opts.skip:]]
    if opts.top is not None:
        # An explicit $top gets no nextLink; the page limit still caps it.
        return Page(rows[:min(opts.top, page_size)], count, None)
    page = rows[:page_size]
    more = len(rows) > page_size
    token = encode_token(_sort_values(page[-1], columns), opts.raw_orderby) if more else None
    return Page(page, count, token)


def _tag(value: Any) -> list[Any]:
    if value is None:
        return ["z", None]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, Decimal):
        return ["n", str(value)]
    if isinstance(value, datetime):
        return ["t", edm.format_datetime(value)]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    return ["s", str(value)]


def _untag(item: list[Any]) -> Any:
    tag, raw = item
    parsers: dict[str, Callable[[Any], Any]] = {"z": lambda r: None, "b": bool, "i": int, "n": Decimal,
                                                "t": edm.parse_datetime, "d": edm.parse_date, "s": str}
    return parsers[tag](raw)


def encode_token(values: list[Any], orderby: str) -> str:
    payload = json.dumps({"o": orderby, "v": [_tag(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(token: str, orderby: str) -> list[Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values = [_untag(item) for item in payload["v"]]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_query("invalid $skiptoken", "$skiptoken") from None
    if payload.get("o") != orderby:
        raise bad_query("$skiptoken belongs to a different $orderby", "$skiptoken")
    return values
