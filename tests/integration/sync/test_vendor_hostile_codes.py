"""A Basware vendor whose vendorCode breaks Basware's own limit (25 characters) is quarantined under a key
that fits, and the rest of the vendors sync; on PostgreSQL a 300-character code used to fail the quarantine
insert itself, so every run of the vendor sync failed."""

from __future__ import annotations

import pytest

from ml_connector.sync.vendors import sync_basware_to_ifs

from .support import Env

HOSTILE = {"long": "V" * 300, "just-over": "W" * 26, "nul": "VEND\x00OR"}


def check_hostile_vendor_codes(env: Env) -> None:
    for vendor, code in zip(env.sb.dataset.basware_vendors, HOSTILE.values(), strict=False):
        env.sb.basware.ctx.vendors.manual_edit(vendor.supplier_id, {"vendorCode": code})
    result = sync_basware_to_ifs(env.context("vendors-1"))
    counts = result["counts"]
    assert counts["quarantined"] == len(HOSTILE) and counts["created"] > 0, counts
    entries = env.store.list_open(env.tenant_id, "vendor")
    assert len(entries) == len(HOSTILE)
    assert all(len(e.record_id) <= 200 and e.record_id.isprintable() for e in entries)
    assert all("Basware allows at most 25" in (e.reason or "") for e in entries), [e.reason for e in entries]


def test_hostile_vendor_codes_on_sqlite(env: Env) -> None:
    check_hostile_vendor_codes(env)


@pytest.mark.postgres
def test_hostile_vendor_codes_on_postgres(pg_env: Env) -> None:
    check_hostile_vendor_codes(pg_env)
