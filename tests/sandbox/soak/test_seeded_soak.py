"""The soak in CI: one seeded short run with every fault class on and a SIGKILLed worker must keep every
invariant, and the invariant check itself must fail when the systems disagree."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from ml_connector.config import load_config
from ml_connector.ifs.client import IfsClient
from ml_connector.state import StateStore
from ml_connector.sync.invoice_suppliers import supplier_body
from mlc_sandbox.runner import Sandbox, SandboxOptions
from mlc_sandbox.soak.invariants import VENDOR_AUDIT, check_tenant, vendor_audit, vendor_changes

REPO = Path(__file__).resolve().parents[3]


def test_the_invariant_check_names_every_invoice_nobody_transferred(tmp_path: Path) -> None:
    with Sandbox(SandboxOptions(seed=3, invoices=5, suppliers=20)) as sandbox:
        ids = sorted(sandbox.dataset.invoice_id(i) for i in range(5))
        figures = check_tenant("demo", sandbox, f"sqlite:///{tmp_path / 'state.db'}")
        sandbox.basware.close()
    by_name = {b.invariant: b for b in figures.breaches}
    assert by_name["approved invoice is neither a proposal nor quarantined"].invoice_ids == ids
    assert by_name["Basware invoice not Transferred/TransferFailed"].invoice_ids == ids


def test_the_soak_command_keeps_every_invariant_through_kills_and_fails_naming_an_injected_breach(
        tmp_path: Path) -> None:
    # Two seeds, each run SIGKILLed, then a clean run: seed 1 must keep every invariant; after seed 2's
    # runs one transferred invoice is set back to waiting, so the command must exit 1 naming exactly it.
    command = [sys.executable, str(REPO / "benchmarks" / "soak.py"), "--runs", "2", "--invoices", "6",
               "--runs-under-faults", "1", "--kill-share", "1", "--inject-breach-seed", "2",
               "--workdir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr[-3000:]
    injected = re.search(r"seed 2: breach injected, (\S+) set back", out)
    assert injected, out
    summary = json.loads((tmp_path / "summary.json").read_text())
    # A kill comes at a random time: a run that finished before it is not killed (the figures count kills).
    assert summary["runs"] == 2 and 1 <= summary["kills"] <= 2, summary
    assert sum(summary["faults_fired"].values()) > 0
    assert summary["breach_list"] == [
        [2, f"BREACH Basware invoice not Transferred/TransferFailed: {injected.group(1)} "
            "Counter({'WaitingForTransfer': 1})"]], out
    assert f"seed 2: BREACH Basware invoice not Transferred/TransferFailed: {injected.group(1)}" in out


def test_a_supplier_created_in_ifs_without_its_audit_entry_is_a_breach(tmp_path: Path) -> None:
    tenant = load_config().tenant("demo")
    store_url = f"sqlite:///{tmp_path / 'state.db'}"
    with Sandbox(SandboxOptions(seed=3, invoices=2, suppliers=20)) as sandbox:
        creds = sandbox.credentials()["ifs"]
        ifs = IfsClient(sandbox.ifs_url, creds["realm"], creds["client_id"], creds["client_secret"],
                        fields=tenant.ifs.fields)
        cfg = ifs.fields.suppliers
        vendor = {"vendorCode": "SOAK-1", "vendorName": "Soak Supplier", "countryCode": "DE"}
        ifs.writes.create(cfg.projection, cfg.entity_set, supplier_body(cfg, "SOAK-1", vendor))
        ifs.close()
        # The concurrent-writer fault's saves are another user's: not the connector's changes.
        assert vendor_changes(sandbox) == {"created": {"SOAK-1"}, "updated": set()}
        breach = vendor_audit("demo", sandbox, store_url)
        store = StateStore(store_url)
        store.audit("demo", "vendor", "SOAK-1", "created", "basware", {}, run_id="r1")
        store.dispose()
        after = vendor_audit("demo", sandbox, store_url)
        sandbox.basware.close()
    assert breach is not None and breach.invariant == VENDOR_AUDIT
    assert breach.invoice_ids == ["created:SOAK-1"]
    assert after is None
