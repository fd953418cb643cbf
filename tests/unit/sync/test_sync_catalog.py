from __future__ import annotations

from datetime import date

from ml_connector.sync.catalog import Catalog


def test_value_valid_only_for_its_company_part_and_dates(catalog: Catalog) -> None:
    on = date(2026, 9, 25)
    assert catalog.is_valid("10", "B", "CC1001", on)
    assert catalog.is_valid("10", "B", " cc1001 ", on)  # IFS keys are upper case
    assert not catalog.is_valid("20", "B", "CC1001", on)  # another company's value
    assert not catalog.is_valid("10", "C", "CC1001", on)  # another code part
    assert catalog.problem("10", "B", "NOPE", on) == "does not exist in IFS company 10"


def test_validity_window_is_respected(catalog: Catalog) -> None:
    assert catalog.is_valid("10", "B", "CC-OLD", date(2025, 12, 31))
    why = catalog.problem("10", "B", "CC-OLD", date(2026, 1, 1))
    assert why == "is not valid on 2026-01-01 in IFS company 10 (valid 2020-01-01..2025-12-31)"


def test_unused_code_part_and_unknown_company(catalog: Catalog) -> None:
    assert catalog.problem("10", "E", "X", date(2026, 1, 1)) == "code part E is not used in IFS company 10"
    assert catalog.has_company("10") and not catalog.has_company("99")
    assert catalog.part_name("20", "C") == "Cost Center"


def test_json_round_trip_keeps_every_answer(catalog: Catalog) -> None:
    again = Catalog.from_json(catalog.to_json())
    assert again.to_json() == catalog.to_json()
    assert again.size() == catalog.size() == 9
    assert not again.is_valid("10", "B", "CC-OLD", date(2026, 1, 1))
    assert again.problem("10", "E", "X", date(2026, 1, 1)) is not None
