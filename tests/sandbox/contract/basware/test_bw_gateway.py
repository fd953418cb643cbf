"""Gateway behaviour: x-amzn-RequestId everywhere, the request log, injected 429/5xx/dropped connections."""

from __future__ import annotations

import logging
import uuid

import pytest
import requests

from conftest import Api


def test_every_response_has_a_unique_amzn_request_id(api: Api) -> None:
    responses = [
        api.token(),
        api.token(auth=("x", "y")),
        api.call("GET", "/v1/vendors", params={"pageSize": 1}),
        api.call("GET", "/v1/accountingDocuments", params={"pageSize": 1}),
        api.http.get(f"{api.url}/v1/no-such-endpoint"),  # not Basware operations: not spec-checked
        api.http.put(f"{api.url}/v1/vendors", headers={"Authorization": f"Bearer {api.bearer}"}),
        api.http.get(f"{api.url}/v1/vendors"),
        api.admin("GET", "/requests"),
    ]
    responses.append(api.follow(responses[3]))
    ids = [r.headers["x-amzn-RequestId"] for r in responses]
    assert all(ids) and len(set(ids)) == len(ids)
    assert responses[4].status_code == 404 and responses[4].json()["errors"][0]["code"] == "ENTITY_NOT_FOUND"
    assert responses[5].status_code == 405
    assert responses[5].json()["errors"][0]["code"] == "METHOD_NOT_ALLOWED"


def test_request_log_records_the_client_request_id_of_each_call(served: Api) -> None:
    api = served
    sent = []
    for path in ("/v1/vendors", "/v1/tasks", "/v1/subscriptions"):
        request_id = str(uuid.uuid4())
        sent.append(request_id)
        response = api.call("GET", path, params={"pageSize": 1}, headers={"X-BW-REQUEST-ID": request_id})
        assert response.status_code in (200, 404)
    entries = [e for e in api.admin("GET", "/requests").json() if e["path"] != "/v1/tokens"]
    assert [e["client_request_id"] for e in entries] == sent
    assert all(e["request_id"] and e["authorization"] for e in entries)
    assert {"method", "path", "query", "status", "time"} <= set(entries[0])
    assert entries == [e for e in api.sim.request_log if e["path"] != "/v1/tokens"]
    assert not any(e["path"].startswith("/_sandbox") for e in api.sim.request_log)
    assert api.admin("DELETE", "/requests").status_code == 204
    assert api.sim.request_log == []


def test_request_log_shows_a_call_without_request_id(api: Api) -> None:
    api.http.get(f"{api.url}/v1/vendors", headers={"Authorization": f"Bearer {api.bearer}"})
    assert api.sim.request_log[-1]["client_request_id"] is None


def test_injected_429_has_retry_after_and_basware_body(api: Api) -> None:
    added = api.http.post(f"{api.url}/_sandbox/faults", json={
        "kind": "status", "status": 429, "retry_after": 2, "system": "basware", "path": "^/v1/vendors$",
        "times": 1})
    assert added.status_code == 201
    limited = api.call("GET", "/v1/vendors")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.headers["x-amzn-RequestId"]
    assert limited.json()["hasErrors"] is True
    assert api.call("GET", "/v1/vendors").status_code == 200  # fired once only
    assert [f["kind"] for f in api.http.get(f"{api.url}/_sandbox/faults/log").json()] == ["status"]


def test_injected_503_hits_the_matching_endpoint_only(api: Api) -> None:
    api.http.post(f"{api.url}/_sandbox/faults", json={
        "kind": "status", "status": 503, "system": "basware", "method": "POST", "path": "/acknowledge$"})
    invoice_id = api.sim.dataset.invoice_id(0)
    for _ in range(2):
        assert api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge").status_code == 503
    assert api.sim.document_status(invoice_id) == "WaitingForTransfer"
    assert api.call("GET", "/v1/vendors").status_code == 200
    assert api.http.delete(f"{api.url}/_sandbox/faults").status_code == 204
    assert api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge").status_code == 200


def test_faults_for_the_ifs_system_do_not_touch_basware(api: Api) -> None:
    api.http.post(f"{api.url}/_sandbox/faults", json={"kind": "status", "status": 500, "system": "ifs"})
    assert api.call("GET", "/v1/vendors").status_code == 200


def test_presigned_urls_can_fail_too(api: Api) -> None:
    location = api.call("GET", "/v1/accountingDocuments", params={"pageSize": 1}).headers["Location"]
    api.http.post(f"{api.url}/_sandbox/faults", json={
        "kind": "status", "status": 500, "system": "basware", "path": "^/_presigned/", "times": 1})
    assert api.http.get(location).status_code == 500
    assert api.http.get(location).status_code == 200


def test_dropped_connection_breaks_the_response_quietly(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    api.http.post(f"{api.url}/_sandbox/faults", json={"kind": "drop", "system": "basware", "times": 1})
    with caplog.at_level(logging.ERROR, logger="uvicorn.error"), pytest.raises(requests.RequestException):
        api.call("GET", "/v1/vendors").json()
    assert api.call("GET", "/v1/vendors").status_code == 200
    assert not [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], ConnectionAbortedError)]
