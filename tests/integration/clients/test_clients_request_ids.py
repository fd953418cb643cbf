"""Every call the Basware client makes, token request and retries included, carries its own UUID4."""

from __future__ import annotations

import uuid

from ml_connector.basware.master_data import account_record
from mlc_sandbox.runner import Sandbox

from .support import add_fault, bw_client


def _vendor(code: str) -> dict[str, object]:
    return {"externalCode": code, "vendorCode": code, "name": f"Vendor {code}",
            "companies": [{"companyCode": "US10"}]}


def _account(code: str) -> dict[str, object]:
    return account_record(code, {"en-US": f"Account {code}"}, ["US10"])


def test_every_basware_call_carries_a_distinct_uuid4_request_id(sb: Sandbox) -> None:
    client = bw_client(sb)
    # One retried call too: a resend is a new call with a new id.
    add_fault(sb.basware_url, kind="status", status=503, system="basware", method="GET", path="^/v1/vendors$",
              times=1)
    docs = list(client.documents.iter(page_size=25))
    first = docs[0]["invoiceId"]
    assert client.documents.get(first) is not None
    client.documents.acknowledge(first)
    client.documents.acknowledge(first)  # 405 = already acknowledged
    client.documents.transfer_response(first, external_code="IFS-VOUCHER-1", success=True,
                                       voucher_number1="V1")
    upsert = client.vendors.upsert([_vendor(f"RID{n}") for n in range(3)])
    client.vendors.patch("RID1", {"name": "Vendor RID1 renamed"})
    vendors = list(client.vendors.iter(page_size=50))
    accounts = client.master_data.upsert_accounts([_account("6000"), _account("6010")])
    client.request_status.wait(upsert.request_ids + accounts.request_ids, poll_interval=0.05, timeout=5)
    assert list(client.request_status.iter_errors()) == []  # 404: nothing failed
    assert len(docs) == 60 and len(vendors) > 50

    log = sb.basware.request_log
    # Pre-signed page downloads go to storage, not the API: no credentials and no API headers, by design.
    presigned = [e for e in log if e["path"].startswith("/_presigned")]
    api = [e for e in log if not e["path"].startswith("/_presigned")]
    assert presigned and not any(e["authorization"] or e["client_request_id"] for e in presigned)
    paths = {(e["method"], e["path"].split("/")[2]) for e in api}  # e.g. ("GET", "vendors") for /v1/vendors
    assert {("POST", "tokens"), ("GET", "accountingDocuments"), ("POST", "accountingDocuments"),
            ("POST", "vendors"), ("PATCH", "vendors"), ("GET", "vendors"), ("POST", "accounts"),
            ("GET", "requestStatus")} <= paths
    assert 503 in {e["status"] for e in api} and 405 in {e["status"] for e in api}
    ids = [e["client_request_id"] for e in api]
    assert None not in ids, [e["path"] for e in api if e["client_request_id"] is None]
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i.lower() for i in ids)
    assert len(set(ids)) == len(ids)
