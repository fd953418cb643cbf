"""No duplicate suppliers, a person's decision, and new supplier numbers written back to Basware: the demo
tenant's vendor DAG in real Airflow (`dag.test()`) against the sandbox, faults on; and the invoice flow's
on-demand supplier creation holding a duplicate the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dag_support import DagEnv, connect

from ml_connector.config import load_config
from mlc_sandbox.faults import FaultRule
from mlc_sandbox.runner import Sandbox, SandboxOptions

pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture()
def wired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(SandboxOptions(invoices=5, suppliers=40)) as sandbox:
        connect(monkeypatch, sandbox, {"conn_type": "sqlite", "host": str(tmp_path / "state.db")})
        yield sandbox


def _vendor_dag(retries: int = 1) -> Any:
    from ml_connector.airflow.dags.vendors import build_vendor_dag

    config = load_config()
    return build_vendor_dag(config.tenant("demo"), config.region_map(), retries=retries)


def _counts(run: Any) -> dict[str, int]:
    ti = next(t for t in run.get_task_instances() if t.task_id == "basware_to_ifs")
    return dict(ti.xcom_pull(task_ids="basware_to_ifs")["counts"])


def _vendor(sandbox: Sandbox, external: str, code: str, name: str, country: str, vat: str) -> dict[str, Any]:
    """A VendorEntity as an onboarding tool or the AP team would have posted it to Basware."""
    company = sandbox.dataset.companies[0].basware_company_code
    payload = {"externalCode": external, "vendorCode": code, "name": name,
               "companies": [{"companyCode": company, "inheritToChildUnits": True}],
               "identifiers": [{"id": vat, "schemeId": "VAT", "defaultPartyId": True}],
               "addresses": [{"externalCode": f"{external}-POSTAL", "name": name, "addressType": "PostalAddress",
                              "cityName": "Anywhere", "countryId": country, "default": True}],
               "paymentMeans": [{"paymentMeansCode": "IBAN", "currencyCode": "EUR", "default": True}]}
    assert sandbox.basware.ctx.vendors.upsert(payload) == "Success"
    return payload


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    from ml_connector.cli import main

    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().out


def _supplier(sandbox: Sandbox, supplier_id: str) -> dict[str, Any] | None:
    names = load_config().tenant("demo").ifs.fields.suppliers
    return sandbox.ifs.entity(names.entity_set, **{names.supplier_id: supplier_id})


def _hold_two(sandbox: Sandbox) -> tuple[Any, Any]:
    """A vendor with an IFS supplier's VAT number (spaced) and one with another's name (other case,
    punctuation and legal form): both held, neither created; a genuinely new vendor is created."""
    by_vat, by_name = sandbox.dataset.ifs_suppliers[0], sandbox.dataset.ifs_suppliers[1]
    spaced = f"{by_vat.vat_no[:2]} {by_vat.vat_no[2:5]} {by_vat.vat_no[5:]}"
    _vendor(sandbox, "ONB-VAT", "77001", "Completely Different Trading", by_vat.country, spaced)
    _vendor(sandbox, "ONB-NAME", "77002", by_name.name.upper().replace(" ", "-") + ", Ltd.", by_name.country,
            f"{by_name.country}000000002")
    _vendor(sandbox, "ONB-NEW", "77003", "Brand New Vendor Oy", "FI", "FI000000003")
    return by_vat, by_name


def test_likely_duplicates_by_vat_and_by_name_and_country_are_held_and_listed_with_why(
        wired: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    from airflow.utils.state import DagRunState

    by_vat, by_name = _hold_two(wired)
    missing = [s.supplier_id for s in wired.dataset.basware_vendors if not s.in_ifs]
    wired.injector.add(FaultRule(kind="status", status=503, system="basware", path="/v1/vendors", times=1))
    wired.injector.add(FaultRule(kind="status", status=503, system="ifs", method="GET", path="SupplierInfoGeneral",
                                 skip=1, times=2))  # the look-ups, not only the first read

    run = _vendor_dag().test()
    assert run.state == DagRunState.SUCCESS
    counts = _counts(run)
    assert (counts["held"], counts["created"], counts["quarantined"]) == (2, len(missing) + 1, 0)
    assert _supplier(wired, "77001") is None and _supplier(wired, "77002") is None
    assert _supplier(wired, "77003") is not None

    # One filtered look-up per supplier to create (never a read of every supplier per vendor).
    lookups = [r for r in wired.ifs.requests() if r["method"] == "GET" and "SupplierInfoGeneralSet" in r["path"]
               and "tolower" in r["query"] and r["status"] == 200]
    assert len(lookups) == len(missing) + 3
    assert all("AssociationNo" in r["query"] and "%24top=" in r["query"].replace("$", "%24") for r in lookups)

    code, out = _cli(capsys, "vendors", "duplicates", "--tenant", "demo", "--json")
    assert code == 0
    holds = {h["vendor"]: h for h in json.loads(out)}
    assert set(holds) == {"ONB-VAT", "ONB-NAME"}
    vat_hold, name_hold = holds["ONB-VAT"], holds["ONB-NAME"]
    assert [(c["supplier_id"], c["matched_on"]) for c in vat_hold["candidates"]] == [
        (by_vat.supplier_id, ["identifier"])]
    assert by_vat.vat_no in vat_hold["candidates"][0]["why"][0]
    assert [(c["supplier_id"], c["matched_on"]) for c in name_hold["candidates"]] == [
        (by_name.supplier_id, ["name_country"])]
    assert (vat_hold["supplier_id"], name_hold["vendor_code"], name_hold["decision"]) == ("77001", "77002", None)

    code, text = _cli(capsys, "vendors", "duplicates", "--tenant", "demo")
    assert text.startswith("Tenant demo: 2 vendor(s) held as likely duplicates")
    assert f"looks like IFS supplier {by_vat.supplier_id}" in text and "matches on identifier" in text
    assert f"looks like IFS supplier {by_name.supplier_id}" in text and "matches on name_country" in text

    again = _counts(_vendor_dag().test())
    # Held vendors do not block the watermark: they wait for a decision and are not re-read. What the
    # second run reads are the vendors the first run's IFS -> Basware task posted, read back as no change.
    assert (again["held"], again["created"], again["updated"], again["quarantined"]) == (0, 0, 0, 0), again
    assert again["read"] == again["unchanged"], again


def test_a_decision_replays_the_held_vendor_create_anyway_or_link_to_the_existing_supplier(
        wired: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    from ml_connector.airflow.state import state_store
    from ml_connector.sync import vendor_duplicates

    by_vat, _ = _hold_two(wired)
    assert _counts(_vendor_dag().test())["held"] == 2

    # Create anyway, from the command line (named by vendor code); it replays the vendor at once.
    wired.injector.add(FaultRule(kind="status", status=503, system="ifs", method="POST", path="Supplier", times=1))
    code, out = _cli(capsys, "vendors", "decide", "--tenant", "demo", "--vendor", "77002", "--create")
    assert code == 0, out
    assert out.startswith("vendor ONB-NAME: create by ") and "hold resolved" in out
    assert _supplier(wired, "77002") is not None
    store = state_store()
    assert [(e.action, e.source_system) for e in store.audit_history("demo", "vendor", "77002")] == [
        ("created", "basware")]

    # Link to the existing supplier, recorded without replaying: the next DAG run replays it.
    entry = vendor_duplicates.find_hold(store, "demo", "ONB-VAT")
    assert entry is not None
    vendor_duplicates.record_decision(store, entry, vendor_duplicates.LINK, by_vat.supplier_id, by="ap.lead")
    wired.injector.add(FaultRule(kind="status", status=503, system="basware", method="POST", path="/v1/vendors",
                                 times=1))
    wired.injector.add(FaultRule(kind="status", status=503, system="basware", method="GET",
                                 path="/v1/vendors/ONB-VAT", times=1))
    run = _vendor_dag().test()
    counts = _counts(run)
    assert (counts["replayed"], counts["held"], counts["quarantined"]) == (1, 0, 0)
    vendor = wired.basware.vendor("ONB-VAT")
    assert vendor is not None and vendor["vendorCode"] == by_vat.supplier_id
    assert _supplier(wired, "77001") is None
    # Its history also holds the first run's IFS -> Basware post of that supplier; the write-back is the
    # entry that changed the vendor code.
    write_back = next(e for e in store.audit_history("demo", "vendor", by_vat.supplier_id)
                      if "vendorCode" in (e.changes or {}))
    assert (write_back.source_system, write_back.run_id) == ("ifs", run.run_id)
    assert write_back.changes == {"vendorCode": {"before": "77001", "after": by_vat.supplier_id}}

    code, out = _cli(capsys, "vendors", "duplicates", "--tenant", "demo")
    assert out.strip() == "Tenant demo: no vendors held as duplicates"
    code, out = _cli(capsys, "vendors", "decide", "--tenant", "demo", "--vendor", "ONB-VAT", "--create")
    assert code == 1


def test_a_vendor_without_a_supplier_number_gets_one_written_back_to_basware_even_after_a_crash(
        wired: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    from airflow.utils.state import DagRunState

    from ml_connector.airflow.state import state_store
    from ml_connector.sync.vendor_numbers import new_supplier_id

    tenant = load_config().tenant("demo")
    pending = _vendor(wired, "ONB-PENDING", "NEW", "Freshly Onboarded AB", "SE", "SE000000004")
    number = new_supplier_id(tenant, pending)
    assert number.startswith("BW") and len(number) == 12

    # The write-back's POST fails for good: the supplier is in IFS, Basware still says NEW, the run fails.
    wired.injector.add(FaultRule(kind="status", status=500, system="basware", method="POST", path="/v1/vendors"))
    crashed = _vendor_dag(retries=0).test()
    assert crashed.state == DagRunState.FAILED
    assert _supplier(wired, number) is not None
    assert (wired.basware.vendor("ONB-PENDING") or {})["vendorCode"] == "NEW"

    wired.injector.clear()
    second_pending = _vendor(wired, "ONB-PENDING-2", "", "Another Onboarded Oy", "FI", "FI000000005")
    wired.injector.add(FaultRule(kind="status", status=503, system="basware", method="POST", path="/v1/vendors",
                                 times=1))
    resumed = _vendor_dag().test()
    assert resumed.state == DagRunState.SUCCESS
    counts = _counts(resumed)
    assert (counts["written_back"], counts["numbered"], counts["quarantined"]) == (1, 1, 0)
    names = tenant.ifs.fields.suppliers
    twins = wired.ifs.db.store(names.entity_set).where(**{names.name: "Freshly Onboarded AB"})
    assert len(twins) == 1, "the crashed run's supplier is found by its number, not created again"
    assert (wired.basware.vendor("ONB-PENDING") or {})["vendorCode"] == number
    second_number = new_supplier_id(tenant, second_pending)
    assert (wired.basware.vendor("ONB-PENDING-2") or {})["vendorCode"] == second_number
    assert _supplier(wired, second_number) is not None

    store = state_store()
    history = [(e.action, e.source_system, e.changes) for e in store.audit_history("demo", "vendor", number)]
    assert history[0][:2] == ("created", "basware")
    assert history[1] == ("updated", "ifs", {"vendorCode": {"before": "NEW", "after": number}})

    # The next run reads the two vendors the write-backs changed (and those the IFS -> Basware task posted)
    # and finds them all in sync: nothing is numbered, written back or updated again.
    echo = _counts(_vendor_dag().test())
    assert echo["read"] >= 2 and echo["read"] == echo["unchanged"], echo
    assert (echo["numbered"], echo["written_back"], echo["updated"], echo["created"]) == (0, 0, 0, 0), echo

    code, out = _cli(capsys, "audit", "--tenant", "demo", "--vendor", number)
    assert code == 0 and out.startswith(f"vendor {number}: last change by ifs")
    assert f"vendorCode: 'NEW' -> '{number}'" in out


def test_the_invoice_flow_holds_a_supplier_that_duplicates_one_in_ifs(
        dag_env: DagEnv, capsys: pytest.CaptureFixture[str]) -> None:
    from ml_connector.state import Status

    ds = dag_env.sandbox.dataset
    missing = {s.supplier_id for s in ds.basware_vendors if not s.in_ifs}
    picked = [(ds.invoice_id(i), ds.invoice(i)["supplierCode"]) for i in range(20)
              if not ds.invalid_kind(i) and ds.invoice(i)["supplierCode"] in missing]
    assert picked, "the seed must have valid invoices from a vendor IFS does not know"
    supplier_code = picked[0][1]
    held_invoices = [invoice_id for invoice_id, code in picked if code == supplier_code]
    twin = ds.ifs_suppliers[0]
    # In Basware, the vendor carries the VAT number of a supplier IFS already has.
    dag_env.sandbox.basware.ctx.vendors.manual_edit(
        supplier_code, {"identifiers": [{"id": twin.vat_no.lower(), "schemeId": "VAT"}]})
    dag_env.fault(kind="status", status=503, system="ifs", method="GET", path="SupplierInfoGeneral", times=1)

    dag_env.run()
    ledger = dag_env.ledger()
    assert {ledger[i] for i in held_invoices} == {Status.TRANSFER_FAILED_REPORTED}
    assert _supplier(dag_env.sandbox, supplier_code) is None
    store = dag_env.store()
    entry = store.get_quarantined("demo", "invoice", held_invoices[0])
    assert entry is not None and entry.reason_code == "duplicate_supplier"
    assert twin.supplier_id in (entry.reason or "")

    code, out = _cli(capsys, "vendors", "duplicates", "--tenant", "demo", "--json")
    (hold,) = json.loads(out)
    assert (hold["vendor"], hold["supplier_id"]) == (supplier_code, supplier_code)
    assert [(c["supplier_id"], c["matched_on"]) for c in hold["candidates"]] == [(twin.supplier_id, ["identifier"])]

    # A person decides it is a different business; the AP team re-sends the invoices; replay transfers them.
    code, out = _cli(capsys, "vendors", "decide", "--tenant", "demo", "--vendor", supplier_code, "--create")
    assert code == 0, out
    assert _supplier(dag_env.sandbox, supplier_code) is not None
    for invoice_id in held_invoices:
        dag_env.sandbox.basware.set_document_status(invoice_id, "WaitingForTransfer")
        code, out = _cli(capsys, "replay", "--tenant", "demo", "--invoice", invoice_id)
        assert code == 0, out
    assert {dag_env.ledger()[i] for i in held_invoices} == {Status.REPORTED}
    store.dispose()
