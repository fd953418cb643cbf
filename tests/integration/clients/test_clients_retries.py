"""Transport faults over real HTTP: Retry-After honoured, gateway errors and drops retried, and
non-repeatable POSTs never resent blindly."""

from __future__ import annotations

import pytest

from ml_connector.http.errors import OutcomeUnknownError, TransientError
from mlc_sandbox.runner import Sandbox

from .support import SUPPLIERS, SleepRecorder, add_fault, bw_client, entries, ifs_client

SUPPLIER_SET = "/main/ifsapplications/projection/v1/SupplierHandling.svc/SupplierInfoGeneralSet"
NEW_SUPPLIER = {"SupplierId": "90001", "Name": "Retry Test Supplier", "Country": "SE"}


def _gap(first: dict[str, object], second: dict[str, object]) -> float:
    return float(second["time"]) - float(first["time"])  # type: ignore[arg-type]


def test_basware_429_retry_after_is_waited_out(sb: Sandbox) -> None:
    slept = SleepRecorder()
    client = bw_client(sb, sleep=slept)
    add_fault(sb.basware_url, kind="status", status=429, retry_after=1, system="basware",
              method="GET", path="^/v1/vendors$", times=1)
    vendors = list(client.vendors.iter())

    assert len(vendors) == len(sb.dataset.basware_vendors)
    first, second, *_ = entries(sb.basware.request_log, "GET", "/v1/vendors")
    assert (first["status"], second["status"]) == (429, 200)
    assert _gap(first, second) >= 1.0
    assert slept.waits == [1.0]


def test_ifs_fractional_retry_after_is_waited_out(sb: Sandbox) -> None:
    # The sandbox sends sub-second values as decimals; waiting less than asked would be wrong.
    slept = SleepRecorder()
    client = ifs_client(sb, sleep=slept)
    add_fault(sb.ifs_url, kind="status", status=429, retry_after=1.5, system="ifs", method="GET",
              path="SupplierInfoGeneralSet", times=1)
    rows = list(client.reads.iter(*SUPPLIERS))

    assert len(rows) == 120
    first, second = entries(sb.ifs.requests(), "GET", SUPPLIER_SET)
    assert (first["status"], second["status"]) == (429, 200)
    assert _gap(first, second) >= 1.5
    assert slept.waits == [1.5]


@pytest.mark.parametrize("system", ["ifs", "basware"])
def test_gateway_errors_are_retried_until_success(sb: Sandbox, system: str) -> None:
    url = sb.ifs_url if system == "ifs" else sb.basware_url
    path = "SupplierInfoGeneralSet" if system == "ifs" else "^/v1/vendors$"
    for status in (503, 502, 504):  # rules fire in order, once each
        add_fault(url, kind="status", status=status, system=system, method="GET", path=path, times=1)
    if system == "ifs":
        got = list(ifs_client(sb).reads.iter(*SUPPLIERS))
        log = entries(sb.ifs.requests(), "GET", SUPPLIER_SET)
    else:
        got = list(bw_client(sb).vendors.iter())
        log = entries(sb.basware.request_log, "GET", "/v1/vendors")
    assert got
    assert [e["status"] for e in log] == [503, 502, 504, 200]


def test_retries_are_bounded(sb: Sandbox) -> None:
    client = ifs_client(sb)
    add_fault(sb.ifs_url, kind="status", status=503, system="ifs", method="GET", path="InfoGeneralSet")
    with pytest.raises(TransientError) as info:
        client.reads.get(*SUPPLIERS, {"SupplierId": "10001"})
    assert info.value.status == 503
    assert len(entries(sb.ifs.requests(), "GET")) == client.api.retry.max_attempts


@pytest.mark.parametrize("system", ["ifs", "basware"])
def test_dropped_connection_on_a_get_is_retried(sb: Sandbox, system: str) -> None:
    if system == "ifs":
        add_fault(sb.ifs_url, kind="drop", system="ifs", method="GET", path="SupplierInfoGeneralSet", times=1)
        entity, etag = ifs_client(sb).reads.get(*SUPPLIERS, {"SupplierId": "10001"})
        assert entity["SupplierId"] == "10001" and etag
        log = entries(sb.ifs.requests(), "GET")
        assert log[0].get("error") and not log[1].get("error")  # the server saw the drop
    else:
        add_fault(sb.basware_url, kind="drop", system="basware", method="GET", path="^/v1/vendors$", times=1)
        assert list(bw_client(sb).vendors.iter())
        log = entries(sb.basware.request_log, "GET", "/v1/vendors")
    assert len(log) == 2
    assert log[-1]["status"] == 200


@pytest.mark.parametrize("fault", [{"kind": "status", "status": 504}, {"kind": "drop"}])
def test_ifs_create_that_may_have_reached_the_server_is_not_resent(
    sb: Sandbox, fault: dict[str, object]
) -> None:
    client = ifs_client(sb)
    add_fault(sb.ifs_url, system="ifs", method="POST", path="SupplierInfoGeneralSet", times=1, **fault)
    with pytest.raises(OutcomeUnknownError) as info:
        client.writes.create(*SUPPLIERS, NEW_SUPPLIER)
    assert info.value.method == "POST"
    assert len(entries(sb.ifs.requests(), "POST", SUPPLIER_SET)) == 1


def test_ifs_create_refused_with_429_is_retried_and_creates_one_row(sb: Sandbox) -> None:
    # A 429 is answered before the request is processed, so resending the POST is safe.
    client = ifs_client(sb)
    add_fault(sb.ifs_url, kind="status", status=429, retry_after=0, system="ifs", method="POST",
              path="SupplierInfoGeneralSet", times=1)
    entity, etag = client.writes.create(*SUPPLIERS, NEW_SUPPLIER)
    assert entity["SupplierId"] == "90001" and etag
    assert [e["status"] for e in entries(sb.ifs.requests(), "POST", SUPPLIER_SET)] == [429, 201]
    assert sb.ifs.entity("SupplierInfoGeneralSet", SupplierId="90001") is not None


def test_basware_transfer_response_with_504_is_not_resent(sb: Sandbox) -> None:
    client = bw_client(sb)
    invoice_id = sb.dataset.invoice_id(0)
    path = f"/v1/accountingDocuments/{invoice_id}/transferResponses"
    add_fault(sb.basware_url, kind="status", status=504, system="basware", method="POST", path=path, times=1)
    with pytest.raises(OutcomeUnknownError):
        client.documents.transfer_response(invoice_id, external_code="IFS-1", success=True)
    assert len(entries(sb.basware.request_log, "POST", path)) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_ifs_mi_modified_error_is_retried(sb: Sandbox, method: str) -> None:
    # MI_MODIFIED_ERROR: HTTP 500 after a projection changed, answered before the request ran: retried,
    # a create too (resending it cannot make a second row).
    client = ifs_client(sb)
    add_fault(sb.ifs_url, kind="mi_modified_error", system="ifs", method=method, path="SupplierInfoGeneralSet",
              times=2)
    if method == "GET":
        entity, etag = client.reads.get(*SUPPLIERS, {"SupplierId": "10001"})
        assert entity["SupplierId"] == "10001" and etag
    else:
        entity, etag = client.writes.create(*SUPPLIERS, NEW_SUPPLIER)
        assert sb.ifs.entity("SupplierInfoGeneralSet", SupplierId="90001") is not None
    log = [e for e in entries(sb.ifs.requests(), method) if "SupplierInfoGeneralSet" in e["path"]]
    assert [e["status"] for e in log] == [500, 500, 200 if method == "GET" else 201]
    assert [f["kind"] for f in sb.ifs.injector.log] == ["mi_modified_error"] * 2


def test_ifs_plain_500_on_a_create_is_still_not_resent(sb: Sandbox) -> None:
    client = ifs_client(sb)
    add_fault(sb.ifs_url, kind="status", status=500, system="ifs", method="POST", path="SupplierInfoGeneralSet",
              times=1)
    with pytest.raises(OutcomeUnknownError):
        client.writes.create(*SUPPLIERS, NEW_SUPPLIER)
    assert len(entries(sb.ifs.requests(), "POST", SUPPLIER_SET)) == 1
