"""The invoice flow under another IFS release's names: only the tenant's field map changes.

The simulator serves its own copy of each naming profile; the connector's map comes from its own
profiles. Nothing compares the two except the flow over HTTP (and the $metadata check).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ml_connector.config import TenantIfs
from ml_connector.ifs.contract import ContractMismatch, check_contract

from .support import Env, demo_tenant, make_env

WRITES = ("POST", "PATCH", "PUT", "DELETE")


def env_for(tmp_path: Path, served: str, field_map: str, **overrides: Any) -> Iterator[Env]:
    tenant = demo_tenant().model_copy(update={"ifs": TenantIfs(field_map=field_map, field_overrides=overrides)})
    yield from make_env(tmp_path, tenant=tenant, ifs_profile=served)


@pytest.mark.parametrize("profile", ["ifs-cloud", "ifs-apps10"])
def test_the_whole_flow_passes_with_the_matching_field_map(tmp_path: Path, profile: str) -> None:
    for env in env_for(tmp_path, profile, profile):
        assert env.sb.ifs.profile == profile and check_contract(env.ifs).ok
        first = env.run()
        counts = first["counts"]
        assert first["state"] == "success", first
        assert counts["created"] >= 8 and counts["reported"] == counts["created"]
        assert counts["quarantined"] == counts["failures_reported"]
        assert all(t["match"] for t in first["control_totals"]) and first["control_totals"]
        proposals = env.proposals()  # no duplicates
        assert len(proposals) == counts["created"]
        assert {p["Objstate"] for p in proposals.values()} == {"Balanced"}
        second = env.run()
        assert second["state"] == "success" and second["counts"]["created"] == 0


def test_a_mismatched_map_fails_the_check_and_nothing_is_written(tmp_path: Path) -> None:
    # An older IFS, and a tenant whose map says NetCurrAmount where that release has NetAmount.
    for env in env_for(tmp_path, "ifs-apps10", "ifs-apps10", posting_proposals={"net": "NetCurrAmount"}):
        report = check_contract(env.ifs)
        assert not report.ok
        [problem] = report.problems
        assert problem.startswith("`NetCurrAmount` is not a property of `ManSuppInvoiceSet` (projection "
                                  "ManualSupplierInvoiceHandling); did you mean `NetAmount`?")
        before = len(env.sb.ifs.requests())
        with pytest.raises(ContractMismatch, match=r"`NetCurrAmount` is not a property of `ManSuppInvoiceSet`"):
            env.extract("run-mismatch")
        sent = env.sb.ifs.requests()[before:]
        # $metadata is cached per process: the check above read it, so extract may send nothing at all.
        assert all(r["method"] == "GET" and r["path"].endswith("/$metadata") for r in sent), sent
        assert env.sb.ifs.proposals() == []
        assert not [r for r in env.sb.basware.request_log if r.get("method") in WRITES]
        assert env.store.get_run(env.tenant_id, "run-mismatch") is None


def test_a_default_map_against_an_older_ifs_names_the_missing_projections(tmp_path: Path) -> None:
    for env in env_for(tmp_path, "ifs-apps10", "ifs-cloud"):
        message = check_contract(env.ifs).message()
        assert "projection ManSuppInvoiceHandling does not exist" in message
        assert "projection SupplierHandling does not exist" in message
        with pytest.raises(ContractMismatch):
            env.run()
        assert env.sb.ifs.proposals() == []
