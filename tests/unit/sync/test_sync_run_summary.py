"""The finalize task's log summary: a few readable lines, not a dict."""

from __future__ import annotations

from ml_connector.sync.finalize import run_summary

FIGURES = {"count": 2, "net": "100.00", "tax": "25.00", "gross": "125.00"}
TOTAL = {"company": "10", "currency": "EUR", "basware": FIGURES, "ifs": FIGURES, "match": True}


def test_outcome_counts_and_totals_per_company() -> None:
    counts = {"documents": 3, "inserted": 3, "invoices": 3, "created": 2, "reported": 2, "quarantined": 1,
              "failures_reported": 1, "unchanged": 0}
    text = run_summary("acme", "manual__1", "success", counts, [TOTAL], "2026-12-01T00:00:00+00:00 (window complete)")
    lines = text.splitlines()
    assert lines[0] == "Tenant acme run manual__1: SUCCESS"
    assert "invoices 3, created 2, updated 0, reported 2, quarantined 1, failures reported 1" in lines[1]
    assert lines[2] == "  extract: documents 3, inserted 3"  # zero counts left out
    assert "company 10 EUR: Basware 2 inv, gross 125.00 | IFS 2 inv, gross 125.00 | match" in lines[3]
    assert lines[-1].endswith("(window complete)") and "{" not in text


def test_a_mismatch_stands_out() -> None:
    wrong = {**TOTAL, "ifs": {**TOTAL["ifs"], "count": 1, "gross": "60.00"}, "match": False}
    assert "| MISMATCH" in run_summary("acme", "r", "partial", {}, [wrong], "-")


def test_a_task_summary_names_tenant_run_and_task_and_keeps_zero_headline_counts() -> None:
    from ml_connector.sync.summary import task_summary

    counts = {"invoices": 5, "created": 4, "updated": 0, "quarantined": 1, "skipped": 0, "held": ["x"]}
    text = task_summary("acme", "manual__1", "upsert_proposals of batch b1", counts,
                        ("invoices", "created", "updated"), ["window: changed after the start"])
    assert text.splitlines() == ["Tenant acme run manual__1, upsert_proposals of batch b1:",
                                 "  invoices 5, created 4, updated 0, quarantined 1",
                                 "  window: changed after the start"]
