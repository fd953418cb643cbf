"""Acknowledge and transferResponses: the document state machine, plus the sandbox document admin."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from conftest import Api, when
from mlc_sandbox.basware import BaswareSimulator
from mlc_sandbox.seed import Dataset


def _response(success: bool = True, **extra: Any) -> dict[str, Any]:
    return {"externalCode": str(uuid.uuid4()), "success": success, "responseMessage": "Posted in IFS",
            "voucherNumber1": "V-2026-0001", "sourceSystem": "IFS Cloud", "paymentBlock": False, **extra}


def test_acknowledge_moves_to_transfer_in_progress_and_a_second_is_405(api: Api, sim: BaswareSimulator,
                                                                        dataset: Dataset) -> None:
    invoice_id = dataset.invoice_id(0)
    before = api.admin("GET", f"/documents/{invoice_id}").json()
    first = api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    assert first.status_code == 200 and first.json() == "Success"
    after = api.admin("GET", f"/documents/{invoice_id}").json()
    assert after["processingStatus"] == "TransferInProgress" == sim.document_status(invoice_id)
    assert when(after["lastUpdated"]) > when(before["lastUpdated"])
    second = api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    assert second.status_code == 405
    assert second.json()["errors"][0]["code"] == "METHOD_NOT_ALLOWED"


def test_acknowledged_document_leaves_the_waiting_list(api: Api, dataset: Dataset) -> None:
    invoice_id = dataset.invoice_id(5)
    api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    waiting = {d["invoiceId"] for d in api.all_documents({"ProcessingStatus": "WaitingForTransfer"})}
    assert invoice_id not in waiting and len(waiting) == 239
    in_progress = api.all_documents({"ProcessingStatus": "TransferInProgress"})
    assert [d["invoiceId"] for d in in_progress] == [invoice_id]


def test_acknowledge_unknown_document_is_404(api: Api) -> None:
    assert api.call("POST", "/v1/accountingDocuments/nope/acknowledge").status_code == 404


def test_transfer_response_success_makes_the_document_transferred(api: Api, dataset: Dataset) -> None:
    invoice_id = dataset.invoice_id(1)
    api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    response = api.call("POST", f"/v1/accountingDocuments/{invoice_id}/transferResponses",
                        json=_response(voucherNumber2="IFS-77"))
    assert response.status_code == 200, response.text
    assert response.json()["transferDate"]
    state = api.admin("GET", f"/documents/{invoice_id}").json()
    assert state["processingStatus"] == "Transferred"
    assert state["document"]["voucherNumber1"] == "V-2026-0001"
    assert len(state["transferResponses"]) == 1


def test_transfer_response_failure_makes_the_document_transfer_failed(api: Api, sim: BaswareSimulator,
                                                                       dataset: Dataset) -> None:
    invoice_id = dataset.invoice_id(2)
    api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    response = api.call("POST", f"/v1/accountingDocuments/{invoice_id}/transferResponses",
                        json=_response(False, responseMessage="Unknown cost center CC-X in company 10"))
    assert response.status_code == 200
    assert sim.document_status(invoice_id) == "TransferFailed"
    assert "voucherNumber1" not in api.admin("GET", f"/documents/{invoice_id}").json()["document"]


def test_transfer_response_before_acknowledge_is_refused_with_400(api: Api, sim: BaswareSimulator,
                                                                  dataset: Dataset) -> None:
    invoice_id = dataset.invoice_id(3)
    response = api.call("POST", f"/v1/accountingDocuments/{invoice_id}/transferResponses", json=_response())
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["type"] == "BUSINESS" and "TransferInProgress" in error["message"]
    assert sim.document_status(invoice_id) == "WaitingForTransfer"


def test_transfer_response_after_transferred_is_refused_but_same_external_code_is_idempotent(
        api: Api, sim: BaswareSimulator, dataset: Dataset) -> None:
    invoice_id = dataset.invoice_id(4)
    api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    body = _response()
    path = f"/v1/accountingDocuments/{invoice_id}/transferResponses"
    assert api.call("POST", path, json=body).status_code == 200
    before = api.admin("GET", f"/documents/{invoice_id}").json()
    again = api.call("POST", path, json=body)
    assert again.status_code == 200
    assert api.admin("GET", f"/documents/{invoice_id}").json() == before  # no change at all
    other = api.call("POST", path, json=_response(False))
    assert other.status_code == 400
    assert sim.document_status(invoice_id) == "Transferred"


def test_external_code_reused_for_another_document_is_400_conflict(api: Api, dataset: Dataset) -> None:
    a, b = dataset.invoice_id(6), dataset.invoice_id(7)
    for invoice_id in (a, b):
        api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    body = _response()
    assert api.call("POST", f"/v1/accountingDocuments/{a}/transferResponses", json=body).status_code == 200
    reused = api.call("POST", f"/v1/accountingDocuments/{b}/transferResponses", json=body)
    assert reused.status_code == 400  # the spec documents no 409 for transferResponses
    assert reused.json()["errors"][0]["code"] == "CONFLICT_IN_POST"


@pytest.mark.parametrize("body", [
    {"success": True},  # externalCode missing
    {"externalCode": "x" * 37, "success": True},
    {"externalCode": "ok", "success": True, "responseMessage": "m" * 251},
    {"externalCode": "ok"},  # success missing
    {"externalCode": "ok", "success": "maybe"},
    {"externalCode": "ok", "success": True, "responseMessage": "m"},  # paymentBlock missing
    {"externalCode": "ok", "success": True, "responseMessage": "m", "paymentBlock": False,
     "sourceSystem": "s" * 33},
    {"externalCode": "ok", "success": True, "responseMessage": "m", "paymentBlock": False, "extra": 1},
    {"externalCode": "ok", "success": True, "responseMessage": "m", "paymentBlock": False,
     "transferDate": "yesterday"},
])
def test_invalid_transfer_response_is_400_in_basware_format(api: Api, dataset: Dataset,
                                                            body: dict[str, Any]) -> None:
    invoice_id = dataset.invoice_id(8)
    api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    response = api.call("POST", f"/v1/accountingDocuments/{invoice_id}/transferResponses", json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["hasErrors"] is True
    assert payload["errors"][0]["type"] == "VALIDATION"
    assert payload["errors"][0]["code"] == "SCHEMA_VALIDATION_ERROR"


def test_transfer_response_for_unknown_document_is_404(api: Api) -> None:
    response = api.call("POST", "/v1/accountingDocuments/nope/transferResponses", json=_response())
    assert response.status_code == 404


def test_admin_generates_documents_that_wait_for_transfer(api: Api, sim: BaswareSimulator) -> None:
    response = api.admin("POST", "/documents", json={"count": 3, "invalid_kind": "unknown_cost_center"})
    assert response.status_code == 201
    ids = response.json()["invoiceIds"]
    assert len(ids) == 3
    newest = api.all_documents({"ProcessingStatus": "WaitingForTransfer"})[-3:]
    assert [d["invoiceId"] for d in newest] == ids
    assert all(api.admin("GET", f"/documents/{i}").json()["invalidKind"] == "unknown_cost_center" for i in ids)
    assert all("sandboxInvalidKind" not in d for d in newest)  # the schema has no field for it
    assert api.admin("POST", "/documents", json={"count": 1, "invalid_kind": "bogus"}).status_code == 400


def test_admin_resets_a_failed_document_to_waiting_for_transfer(api: Api, sim: BaswareSimulator,
                                                                dataset: Dataset) -> None:
    invoice_id = dataset.invoice_id(9)
    api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    api.call("POST", f"/v1/accountingDocuments/{invoice_id}/transferResponses", json=_response(False))
    state = api.admin("PUT", f"/documents/{invoice_id}/status",
                      json={"processingStatus": "WaitingForTransfer"})
    assert state.status_code == 200
    assert state.json()["processingStatus"] == "WaitingForTransfer"
    assert api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge").status_code == 200
    assert api.admin("GET", "/documents/nope").status_code == 404
