from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from ml_connector.ifs.odata import (
    EnumValue,
    F,
    Query,
    and_,
    encode_query,
    entity_path,
    key_predicate,
    literal,
    not_,
    or_,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "'abc'"),
        ("O'Brien", "'O''Brien'"),
        ("''", "''''''"),
        ("", "''"),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-7, "-7"),
        (Decimal("1234.50"), "1234.50"),
        (Decimal("1E+3"), "1000"),
        (1.5, "1.5"),
        (datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00Z"),
        (datetime(2026, 1, 1, 2, 30, tzinfo=timezone(timedelta(hours=2))), "2026-01-01T00:30:00Z"),
        (datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC), "2026-01-01T00:00:00.5Z"),
        (date(2026, 3, 31), "2026-03-31"),
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), "12345678-1234-5678-1234-567812345678"),
        (EnumValue("IfsApp.Handling.PartyType", "Supplier"), "IfsApp.Handling.PartyType'Supplier'"),
        (EnumValue("Ns.Type", "It's"), "Ns.Type'It''s'"),
    ],
)
def test_literals(value: Any, expected: str) -> None:
    assert literal(value) == expected


@pytest.mark.parametrize(
    "bad", [datetime(2026, 1, 1), float("nan"), float("inf"), Decimal("NaN"), object(), b"x"]
)
def test_unrenderable_literals_are_refused(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        literal(bad)


@pytest.mark.parametrize(
    "attack",
    ["O'Brien' or 1 eq 1", "x') or (1 eq 1", "' or ''='", "a'; $top=1000", "it's' and Company ne '"],
)
def test_injection_attempts_stay_inside_the_string_literal(attack: str) -> None:
    rendered = F("Name").eq(attack).render()
    assert rendered.startswith("Name eq '") and rendered.endswith("'")
    body = rendered[len("Name eq '"):-1]
    # Every quote inside is doubled, so the literal cannot end early.
    assert body.replace("''", "").count("'") == 0
    assert body.replace("''", "'") == attack


@pytest.mark.parametrize("bad", ["Name eq 'x' or 1 eq 1", "Name)", "a b", "", "1abc", "Name,Other"])
def test_property_names_are_checked(bad: str) -> None:
    with pytest.raises(ValueError):
        F(bad)
    with pytest.raises(ValueError):
        Query(select=(bad,)).params()


def test_operators_and_functions() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert F("Amount").ge(Decimal("10.00")).render() == "Amount ge 10.00"
    assert F("ModifiedDate").gt(since).render() == "ModifiedDate gt 2026-01-01T00:00:00Z"
    assert F("Name").contains("a'b").render() == "contains(Name,'a''b')"
    assert F("Name").startswith("Ab").render() == "startswith(Name,'Ab')"
    assert F("Name").contains_lower("o'b").render() == "contains(tolower(Name),'o''b')"
    for op in ("eq", "ne", "gt", "ge", "lt", "le"):
        assert getattr(F("X"), op)(1).render() == f"X {op} 1"


def test_composition_parenthesises_every_operand() -> None:
    expr = F("Company").eq("10") & (F("State").eq("A") | F("State").eq("B"))
    assert expr.render() == "(Company eq '10') and ((State eq 'A') or (State eq 'B'))"
    assert (~F("Blocked").eq(True)).render() == "not (Blocked eq true)"
    assert and_(F("A").eq(1)).render() == "A eq 1"
    assert or_(F("A").eq(1), F("B").eq(2), F("C").eq(3)).render() == "(A eq 1) or (B eq 2) or (C eq 3)"
    assert not_(F("A").eq(1)).render() == "not (A eq 1)"
    assert F("Id").any_of(["a", "b"]).render() == "(Id eq 'a') or (Id eq 'b')"


def test_raw_strings_are_not_accepted_as_expressions() -> None:
    with pytest.raises(TypeError):
        and_(F("A").eq(1), "1 eq 1")  # type: ignore[arg-type]


def test_query_params() -> None:
    q = Query(
        filter=F("Company").eq("10"), select=("SupplierId", "Name"), orderby=("SupplierId", "Name desc"),
        top=50, skip=100, count=True,
    ).where(F("Country").eq("SE"))
    assert q.params() == {
        "$filter": "(Company eq '10') and (Country eq 'SE')",
        "$select": "SupplierId,Name",
        "$orderby": "SupplierId,Name desc",
        "$top": "50",
        "$skip": "100",
        "$count": "true",
    }
    with pytest.raises(ValueError):
        Query(orderby=("Name; drop",)).params()
    with pytest.raises(ValueError):
        Query(top=-1).params()


def test_encode_query_uses_percent_20_and_encodes_ampersands_and_plus() -> None:
    qs = encode_query({"$filter": "Name eq 'A&B+C #1'", "$top": "5"})
    assert qs == "$filter=Name%20eq%20'A%26B%2BC%20%231'&$top=5"


def test_key_predicates() -> None:
    assert key_predicate({"Key1": "A", "Key2": 10}) == "(Key1='A',Key2=10)"
    assert key_predicate("A") == "('A')"
    assert key_predicate({"Id": "O'Brien"}) == "(Id='O''Brien')"
    with pytest.raises(ValueError):
        key_predicate({"Bad Key": 1})
    with pytest.raises(ValueError):
        key_predicate({})


def test_entity_path_percent_encodes_key_values() -> None:
    assert entity_path("Set", {"Company": "10", "InvoiceId": 7}, "PostingProposalArray") == (
        "Set(Company='10',InvoiceId=7)/PostingProposalArray"
    )
    assert entity_path("Set", {"Id": "a/b c?#"}) == "Set(Id='a%2Fb%20c%3F%23')"
    with pytest.raises(ValueError):
        entity_path("Set/../Other")
