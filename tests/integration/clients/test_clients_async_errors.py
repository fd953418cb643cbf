"""Basware's asynchronous business errors: a master-data POST is answered 200, and what went wrong with
each record appears later under the request's id; the client surfaces it per record."""

from __future__ import annotations

from ml_connector.basware.master_data import account_record
from mlc_sandbox.runner import Sandbox

from .support import admin, bw_client, entries


def _account(code: str, company: str = "US10") -> dict[str, object]:
    return account_record(code, {"en-US": f"Account {code}"}, [company])


def test_invalid_master_data_is_accepted_then_reported_per_record(sb: Sandbox) -> None:
    # Errors arrive a little after the 200, as they do in Basware (minutes there, 0.4 s here).
    admin(sb.basware_url, "PATCH", "/basware/settings", {"async_error_delay": 0.4})
    client = bw_client(sb)
    result = client.master_data.upsert_accounts([_account("6000"), _account("6999", company="XX99"),
                                                  _account("6010")])

    assert result.sent == 3 and len(result.request_ids) == 1
    (post,) = entries(sb.basware.request_log, "POST", "/v1/accounts")
    assert post["status"] == 200
    request_id = result.request_ids[0]
    assert request_id == post["request_id"]  # the x-amzn-RequestId of the POST

    first = client.request_status.get(request_id)
    assert first is not None and first.request_status == "InProgress" and not first.is_final
    final = client.request_status.wait(result.request_ids, poll_interval=0.1, timeout=5)[request_id]
    assert final is not None and final.request_status == "Error"
    failed = final.failed_records()
    assert [r.external_code for r in failed] == ["6999"]
    assert "XX99" in failed[0].errors[0]["message"]
    assert {r.external_code: r.status for r in final.records()} == {"6000": "Success", "6999": "Error",
                                                                   "6010": "Success"}
    polls = entries(sb.basware.request_log, "GET", f"/v1/requestStatus/{request_id}")
    assert len(polls) >= 3  # InProgress first, then polled until final

    errors = list(client.request_status.iter_errors(entity_type="Account"))
    assert [e.request_id for e in errors] == [request_id]
    client.request_status.acknowledge_errors([request_id])
    assert list(client.request_status.iter_errors(entity_type="Account")) == []  # offered once only


def test_vendor_business_errors_surface_per_record(sb: Sandbox) -> None:
    client = bw_client(sb)
    vendors = [{"externalCode": f"AE{n}", "vendorCode": f"AE{n}", "name": f"Vendor {n}",
                "companies": [{"companyCode": "US10" if n % 2 else "NOPE"}]} for n in range(4)]
    result = client.vendors.upsert(vendors)
    statuses = client.request_status.wait(result.request_ids, poll_interval=0.05, timeout=5)
    failed = sorted(r.external_code or "" for s in statuses.values() if s for r in s.failed_records())
    assert failed == ["AE0", "AE2"]
    assert sb.basware.vendor("AE1") is not None and sb.basware.vendor("AE0") is None
