"""String and date functions in $filter, each checked against the same rows filtered in Python."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from .conftest import SUPPLIERS, Ifs, error_of

Row = dict[str, Any]


@pytest.fixture(scope="module")
def rows(reader: Ifs) -> list[Row]:
    assert reader.post(SUPPLIERS, {"SupplierId": "PAD1", "Name": "  Padded Name  ", "Country": "SE"}).status_code == 201
    return reader.values(SUPPLIERS)


def ids(ifs: Ifs, flt: str) -> set[str]:
    response = ifs.get(SUPPLIERS, params={"$filter": flt})
    assert response.status_code == 200, response.text
    return {r["SupplierId"] for r in response.json()["value"]}


def expected(rows: list[Row], predicate: Callable[[Row], bool]) -> set[str]:
    return {r["SupplierId"] for r in rows if predicate(r)}


def when(row: Row) -> datetime:
    return datetime.fromisoformat(row["ModifiedDate"].replace("Z", "+00:00"))


def created(row: Row) -> date:
    return date.fromisoformat(row["CreationDate"])


STRING_CASES: list[tuple[str, Callable[[Row], bool]]] = [
    ("contains(Name,'an')", lambda r: "an" in r["Name"]),
    ("startswith(SupplierId,'101')", lambda r: r["SupplierId"].startswith("101")),
    ("endswith(Name,'Ltd')", lambda r: r["Name"].endswith("Ltd")),
    ("tolower(Country) eq 'de'", lambda r: r["Country"].lower() == "de"),
    ("toupper(Name) eq toupper(tolower(Name))", lambda r: True),
    ("length(Name) gt 20", lambda r: len(r["Name"]) > 20),
    ("indexof(Name,'a') eq 1", lambda r: r["Name"].find("a") == 1),
    ("indexof(Name,'zzz') eq -1", lambda r: "zzz" not in r["Name"]),
    ("substring(SupplierId,3) eq '01'", lambda r: r["SupplierId"][3:] == "01"),
    ("substring(Name,0,2) eq 'Ab'", lambda r: r["Name"][:2] == "Ab"),
    ("trim(Name) eq 'Padded Name'", lambda r: r["Name"].strip() == "Padded Name"),
    ("concat(Country,SupplierId) eq 'SE10001'", lambda r: r["Country"] + r["SupplierId"] == "SE10001"),
    ("concat(concat(Country,'-'),Currency) eq 'DE-EUR'", lambda r: f"{r['Country']}-{r['Currency']}" == "DE-EUR"),
]


@pytest.mark.parametrize(("flt", "predicate"), STRING_CASES, ids=[c[0] for c in STRING_CASES])
def test_string_functions(reader: Ifs, rows: list[Row], flt: str, predicate: Callable[[Row], bool]) -> None:
    assert ids(reader, flt) == expected(rows, predicate)


def test_string_functions_find_something(reader: Ifs, rows: list[Row]) -> None:
    assert ids(reader, "trim(Name) eq 'Padded Name'") == {"PAD1"}
    assert ids(reader, "indexof(Name,'a') eq 1")  # not vacuous


DATE_CASES: list[tuple[str, Callable[[Row], bool]]] = [
    ("year(ModifiedDate) eq 2026", lambda r: when(r).year == 2026),
    ("month(ModifiedDate) ge 6", lambda r: when(r).month >= 6),
    ("day(ModifiedDate) lt 10", lambda r: when(r).day < 10),
    ("hour(ModifiedDate) eq 12", lambda r: when(r).hour == 12),
    ("minute(ModifiedDate) lt 30", lambda r: when(r).minute < 30),
    ("second(ModifiedDate) ge 30", lambda r: when(r).second >= 30),
    ("year(CreationDate) le 2020", lambda r: created(r).year <= 2020),
    ("month(CreationDate) eq 1 and day(CreationDate) le 15", lambda r: (created(r).month, created(r).day <= 15)
     == (1, True)),
    ("date(ModifiedDate) lt 2026-06-01", lambda r: when(r).date() < date(2026, 6, 1)),
]


@pytest.mark.parametrize(("flt", "predicate"), DATE_CASES, ids=[c[0] for c in DATE_CASES])
def test_date_functions(reader: Ifs, rows: list[Row], flt: str, predicate: Callable[[Row], bool]) -> None:
    assert ids(reader, flt) == expected(rows, predicate)


def test_now_is_the_simulators_clock(reader: Ifs, rows: list[Row]) -> None:
    everything = {r["SupplierId"] for r in rows}
    assert ids(reader, "ModifiedDate le now()") == everything
    reader.sim.advance_clock(0)
    assert ids(reader, "ModifiedDate gt now()") == set()
    assert ids(reader, "date(now()) ge CreationDate") == everything


@pytest.mark.parametrize(("flt", "message"), [
    ("length(Name,'x') eq 1", "length() takes (Edm.String)"),
    ("year(Name) eq 2026", "year() takes (Edm.DateTimeOffset) or (Edm.Date)"),
    ("substring(Name,'a') eq 'x'", "substring() takes"),
    ("hour(CreationDate) eq 1", "hour() takes (Edm.DateTimeOffset)"),
    ("now(1) gt ModifiedDate", "now() takes no arguments"),
    ("maxdatetime() gt ModifiedDate", "function 'maxdatetime' is not supported"),
    ("length(Name)", "must be a boolean expression"),
])
def test_wrong_arguments_are_400_with_the_reason(reader: Ifs, flt: str, message: str) -> None:
    response = reader.get(SUPPLIERS, params={"$filter": flt})
    assert response.status_code == 400
    assert message in error_of(response)["details"][0]["message"]
