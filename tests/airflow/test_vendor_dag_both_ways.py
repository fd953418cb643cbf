"""The vendor DAG both ways in real Airflow (`dag.test()`) against the simulators, faults on: IFS suppliers
created and updated in Basware, an audit entry per changed field, no echo, each conflict policy, and
Basware's asynchronous refusals quarantined and sent again."""

from __future__ import annotations

from typing import Any

import pytest
from dag_support import ALERT_CONN_ID, TENANT, DagEnv, tenants_file

from ml_connector.config import load_config
from ml_connector.state import StateStore

pytestmark = pytest.mark.usefixtures("airflow_db")

HELD = "vendor_conflict"
REFUSED = "vendor_to_basware"


def _policy(dag_env: DagEnv, policy: str) -> None:
    tenants_file(dag_env.tmp / "tenants.yaml", alerts={"email": [], "webhook_conn_id": ALERT_CONN_ID},
                 vendors={"schedule": "0 * * * *", "conflict_policy": policy})


def _run(conf: dict[str, Any] | None = None) -> Any:
    from ml_connector.airflow.dags.vendors import build_vendor_dag

    config = load_config()
    return build_vendor_dag(config.tenant(TENANT), config.region_map(), retries=0).test(run_conf=conf)


def _counts(run: Any, task_id: str) -> dict[str, int]:
    ti = next(t for t in run.get_task_instances() if t.task_id == task_id)
    return dict(ti.xcom_pull(task_ids=task_id)["counts"])


def _names() -> Any:
    return load_config().tenant(TENANT).ifs.fields.suppliers


def _writes(dag_env: DagEnv) -> list[str]:
    """Every write either system received since the logs were last cleared."""
    names = _names()
    basware = [f"basware {e['method']} {e['path']}" for e in dag_env.sandbox.basware.request_log
               if e["method"] in ("POST", "PATCH") and e["path"].startswith("/v1/vendors")]
    ifs = [f"ifs {e['method']} {e['path']}" for e in dag_env.sandbox.ifs.requests()
           if e["method"] in ("POST", "PATCH", "DELETE") and names.entity_set in e["path"]]
    return basware + ifs


def _clear_logs(dag_env: DagEnv) -> None:
    dag_env.sandbox.basware.ctx.log.clear()
    dag_env.sandbox.ifs.log.clear()


def _store(dag_env: DagEnv) -> StateStore:
    store = StateStore(dag_env.store_url)
    store.migrate()
    return store


def _ifs_supplier(dag_env: DagEnv, code: str) -> dict[str, Any]:
    names = _names()
    row = dag_env.sandbox.ifs.entity(names.entity_set, **{names.supplier_id: code})
    assert row is not None
    return row


def _in_both(dag_env: DagEnv) -> str:
    return next(s.supplier_id for s in dag_env.sandbox.dataset.suppliers if s.in_ifs and s.in_basware)


def test_ifs_suppliers_reach_basware_with_an_audit_entry_per_field_and_nothing_echoes(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    names, sandbox = _names(), dag_env.sandbox
    new_in_basware = [s for s in sandbox.dataset.suppliers if s.in_ifs and not s.in_basware]
    assert new_in_basware, "the seed must have IFS suppliers Basware does not know"
    # Faults on: a 503 on the vendor POST and on a requestStatus poll; Basware settles requests late.
    post_fault = dag_env.fault(kind="status", status=503, system="basware", method="POST", path="^/v1/vendors$",
                               times=1)
    poll_fault = dag_env.fault(kind="status", status=503, system="basware", method="GET",
                               path="^/v1/requestStatus/", times=1)
    sandbox.basware.ctx.settings.async_error_delay = 1.5

    first = _run()
    assert first.state == DagRunState.SUCCESS
    assert (dag_env.fired(post_fault), dag_env.fired(poll_fault)) == (1, 1)
    assert _counts(first, "ifs_to_basware")["created"] == len(new_in_basware)
    store = _store(dag_env)
    try:
        for supplier in new_in_basware:
            vendor = sandbox.basware.vendor(supplier.supplier_id)
            assert vendor is not None and vendor["apiManaged"]
            assert (vendor["vendorCode"], vendor["name"]) == (supplier.supplier_id, supplier.name)
            assert vendor["companies"] and vendor["identifiers"][0]["id"] == supplier.vat_no
            [entry] = store.audit_history(TENANT, "vendor", supplier.supplier_id)
            assert (entry.action, entry.source_system, entry.run_id) == ("created", "ifs", first.run_id)
            assert entry.changes == {names.name: {"before": None, "after": supplier.name},
                                     names.country: {"before": None, "after": supplier.country},
                                     names.association_no: {"before": None, "after": supplier.vat_no}}

        # No echo: what the first run wrote into either system is read back, and nothing is sent.
        _clear_logs(dag_env)
        second = _run()
        assert second.state == DagRunState.SUCCESS
        assert _writes(dag_env) == []
        assert _counts(second, "basware_to_ifs")["unchanged"] >= len(new_in_basware)

        # A change in IFS: only its fields are written into Basware, the rest of the vendor is kept.
        code = _in_both(dag_env)
        before = sandbox.basware.vendor(code)
        assert before is not None
        old = _ifs_supplier(dag_env, code)
        sandbox.ifs.modify_as_other_user(names.entity_set, {names.supplier_id: code},
                                         {names.name: "Renamed In IFS Oy", names.country: "FI"})
        _clear_logs(dag_env)
        third = _run()
        assert third.state == DagRunState.SUCCESS
        assert _writes(dag_env) == ["basware POST /v1/vendors"]
        after = sandbox.basware.vendor(code)
        assert after is not None and after["name"] == "Renamed In IFS Oy"
        assert after["addresses"][0]["countryId"] == "FI"
        assert after["addresses"][0]["streetName"] == before["addresses"][0]["streetName"]
        assert after["paymentTerms"] == before["paymentTerms"]
        last = store.audit_history(TENANT, "vendor", code)[-1]
        assert (last.action, last.source_system, last.run_id) == ("updated", "ifs", third.run_id)
        assert last.changes == {names.name: {"before": old[names.name], "after": "Renamed In IFS Oy"},
                                names.country: {"before": old[names.country], "after": "FI"}}

        # IFS changes again before the next run: the vendor the third run posted is read back from Basware
        # now, and must not carry the older name back into IFS.
        sandbox.ifs.modify_as_other_user(names.entity_set, {names.supplier_id: code},
                                         {names.name: "Renamed Again Oy"})
        _clear_logs(dag_env)
        fourth = _run()
        assert fourth.state == DagRunState.SUCCESS
        assert _writes(dag_env) == ["basware POST /v1/vendors"], "our own post is not a Basware change"
        assert _ifs_supplier(dag_env, code)[names.name] == "Renamed Again Oy"
        vendor = sandbox.basware.vendor(code)
        assert vendor is not None and vendor["name"] == "Renamed Again Oy"

        _clear_logs(dag_env)
        assert _run().state == DagRunState.SUCCESS
        assert _writes(dag_env) == []
    finally:
        store.dispose()


@pytest.mark.parametrize("policy", ["ifs_wins", "basware_wins"])
def test_a_vendor_changed_in_both_systems_keeps_the_winner_and_records_the_overwritten_change(
        dag_env: DagEnv, policy: str) -> None:
    from airflow.utils.state import DagRunState

    _policy(dag_env, policy)
    names, sandbox = _names(), dag_env.sandbox
    # Faults on: the concurrent IFS writer makes the ETag path re-read before its PATCH.
    dag_env.fault(kind="status", status=503, system="basware", method="GET", path="^/v1/vendors$", times=1)
    assert _run().state == DagRunState.SUCCESS
    code = _in_both(dag_env)
    synced_name = _ifs_supplier(dag_env, code)[names.name]
    sandbox.ifs.modify_as_other_user(names.entity_set, {names.supplier_id: code}, {names.name: "Name From IFS"})
    sandbox.basware.ctx.vendors.manual_edit(code, {"name": "Name From Basware"})

    run = _run()
    assert run.state == DagRunState.SUCCESS
    vendor, supplier = sandbox.basware.vendor(code), _ifs_supplier(dag_env, code)
    assert vendor is not None
    kept, lost, loser = (("Name From IFS", "Name From Basware", "basware") if policy == "ifs_wins"
                         else ("Name From Basware", "Name From IFS", "ifs"))
    assert vendor["name"] == kept and supplier[names.name] == kept
    store = _store(dag_env)
    try:
        conflict, update = store.audit_history(TENANT, "vendor", code)[-2:]
        assert (conflict.action, conflict.source_system, conflict.run_id) == ("conflict", loser, run.run_id)
        assert conflict.changes == {names.name: {"before": synced_name, "after": lost}}
        assert (update.action, update.source_system) == ("updated", "ifs" if loser == "basware" else "basware")
        assert update.changes is not None and update.changes[names.name] == {"before": lost, "after": kept}
    finally:
        store.dispose()
    _clear_logs(dag_env)
    assert _run().state == DagRunState.SUCCESS
    assert _writes(dag_env) == [], "settled: the next run sends nothing either way"


def test_hold_quarantines_both_versions_writes_neither_and_a_person_resolves_it(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    _policy(dag_env, "hold")
    names, sandbox = _names(), dag_env.sandbox
    assert _run().state == DagRunState.SUCCESS
    code = _in_both(dag_env)
    sandbox.ifs.modify_as_other_user(names.entity_set, {names.supplier_id: code}, {names.name: "Name From IFS"})
    sandbox.basware.ctx.vendors.manual_edit(code, {"name": "Name From Basware"})

    _clear_logs(dag_env)
    held = _run()
    assert held.state == DagRunState.FAILED, "a held conflict needs a person: the alert fires"
    assert any(code in str(alert) for alert in dag_env.receiver.alerts)
    assert _writes(dag_env) == []
    store = _store(dag_env)
    try:
        entry = store.get_quarantined(TENANT, HELD, code)
        assert entry is not None and entry.resolved_at is None
        assert "Name From IFS" in (entry.reason or "") and "Name From Basware" in (entry.reason or "")
        assert entry.payload["ifs"][names.name] == "Name From IFS"
        assert entry.payload["basware"][names.name] == "Name From Basware"
        assert [(e.action, e.source_system) for e in store.audit_history(TENANT, "vendor", code)[-2:]] == [
            ("conflict", "ifs"), ("conflict", "basware")]

        _clear_logs(dag_env)
        assert _run().state == DagRunState.SUCCESS, "already held: no new alert"
        assert _writes(dag_env) == []

        resolved = _run({"resolve_vendor": code, "winner": "basware"})
        assert resolved.state == DagRunState.SUCCESS
        assert _ifs_supplier(dag_env, code)[names.name] == "Name From Basware"
        entry = store.get_quarantined(TENANT, HELD, code)
        assert entry is not None and entry.resolved_at is not None and entry.replay_count == 1
        last = store.audit_history(TENANT, "vendor", code)[-1]
        assert (last.action, last.source_system, last.run_id) == ("updated", "basware", resolved.run_id)
    finally:
        store.dispose()
    _clear_logs(dag_env)
    assert _run().state == DagRunState.SUCCESS
    assert _writes(dag_env) == []


def test_vendors_basware_refuses_later_are_quarantined_with_its_reason_and_sent_again(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    sandbox = dag_env.sandbox
    tenant = load_config().tenant(TENANT)
    new_in_basware = {s.supplier_id: s for s in sandbox.dataset.suppliers if s.in_ifs and not s.in_basware}
    closed = next(b for b, i in sorted(tenant.companies.items()) if i in next(iter(new_in_basware.values())).companies)
    sandbox.basware.ctx.vendors.known_companies.discard(closed)

    first = _run()
    assert first.state == DagRunState.FAILED, "refused vendors fail the run so the alert fires"
    store = _store(dag_env)
    try:
        refused = {e.record_id: e for e in store.list_open(TENANT, REFUSED)}
        assert refused and set(refused) <= set(new_in_basware)
        for code, entry in refused.items():
            assert f"CompanyCode {closed!r}" in (entry.reason or ""), entry.reason
            assert sandbox.basware.vendor(code) is None
            assert store.audit_history(TENANT, "vendor", code) == [], "nothing landed: nothing audited"
        assert any(closed in str(alert) for alert in dag_env.receiver.alerts)

        sandbox.basware.ctx.vendors.known_companies.add(closed)
        again = _run()
        assert again.state == DagRunState.SUCCESS
        assert _counts(again, "ifs_to_basware")["created"] == len(refused), "the refused are sent again"
        assert store.list_open(TENANT, REFUSED) == []
        for code in refused:
            assert sandbox.basware.vendor(code) is not None
            assert [e.action for e in store.audit_history(TENANT, "vendor", code)] == ["created"]

        # An update Basware refuses (the supplier's currency is not active in P2P): the vendor stays as it
        # was, and the next run sends the IFS version again.
        names, code = _names(), _in_both(dag_env)
        currency = _ifs_supplier(dag_env, code)[names.currency]
        sandbox.basware.ctx.vendors.active_currencies.discard(currency)
        sandbox.ifs.modify_as_other_user(names.entity_set, {names.supplier_id: code}, {names.name: "Refused Oy"})
        assert _run().state == DagRunState.FAILED
        entry = store.get_quarantined(TENANT, REFUSED, code)
        assert entry is not None and entry.resolved_at is None
        assert f"currency {currency!r} is not active in P2P" in (entry.reason or "")
        vendor = sandbox.basware.vendor(code)
        assert vendor is not None and vendor["name"] != "Refused Oy"
        sandbox.basware.ctx.vendors.active_currencies.add(currency)
        assert _run().state == DagRunState.SUCCESS
        vendor = sandbox.basware.vendor(code)
        assert vendor is not None and vendor["name"] == "Refused Oy"
        assert store.list_open(TENANT, REFUSED) == []
    finally:
        store.dispose()
