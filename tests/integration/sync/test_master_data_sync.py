"""IFS code-part values -> Basware master data on the simulators: delta only, deactivation, refused records
quarantined and sent again, and mapping gaps (reported, created in IFS where allowed, then unblocking)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ml_connector.state import Status
from ml_connector.sync import master_data
from ml_connector.sync.gaps import create_missing, find_gaps

from .support import Env, demo_tenant

TODAY = date(2026, 6, 1)


def _posts(env: Env) -> list[dict[str, Any]]:
    return [r for r in env.sb.basware.request_log if r.get("method") == "POST"
            and any(p in str(r.get("path")) for p in ("/v1/accounts", "/v1/costCenters", "/v1/lists/"))]


def _sync(env: Env, run: str) -> dict[str, Any]:
    return master_data.sync_master_data(env.context(run), today=TODAY, sleep=lambda _s: None)


def _add_values(env: Env, company: str, letter: str, count: int, prefix: str = "X") -> None:
    """Many IFS values at once, straight into the simulator's store (the API would take minutes)."""
    db, schema = env.sb.ifs.db, env.sb.ifs.schema
    value = env.sb.ifs.names.value_prop(letter)
    for n in range(count):
        db.insert(schema.code_values[letter], {"Company": company, value: f"{prefix}{n:05d}",
                                               "Description": f"Value {n}", "ValidFrom": date(2020, 1, 1),
                                               "ValidUntil": date(2099, 12, 31)}, "SEED", history=False)


# 50,000 is benchmarks/bench_master_data.py's figure; the same path here with fewer, to stay quick.
MANY = 5_000


def test_a_second_run_over_many_values_sends_nothing(env: Env) -> None:
    _add_values(env, "10", "B", MANY)
    first = _sync(env, "md-1")
    assert first["counts"]["failed"] == 0
    assert first["counts"]["sent"] == first["counts"]["values"] >= MANY
    last = env.sb.basware.masterdata("CostCenter", f"10_X{MANY - 1:05d}")
    assert last is not None and last["costCenterCode"] == f"X{MANY - 1:05d}"
    posts = len(_posts(env))
    assert posts >= MANY // 500, "batches of at most 500 records a call"

    second = _sync(env, "md-2")
    assert second["counts"]["sent"] == 0
    # The watermark: only the rows of the newest modification second are read again (IFS dates are
    # whole seconds), not the 5,000.
    assert second["reads"]["full"] == 0
    assert second["counts"]["values"] < first["counts"]["values"]
    assert len(_posts(env)) == posts, "nothing posted on a run over unchanged values"

    # Every value read again (a full read): the hashes alone keep it from sending anything.
    third = master_data.sync_master_data(env.context("md-3"), today=TODAY, sleep=lambda _s: None, full=True)
    assert (third["counts"]["sent"], third["counts"]["unchanged"]) == (0, first["counts"]["values"])
    assert len(_posts(env)) == posts


def test_names_carry_en_us_and_the_company_language(env: Env) -> None:
    _sync(env, "md-1")
    account = next(v for v in env.sb.dataset.code_part_values if v.company == "20" and v.code_part == "A")
    sent = env.sb.basware.masterdata("Account", f"20_{account.code}")
    assert sent is not None
    assert {n["language"] for n in sent["accountNames"]} == {"en-US", "de-DE"}
    assert sent["companies"] == [{"companyCode": "DE20", "inherit": False, "active": True}]


def test_a_value_closed_in_ifs_is_deactivated_not_deleted_and_only_it_is_sent(env: Env) -> None:
    _sync(env, "md-1")
    cv = env.names.code_part_values
    closed = next(v for v in env.sb.dataset.code_part_values if v.company == "10" and v.code_part == "B")
    row = env.sb.ifs.db.store(env.sb.ifs.schema.code_values["B"].entity_set).get(("10", closed.code))
    assert row is not None and cv.valid_until
    env.sb.ifs.db.update(env.sb.ifs.schema.code_values["B"], row, {cv.valid_until: date(2026, 1, 31)}, "IFSUSER")

    second = _sync(env, "md-2")
    assert second["counts"]["sent"] == 1
    assert second["deactivated"] == [f"costCenters/10_{closed.code}"]
    record = env.sb.basware.masterdata("CostCenter", f"10_{closed.code}")
    assert record is not None and record["companies"] == [{"companyCode": "US10", "active": False}]


def test_records_basware_refuses_later_are_quarantined_and_sent_again(env: Env) -> None:
    known = env.sb.basware.ctx.masterdata.known_companies
    known.discard("MX30")  # Basware refuses MX30 records asynchronously, in requestStatus
    first = _sync(env, "md-1")
    assert first["counts"]["failed"] > 0
    assert all("CompanyCode" in reason for reason in first["failed"].values())
    open_ids = {e.record_id for e in env.store.list_open(env.tenant_id, master_data.RECORD_TYPE)}
    assert len(open_ids) == first["counts"]["failed"] and set(first["failed"]) <= open_ids
    assert all("_30_" not in k and k.split("/")[1].startswith("30_") for k in open_ids)

    known.add("MX30")
    replayed = master_data.replay_master_data(env.context("md-replay"), today=TODAY, sleep=lambda _s: None)
    assert replayed["counts"]["sent"] == first["counts"]["failed"], "only the refused records go again"
    assert replayed["counts"]["failed"] == 0
    assert env.store.list_open(env.tenant_id, master_data.RECORD_TYPE) == []


def test_a_gap_blocks_its_invoice_until_created_in_ifs_synced_and_replayed(env: Env) -> None:
    _sync(env, "md-0")
    doc = env.sb.dataset.invoice(950)
    company = env.tenant.ifs_company(doc["companyCode"])
    assert company is not None
    field, letter = next(iter(env.tenant.dimensions[company].items()))
    rows = [{**row, field: "GAP777"} for row in doc["codingRows"]]
    invoice = env.add_document(index=950, codingRows=rows)
    gaps = [g for g in find_gaps(env.context("gaps")) if g.code == "GAP777"]
    assert [(g.company, g.letter, g.source, sorted(g.invoices)) for g in gaps] == [(company, letter, field, [invoice])]

    env.run()
    assert env.status(invoice) == Status.TRANSFER_FAILED_REPORTED
    assert create_missing(env.context("gaps"), gaps) == [], "the demo tenant does not allow creating in IFS"

    tenant = demo_tenant()
    allowing = tenant.model_copy(update={"master_data": tenant.master_data.model_copy(
        update={"create_missing_in_ifs": True})})
    created = create_missing(replace(env.context("gaps"), tenant=allowing), gaps)
    assert [g.code for g in created] == ["GAP777"]
    assert _sync(env, "md-after-gap")["counts"]["sent"] == 1
    target = master_data.targets_of(env.tenant, company)[letter]
    entity = {"costCenters": "CostCenter", "accounts": "Account"}.get(target, target)
    assert env.sb.basware.masterdata(entity, f"{company}_GAP777") is not None
    assert all(g.code != "GAP777" for g in find_gaps(env.context("gaps-2")))

    env.sb.basware.set_document_status(invoice, "WaitingForTransfer")  # the AP team re-sends it
    replayed = env.replay(invoice)
    assert replayed["results"][invoice]["outcome"] == "transferred", replayed


def test_a_value_whose_valid_until_passes_is_sent_inactive_though_its_row_did_not_change(env: Env) -> None:
    """Closing by date touches no IFS row, so the modified watermark alone would never see it."""
    today = datetime.now(UTC).date()
    ifs = env.sb.ifs
    etype = ifs.schema.code_values["B"]
    closing = next(v for v in env.sb.dataset.code_part_values if v.company == "10" and v.code_part == "B")
    row = ifs.db.store(etype.entity_set).get(("10", closing.code))
    assert row is not None
    ifs.db.update(etype, row, {"ValidUntil": today}, "IFSUSER")  # valid through today
    ifs.advance_clock(5)  # a later change elsewhere: the watermark ends up past the closing row's
    other = next(r for r in ifs.db.store(etype.entity_set).rows.values() if r is not row)
    ifs.db.update(etype, other, {}, "IFSUSER")
    master_data.sync_master_data(env.context("md-1"), today=today, sleep=lambda _s: None)

    tomorrow = master_data.sync_master_data(env.context("md-2"), today=today + timedelta(days=1),
                                            sleep=lambda _s: None)
    assert tomorrow["reads"]["full"] == 0
    assert tomorrow["deactivated"] == [f"costCenters/10_{closing.code}"]
    record = env.sb.basware.masterdata("CostCenter", f"10_{closing.code}")
    assert record is not None and record["companies"] == [{"companyCode": "US10", "active": False}]
