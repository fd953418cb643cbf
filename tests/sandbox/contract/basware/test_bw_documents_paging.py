"""GET /v1/accountingDocuments: 302 to a pre-signed URL, continuation-header paging, filters, limits."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import Api, when
from mlc_sandbox.basware import BaswareSimulator
from mlc_sandbox.seed import Dataset

WAITING = {"ProcessingStatus": "WaitingForTransfer"}


def test_list_answers_302_to_a_presigned_url_on_the_same_server(api: Api) -> None:
    response = api.call("GET", "/v1/accountingDocuments", params={**WAITING, "pageSize": 5})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc == urlsplit(api.url).netloc
    query = parse_qs(location.query)
    assert {"X-Amz-Signature", "X-Amz-Expires", "X-Amz-Date", "X-Amz-Algorithm"} <= set(query)
    page = api.follow(response)
    assert page.status_code == 200
    docs = page.json()["accountingDocuments"]
    assert len(docs) == 5
    assert all(d["processingStatus"] == "WaitingForTransfer" for d in docs)
    assert page.headers["x-amzn-RequestId"]


def test_presigned_url_refuses_a_request_with_authorization(api: Api) -> None:
    response = api.call("GET", "/v1/accountingDocuments", params={"pageSize": 1})
    refused = api.http.get(response.headers["Location"], headers={"Authorization": f"Bearer {api.bearer}"})
    assert refused.status_code == 400
    assert "<Code>InvalidArgument</Code>" in refused.text
    # A client that lets requests follow the redirect on the same host keeps the header and fails too.
    followed = api.call("GET", "/v1/accountingDocuments", params={"pageSize": 1}, allow_redirects=True)
    assert followed.status_code == 400


def test_presigned_url_rejects_a_tampered_signature_and_expires(api: Api) -> None:
    # X-Amz-Date has whole seconds: a 1 s lifetime can be over before the first GET on a busy machine.
    api.admin("PATCH", "/settings", json={"presigned_ttl": 3})
    location = api.call("GET", "/v1/accountingDocuments", params={"pageSize": 1}).headers["Location"]
    tampered = location.replace("X-Amz-Expires=3", "X-Amz-Expires=3600")
    assert api.http.get(tampered).status_code == 403
    assert api.http.get(location).status_code == 200
    time.sleep(4.1)
    expired = api.http.get(location)
    assert expired.status_code == 403
    assert "Request has expired" in expired.text


def test_single_document_get_redirects_too(api: Api, dataset: Dataset) -> None:
    invoice_id = dataset.invoice_id(3)
    response = api.call("GET", f"/v1/accountingDocuments/{invoice_id}")
    assert response.status_code == 302
    [doc] = api.follow(response).json()["accountingDocuments"]
    assert doc["invoiceId"] == invoice_id
    assert doc["codingRows"]
    assert api.call("GET", "/v1/accountingDocuments/no-such-invoice").status_code == 404


def test_continuation_header_pages_through_everything_in_stable_order(api: Api, dataset: Dataset) -> None:
    docs = api.all_documents({**WAITING, "pageSize": 50})
    ids = [d["invoiceId"] for d in docs]
    assert len(ids) == len(set(ids)) == dataset.config.invoices
    keys = [(when(d["lastUpdated"]), d["invoiceId"]) for d in docs]
    assert keys == sorted(keys)
    assert set(ids) == {dataset.invoice_id(i) for i in range(dataset.config.invoices)}


def test_last_page_has_no_continuation_token(api: Api) -> None:
    page = api.documents_page({**WAITING, "pageSize": 100})
    token = page.headers["X-amz-meta-continuationToken"]
    page2 = api.documents_page({**WAITING, "pageSize": 100}, token)
    page3 = api.documents_page({**WAITING, "pageSize": 100}, page2.headers["X-amz-meta-continuationToken"])
    assert page3.status_code == 200
    assert "X-amz-meta-continuationToken" not in page3.headers
    assert len(page3.json()["accountingDocuments"]) == 240 - 200


def test_continuation_token_in_the_query_string_is_ignored(api: Api) -> None:
    first = api.documents_page({**WAITING, "pageSize": 10})
    token = first.headers["X-amz-meta-continuationToken"]
    again = api.documents_page({**WAITING, "pageSize": 10, "continuationToken": token,
                                "x-amz-meta-continuationtoken": token})
    assert [d["invoiceId"] for d in again.json()["accountingDocuments"]] == [
        d["invoiceId"] for d in first.json()["accountingDocuments"]]


def test_continuation_token_with_different_query_parameters_is_400(api: Api) -> None:
    token = api.documents_page({**WAITING, "pageSize": 10}).headers["X-amz-meta-continuationToken"]
    for params in ({**WAITING, "pageSize": 20}, {"pageSize": 10},
                   {**WAITING, "pageSize": 10, "companyCode": "US10"}):
        response = api.call("GET", "/v1/accountingDocuments", params=params,
                            headers={"x-amz-meta-continuationtoken": token})
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["code"] == "PARAMETER_VALIDATION_ERROR"
    unknown = api.call("GET", "/v1/accountingDocuments", params={**WAITING, "pageSize": 10},
                       headers={"x-amz-meta-continuationtoken": "not-a-token"})
    assert unknown.status_code == 400


@pytest.mark.parametrize("size", ["0", "101", "-1", "ten"])
def test_page_size_outside_1_to_100_is_400(api: Api, size: str) -> None:
    response = api.call("GET", "/v1/accountingDocuments", params={"pageSize": size})
    assert response.status_code == 400
    body = response.json()
    assert body["hasErrors"] is True and body["requestId"] == response.headers["x-amzn-RequestId"]


def test_default_page_size_is_100(api: Api) -> None:
    assert len(api.documents_page(WAITING).json()["accountingDocuments"]) == 100


def test_no_matching_documents_is_404(api: Api) -> None:
    response = api.call("GET", "/v1/accountingDocuments", params={"ProcessingStatus": "Paid"})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "ENTITY_NOT_FOUND"


def test_bad_filters_are_400(api: Api) -> None:
    for params in ({"ProcessingStatus": "Approved"}, {"lastUpdated": "yesterday"},
                   {"p2pProcessingMode": "Fast"}):
        assert api.call("GET", "/v1/accountingDocuments", params=params).status_code == 400, params


def test_company_code_filter(api: Api, dataset: Dataset) -> None:
    docs = api.all_documents({**WAITING, "companyCode": "DE20"})
    expected = [i for i in range(dataset.config.invoices) if dataset.invoice(i)["companyCode"] == "DE20"]
    assert docs and len(docs) == len(expected)
    assert {d["companyCode"] for d in docs} == {"DE20"}


def test_last_updated_filter_returns_documents_updated_after_it(api: Api, dataset: Dataset) -> None:
    cut = dataset.invoice(199)["lastUpdated"]
    docs = api.all_documents({**WAITING, "lastUpdated": cut})
    assert [d["invoiceId"] for d in docs] == [dataset.invoice_id(i) for i in range(200, 240)]
    assert all(when(d["lastUpdated"]) > when(cut) for d in docs)


def test_p2p_processing_mode_filter(api: Api) -> None:
    ids = api.admin("POST", "/documents", json={"documents": [
        {"invoiceId": "ENRICH-1", "companyCode": "US10", "p2pProcessingMode": "InvoiceEnrichment",
         "codingRows": [{"rowIndex": 1, "accountCode": "6000"}]}]}).json()["invoiceIds"]
    enrichment = api.all_documents({"p2pProcessingMode": "InvoiceEnrichment"})
    assert [d["invoiceId"] for d in enrichment] == ids
    assert "ENRICH-1" not in {d["invoiceId"] for d in api.all_documents(WAITING)}


def test_pages_hold_fewer_documents_when_they_have_many_coding_rows(api: Api, sim: BaswareSimulator,
                                                                  dataset: Dataset) -> None:
    rows = [{"rowIndex": n, "accountCode": "6000", "netTotal": 1.0} for n in range(1, 201)]
    docs = [{"invoiceId": f"BIG-{n}", "companyCode": "US10", "codingRows": rows} for n in range(5)]
    api.admin("POST", "/documents", json={"documents": docs})
    params = {**WAITING, "pageSize": 100, "lastUpdated": dataset.invoice(239)["lastUpdated"]}
    sizes = []
    continuation = None
    while True:
        page = api.documents_page(params, continuation)
        assert sum(len(d["codingRows"]) for d in page.json()["accountingDocuments"]) <= sim.settings.max_rows_per_page
        sizes.append(len(page.json()["accountingDocuments"]))
        continuation = page.headers.get("X-amz-meta-continuationToken")
        if not continuation:
            break
    assert sizes == [2, 2, 1]  # 200 rows each, at most 500 rows per page


def test_a_document_with_more_rows_than_a_page_allows_still_comes_alone(api: Api, dataset: Dataset) -> None:
    rows = [{"rowIndex": n, "accountCode": "6000"} for n in range(1, 701)]
    api.admin("POST", "/documents", json=[{"invoiceId": "HUGE", "companyCode": "US10", "codingRows": rows}])
    page = api.documents_page({**WAITING, "lastUpdated": dataset.invoice(239)["lastUpdated"]})
    assert [d["invoiceId"] for d in page.json()["accountingDocuments"]] == ["HUGE"]
