"""Documents whose invoiceId cannot key the ledger are set aside; the tenant's runs go on (SQLite and
PostgreSQL alike). Regression: a 101- or 3,000-character invoiceId failed the batch insert on
PostgreSQL, the watermark never moved and every later run failed the same way."""

from __future__ import annotations

import pytest

from ml_connector.sync import invoices

from .support import Env

LONG_IDS = ("L" * 37, "M" * 101, "N" * 3000)


def check_long_ids_are_quarantined_and_the_rest_transferred(env: Env) -> None:
    for invoice_id in LONG_IDS:
        env.add_document(invoiceId=invoice_id, invoiceNumber=f"INV-{len(invoice_id)}")
    first = env.run()
    assert first["state"] == "success" and first["watermark"]["moved"], first
    assert (first["counts"]["reported"], first["counts"]["rejected"]) == (12, 3)
    listed = {q["invoice_id"]: q for q in invoices.list_quarantine(env.store, env.tenant_id)}
    assert set(listed) == {"L" * 37, "M" * 101, next(k for k in listed if k.startswith("sha256:"))}
    for invoice_id in LONG_IDS:
        entry = next(q for q in listed.values() if f"INV-{len(invoice_id)}" in q["reason"])
        assert entry["reason_code"] == "malformed" and entry["ledger_status"] is None
        assert f"{len(invoice_id)} characters long; Basware allows at most 36" in entry["reason"]
    assert len(env.proposals()) == 12
    second = env.run()  # the next run is not stuck behind them
    assert second["state"] == "success" and second["counts"]["created"] == 0
    replayed = env.replay()["results"]
    assert {r["outcome"] for r in replayed.values()} == {"not_replayable"}


def test_long_invoice_ids_on_sqlite(env: Env) -> None:
    check_long_ids_are_quarantined_and_the_rest_transferred(env)


@pytest.mark.postgres
def test_long_invoice_ids_on_postgres(pg_env: Env) -> None:
    assert pg_env.store.dialect == "postgresql"
    check_long_ids_are_quarantined_and_the_rest_transferred(pg_env)


# Fields of a document with a good invoiceId that the ledger stores, each broken past Basware's own limit
# (AccountingDocumentEntity, OpenAPI 26.06.05.402) or with a NUL that PostgreSQL refuses in text and JSONB.
BROKEN_FIELDS = {
    "long-number": {"invoiceNumber": "N" * 101},
    "nul-number": {"invoiceNumber": "INV\x00-1"},
    "long-company": {"companyCode": "C" * 33},
    "nul-company": {"companyCode": "US\x0010"},
    "long-currency": {"currencyCode": "EURO"},
    "nul-description": {"description": "with a \x00 inside"},
}


def check_broken_fields_are_quarantined_and_reported(env: Env) -> None:
    ids = {name: env.add_document(index=900 + i, **fields) for i, (name, fields) in enumerate(BROKEN_FIELDS.items())}
    first = env.run()
    assert first["state"] == "success" and first["watermark"]["moved"], first
    listed = {q["invoice_id"]: q for q in invoices.list_quarantine(env.store, env.tenant_id)}
    assert set(listed) == set(ids.values()), listed
    for name, invoice_id in ids.items():
        field = next(iter(BROKEN_FIELDS[name]))
        entry = listed[invoice_id]
        assert entry["reason_code"] == "malformed" and field in entry["reason"], (name, entry)
        assert env.status(invoice_id) is not None  # in the ledger: its failure is reported to Basware
    assert len(env.proposals()) == 12
    assert env.run()["state"] == "success"


def test_fields_past_basware_limits_on_sqlite(env: Env) -> None:
    check_broken_fields_are_quarantined_and_reported(env)


@pytest.mark.postgres
def test_fields_past_basware_limits_on_postgres(pg_env: Env) -> None:
    check_broken_fields_are_quarantined_and_reported(pg_env)
