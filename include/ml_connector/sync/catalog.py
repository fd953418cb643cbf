"""The valid IFS code-part values of a tenant's companies, loaded once per run.

Answers "is value X valid for company C, code part P, on the invoice date". IFS itself validates
every posting row; checking first lets one bad row quarantine its invoice with a clear reason
instead of failing in the middle of creating the proposal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ml_connector.field_map import LETTERS
from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.many import Read
from ml_connector.ifs.odata import F, Query
from ml_connector.sync.values import parse_date

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CodePart:
    letter: str
    name: str
    used: bool


@dataclass(frozen=True)
class Validity:
    valid_from: date | None
    valid_until: date | None

    def covers(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_until is None or on <= self.valid_until)


def normalise(value: Any) -> str:
    # IFS key columns are upper case: IFS upper-cases what it stores, so we compare that way too.
    return str(value).strip().upper()


class Catalog:
    def __init__(self, parts: dict[str, dict[str, CodePart]],
                 values: dict[str, dict[str, dict[str, Validity]]]) -> None:
        self._parts = parts  # company -> letter -> CodePart
        self._values = values  # company -> letter -> value -> Validity

    def has_company(self, company: str) -> bool:
        """False when IFS showed nothing of the company (unknown, or not granted to the service user)."""
        return bool(self._parts.get(company) or self._values.get(company))

    def part_name(self, company: str, letter: str) -> str:
        part = self._parts.get(company, {}).get(letter)
        if part is None:
            return "account" if letter == "A" else f"code part {letter}"
        return part.name

    def problem(self, company: str, letter: str, value: Any, on: date) -> str | None:
        """None when `value` may be posted on `on`; else what is wrong, as a sentence fragment."""
        code = normalise(value)
        part = self._parts.get(company, {}).get(letter)
        if part is not None and not part.used:
            return f"code part {letter} is not used in IFS company {company}"
        validity = self._values.get(company, {}).get(letter, {}).get(code)
        if validity is None:
            return f"does not exist in IFS company {company}"
        if not validity.covers(on):
            span = f"{validity.valid_from or '...'}..{validity.valid_until or '...'}"
            return f"is not valid on {on.isoformat()} in IFS company {company} (valid {span})"
        return None

    def is_valid(self, company: str, letter: str, value: Any, on: date) -> bool:
        return self.problem(company, letter, value, on) is None

    def size(self) -> int:
        return sum(len(v) for parts in self._values.values() for v in parts.values())

    # Staged as JSON so that every batch task of a run reads the same snapshot.
    def to_json(self) -> dict[str, Any]:
        return {
            "parts": {c: {p.letter: [p.name, p.used] for p in parts.values()} for c, parts in self._parts.items()},
            "values": {c: {letter: {v: [_d(x.valid_from), _d(x.valid_until)] for v, x in vals.items()}
                           for letter, vals in letters.items()} for c, letters in self._values.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalog:
        parts = {c: {letter: CodePart(letter, name, bool(used)) for letter, (name, used) in ps.items()}
                 for c, ps in data.get("parts", {}).items()}
        values = {c: {letter: {v: Validity(parse_date(a), parse_date(b)) for v, (a, b) in vals.items()}
                      for letter, vals in letters.items()} for c, letters in data.get("values", {}).items()}
        return cls(parts, values)


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def load_catalog(ifs: IfsClient, companies: Iterable[str], *, batch_reads: bool = True) -> Catalog:
    """Code part names and values of `companies`: one read of the code parts, then the values of each
    used code part of each company the service user can see (`CompanyFinanceSet(...)/CodeBArray`), all
    of those as GETs of one $batch (`batch_reads`)."""
    wanted = sorted(set(companies))
    parts: dict[str, dict[str, CodePart]] = {c: {} for c in wanted}
    values: dict[str, dict[str, dict[str, Validity]]] = {c: {} for c in wanted}
    if not wanted:
        return Catalog(parts, values)
    cp, cv = ifs.fields.code_parts, ifs.fields.code_part_values
    select = tuple(n for n in (cp.company, cp.code_part, cp.name, cp.used) if n)
    for row in ifs.reads.iter(cp.projection, cp.entity_set, Query(filter=F(cp.company).any_of(wanted),
                                                                   select=select)):
        letter = normalise(row[cp.code_part])
        used = row.get(cp.used) if cp.used else None
        parts.setdefault(row[cp.company], {})[letter] = CodePart(
            letter, row.get(cp.name) or f"code part {letter}", True if used is None else bool(used))
    # Ungranted companies are simply absent here, as in every IFS read: no values to load for them.
    visible = [str(r[cv.company]) for r in ifs.reads.iter(cv.projection, cv.entity_set, Query(
        filter=F(cv.company).any_of(wanted), select=(cv.company,)))]
    wanted_values = [(company, letter) for company in visible for letter in LETTERS
                     if (part := parts.get(company, {}).get(letter)) is None or part.used]
    reads = [_values_read(ifs, company, letter) for company, letter in wanted_values]
    for (company, letter), rows in zip(wanted_values, ifs.read_all(cv.projection, reads, use_batch=batch_reads),
                                       strict=True):
        values.setdefault(company, {})[letter] = _validities(ifs, letter, rows)
    catalog = Catalog(parts, values)
    log.info("Loaded %d code part values for IFS companies %s", catalog.size(), ", ".join(wanted))
    return catalog


def _values_read(ifs: IfsClient, company: str, letter: str) -> Read:
    cv = ifs.fields.code_part_values
    select = tuple(n for n in (cv.values[letter], cv.valid_from, cv.valid_until) if n)
    return Read(cv.entity_set, Query(select=select), keys={cv.company: company}, navigation=cv.navigations[letter])


def _validities(ifs: IfsClient, letter: str, rows: Iterable[dict[str, Any]]) -> dict[str, Validity]:
    cv = ifs.fields.code_part_values
    value_name = cv.values[letter]
    return {normalise(r[value_name]): Validity(parse_date(r.get(cv.valid_from) if cv.valid_from else None),
                                               parse_date(r.get(cv.valid_until) if cv.valid_until else None))
            for r in rows}
