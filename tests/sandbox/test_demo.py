"""`ml-connector demo --json` as a user runs it: its own Airflow home, the sandbox, two real DAG runs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mlc_sandbox.demo.summary import render_summary

INVOICES = 60


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, str]:
    home = tmp_path_factory.mktemp("demo") / "airflow"
    command = ["demo", "--json", "--invoices", str(INVOICES), "--home", str(home)]
    done = subprocess.run([sys.executable, "-m", "ml_connector.cli", *command], capture_output=True,
                          text=True, env=dict(os.environ), timeout=480, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout), home, done.stdout + done.stderr


def test_every_invoice_is_either_a_proposal_or_quarantined_and_the_second_run_creates_nothing(
        demo: tuple[dict[str, Any], Path, str]) -> None:
    summary, _, _ = demo
    assert summary["ok"] is True
    assert all(check["ok"] for check in summary["checks"])
    first, second = summary["runs"]
    assert first["dag_state"] == first["connector_state"] == "success"
    assert first["documents"] == INVOICES
    assert first["quarantined"] > 0, "the demo's fault profile must mix in invalid invoices"
    assert first["created"] + first["quarantined"] == first["documents"]
    assert first["reported"] == first["created"] and first["failures_reported"] == first["quarantined"]
    assert second["dag_state"] == "success"
    assert (second["created"], second["reported"], second["quarantined"]) == (0, 0, 0)

    assert sum(p["proposals"] for p in summary["proposals_by_company"]) == first["created"]
    assert summary["duplicate_proposals"] == 0
    assert summary["basware_status"] == {"Transferred": first["created"],
                                         "TransferFailed": first["quarantined"]}
    quarantine = summary["quarantine"]
    assert quarantine["count"] == first["quarantined"] == sum(quarantine["by_reason"].values())
    assert all(e["reason"] for e in quarantine["entries"])


def test_control_totals_match_per_company(demo: tuple[dict[str, Any], Path, str]) -> None:
    summary, _, _ = demo
    totals = summary["runs"][0]["control_totals"]
    held = {p["company"]: p["proposals"] for p in summary["proposals_by_company"]}
    assert {t["company"] for t in totals} == {c for c, n in held.items() if n}
    for t in totals:
        assert t["match"] is True
        assert t["basware"]["count"] == t["ifs"]["count"] == held[t["company"]]
        for key in ("net", "tax", "gross"):
            assert Decimal(t["basware"][key]) == Decimal(t["ifs"][key])
    assert sum(t["ifs"]["count"] for t in totals) == summary["runs"][0]["created"]


def test_the_demo_home_keeps_the_fernet_key_and_encrypted_connections(
        demo: tuple[dict[str, Any], Path, str]) -> None:
    summary, home, output = demo
    assert summary["airflow_home"] == str(home)
    key = (home / "fernet.key").read_text().strip()
    assert (home / "fernet.key").stat().st_mode & 0o077 == 0
    with sqlite3.connect(home / "airflow.db") as db:
        rows = {r[0]: r[1:] for r in db.execute("select conn_id, is_encrypted, password from connection")}
    assert set(rows) == {"mlc_demo_basware", "mlc_demo_ifs", "ml_connector_state"}  # the last has no secret
    for conn_id in ("mlc_demo_basware", "mlc_demo_ifs"):
        encrypted, password = rows[conn_id]
        assert encrypted == 1 and "secret" not in password  # Fernet ciphertext, not the sandbox secret
    assert key not in output  # (the sandbox's own credentials may be shown; nothing else secret)
    assert (home / "ml_connector_state.db").exists()


def test_the_text_summary_names_what_happened(demo: tuple[dict[str, Any], Path, str]) -> None:
    text = render_summary(demo[0])
    first = demo[0]["runs"][0]
    assert f"{first['documents']} invoices read" in text and f"{first['created']} proposals created" in text
    assert "Proposals in IFS Cloud by company" in text and "Control totals of run 1" in text
    assert f"Quarantined: {first['quarantined']}" in text
    assert text.splitlines()[-1].startswith("OK: done in")


def test_the_task_logs_carry_no_airflow_warnings_about_our_connections(
        demo: tuple[dict[str, Any], Path, str]) -> None:
    """Regression: every task log had "Connection schemes (type: ifs_cloud) shall not contain '_'" and
    "Skipping masking for a secret as it's too short" (the extras `{}` and `main`)."""
    _, home, output = demo
    log = (home / "logs" / "demo.log").read_text()
    assert "mlc_demo_invoices" in log  # the log holds the runs' task lines
    for warning in ("shall not contain '_' according to RFC3986", "Skipping masking for a secret"):
        assert warning not in log and warning not in output, warning


def test_master_data_and_vendors_run_first_and_say_what_they_changed_in_each_system(
        demo: tuple[dict[str, Any], Path, str]) -> None:
    from mlc_sandbox.demo.master_data import render_master_data
    from mlc_sandbox.demo.vendors import render_vendors

    summary, _, _ = demo
    master, vendors = summary["master_data"], summary["vendors"]
    assert master["dag_state"] == vendors["dag_state"] == "success"
    # Everything is new to Basware on a fresh sandbox: accounts, cost centers and the mapped lists.
    assert {"accounts", "costCenters", "ACC_LIST_1"} <= set(master["basware_sent"])
    assert all(n > 0 for n in master["basware_sent"].values())
    assert master["basware_refused"] == 0 and master["gaps"] > 0, "the invalid invoices carry unknown codes"
    assert master["ifs_created"] == 0, "the demo tenant does not create codes in IFS"
    text = render_master_data(master)
    assert f"accounts +{master['basware_sent']['accounts']}" in text
    assert f"cost centers +{master['basware_sent']['costCenters']}" in text
    assert f"deactivated {master['basware_deactivated']}" in text and "IFS code values created 0" in text

    counts = vendors["tasks"]["basware_to_ifs"]
    assert counts["created"] > 0, "the seed has Basware vendors IFS does not know"
    created = [a for a in vendors["audit"] if a["action"] == "created" and a["written_to"] == "IFS"]
    assert created and created[0]["vendors"] == counts["created"], "one audit entry per supplier created"
    text = render_vendors(vendors)
    assert f"created {counts['created']}" in text and f"IFS: created {counts['created']} vendor(s)" in text
    # ... and so the invoice runs create no supplier on the way.
    assert summary["runs"][0]["suppliers_created"] == 0
