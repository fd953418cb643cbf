"""Accounts, cost centers, generic lists, asynchronous requestStatus and the 6 MB body limit."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from conftest import Api
from mlc_sandbox.basware import BaswareSimulator

JSON = {"Content-Type": "application/json"}


def _account(code: str, company: str = "US10", language: str = "en-US",
             active: bool = True) -> dict[str, Any]:
    """Basware's AccountEntity: accountNames, a required externalCode, companies with inherit and active."""
    return {"externalCode": code, "accountCode": code,
            "accountNames": [{"language": language, "translation": f"Account {code}"}],
            "companies": [{"companyCode": company, "inherit": True, "active": active}]}


def _cost_center(code: str, company: str = "DE20") -> dict[str, Any]:
    return {"externalCode": code, "costCenterCode": code,
            "costCenterNames": [{"language": "en-US", "translation": "Assembly"},
                                {"language": "de-DE", "translation": "Montage"}],
            "companies": [{"companyCode": company, "active": True}]}


def _errors(status: dict[str, Any]) -> dict[str, list[str]]:
    """Per record with errors: their messages (requestStatus' systems[].items[].errors[])."""
    items = status["requestStatus"][0]["systems"][0]["items"]
    return {i["externalCode"]: [e["message"] for e in i["errors"]] for i in items if i["errors"]}


def _status(api: Api, response: Any) -> dict[str, Any]:
    return api.call("GET", f"/v1/requestStatus/{response.headers['x-amzn-RequestId']}").json()


def test_accounts_are_stored_and_overwritten_by_code(api: Api, sim: BaswareSimulator) -> None:
    assert api.call("POST", "/v1/accounts", json=[_account("6000")]).status_code == 200
    assert api.call("POST", "/v1/accounts", json=[_account("6000", active=False)]).status_code == 200
    assert sim.masterdata("Account", "6000")["companies"] == [
        {"companyCode": "US10", "inherit": True, "active": False}]
    assert api.admin("GET", "/masterdata/Account/6000").status_code == 200


def test_cost_centers_are_stored(api: Api, sim: BaswareSimulator) -> None:
    response = api.call("POST", "/v1/costCenters", json=[_cost_center("CC2001"), _cost_center("CC2002")])
    assert response.status_code == 200
    assert _status(api, response)["requestStatus"][0]["entityType"] == "CostCenter"
    assert sim.masterdata("CostCenter", "CC2002")["costCenterNames"][1]["translation"] == "Montage"
    assert [c["externalCode"] for c in response.json()] == ["CC2001", "CC2002"]  # the records as stored


@pytest.mark.parametrize("path,record", [("/v1/accounts", _account), ("/v1/costCenters", _cost_center)])
def test_more_than_500_records_is_400(api: Api, path: str, record: Any) -> None:
    assert api.call("POST", path, json=[record(f"C{n}") for n in range(501)]).status_code == 400
    assert api.call("POST", path, json=[record(f"C{n}") for n in range(500)]).status_code == 200


@pytest.mark.parametrize("body", [
    [{k: v for k, v in _account("6000").items() if k != "accountNames"}],  # names missing
    [{k: v for k, v in _account("6000").items() if k != "externalCode"}],  # externalCode missing
    [{**_account("6000"), "names": [{"language": "en-US", "translation": "Old shape"}]}],  # not in the spec
    [{**_account("6000"), "companies": [{"companyCode": "US10", "active": True}]}],  # inherit missing
    [{**_account(""), "accountCode": ""}],
    {"accountCode": "6000"},  # not a list
    [],
])
def test_schema_invalid_master_data_is_400_synchronously(api: Api, body: Any) -> None:
    response = api.call("POST", "/v1/accounts", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["type"] == "VALIDATION"


def test_business_errors_are_accepted_then_appear_in_request_status(api: Api) -> None:
    response = api.call("POST", "/v1/accounts", json=[
        _account("6000"), _account("6010", company="XX99"), _account("6020", language="de-DE")])
    assert response.status_code == 200 and len(response.json()) == 3
    status = _status(api, response)
    assert status["requestStatus"][0]["requestStatus"] == "Error"
    items = {i["externalCode"]: i["status"] for i in status["requestStatus"][0]["systems"][0]["items"]}
    assert items == {"6000": "Success", "6010": "Error", "6020": "Error"}
    assert set(_errors(status)) == {"6010", "6020"}
    assert "en-US" in _errors(status)["6020"][0]


def test_errors_become_visible_only_after_the_async_delay(api: Api) -> None:
    api.admin("PATCH", "/settings", json={"async_error_delay": 0.4})
    response = api.call("POST", "/v1/costCenters", json=[_cost_center("CC1", company="XX99")])
    early = _status(api, response)
    assert not _errors(early) and early["requestStatus"][0]["requestStatus"] == "InProgress"
    assert api.call("GET", "/v1/requestStatus", params={"status": "Error"}).status_code == 404
    time.sleep(0.45)
    late = _status(api, response)
    assert _errors(late) and late["requestStatus"][0]["requestStatus"] == "Error"


def test_error_list_filters_pages_and_acknowledges(api: Api) -> None:
    failing = [api.call("POST", "/v1/accounts", json=[_account(f"A{n}", company="XX99")]) for n in range(3)]
    api.call("POST", "/v1/accounts", json=[_account("OK")])
    listed = api.call("GET", "/v1/requestStatus", params={"status": "Error"}).json()["requestStatus"]
    ids = [r.headers["x-amzn-RequestId"] for r in failing]
    assert [e["requestId"] for e in listed] == ids
    vendors_only = {"status": "Error", "entityType": "Vendor"}
    assert api.call("GET", "/v1/requestStatus", params=vendors_only).status_code == 404
    page = api.call("GET", "/v1/requestStatus", params={"status": "Error", "pageSize": 2})
    assert len(page.json()["requestStatus"]) == 2 and page.headers["X-amz-meta-continuationToken"]
    ack = api.call("POST", "/v1/requestStatus/acknowledge", json={"requestIds": ids[:2]})
    assert ack.status_code == 200
    remaining = api.call("GET", "/v1/requestStatus").json()["requestStatus"]  # default status=Error
    assert [e["requestId"] for e in remaining] == ids[2:]
    acked = api.call("GET", "/v1/requestStatus",
                     params={"status": "AcknowledgedError"}).json()["requestStatus"]
    assert {e["requestId"] for e in acked} == set(ids[:2])
    assert api.call("POST", "/v1/requestStatus/acknowledge", json={"requestIds": ids[:1]}).status_code == 405
    assert api.call("POST", "/v1/requestStatus/acknowledge", json={"requestIds": ["nope"]}).status_code == 404
    assert api.call("GET", "/v1/requestStatus/nope").status_code == 404


def test_identical_repost_is_not_processed(api: Api) -> None:
    api.call("POST", "/v1/costCenters", json=[_cost_center("CC9")])
    again = api.call("POST", "/v1/costCenters", json=[_cost_center("CC9"), _cost_center("CC10")])
    entry = _status(api, again)["requestStatus"][0]
    items = {i["externalCode"]: i["status"] for i in entry["systems"][0]["items"]}
    assert items == {"CC9": "NotProcessed", "CC10": "Success"}


def test_generic_lists_accept_the_spec_list_keys_only(api: Api, sim: BaswareSimulator) -> None:
    item = {"externalCode": "PLANT-P10", "text_1": "P10", "text_2": "Main plant",
            "companies": [{"companyCode": "US10", "active": True}]}
    for key in ("ACC_LIST_1", "ACC_LIST_35", "CUST_RESOLVER_5", "INV_LIST_20"):
        response = api.call("POST", f"/v1/lists/{key}", json=[item])
        assert response.status_code == 200
        assert _status(api, response)["requestStatus"][0]["genericListKey"] == key
        listed = api.call("GET", f"/v1/lists/{key}")
        assert listed.status_code == 200 and listed.json()["listItems"][0]["text_2"] == "Main plant"
        one = api.call("GET", f"/v1/lists/{key}/PLANT-P10")
        assert one.status_code == 200 and one.json()["text_1"] == "P10"
    for key in ("ACC_LIST_0", "ACC_LIST_36", "INV_LIST_21", "CUST_RESOLVER_6", "acc_list_1"):
        assert api.call("POST", f"/v1/lists/{key}", json=[item]).status_code == 400, key
        assert api.call("GET", f"/v1/lists/{key}").status_code == 404, key
    assert api.call("GET", "/v1/lists/ACC_LIST_2").status_code == 404  # valid key, no items
    assert api.call("POST", "/v1/lists/ACC_LIST_3", json=[{"text_1": "no code"}]).status_code == 400
    assert sim.masterdata("ACC_LIST_1", "PLANT-P10") is not None


def test_request_body_over_6_mb_is_413(api: Api) -> None:
    filler = "x" * 250
    records = [{"externalCode": f"E{n}", **{f"text_{k}": filler for k in range(1, 26)}} for n in range(500)]
    body = json.dumps(records).encode()
    assert 6 * 1024 * 1024 > len(body) > 3 * 1024 * 1024
    assert api.call("POST", "/v1/lists/ACC_LIST_31", data=body, headers=JSON).status_code == 200
    big = json.dumps([{"externalCode": "E", "text_1": "y" * (6 * 1024 * 1024)}]).encode()
    response = api.call("POST", "/v1/lists/ACC_LIST_31", data=big, headers=JSON)
    assert response.status_code == 413
    assert response.json()["hasErrors"] is True
    assert response.headers["x-amzn-RequestId"]


def test_chunked_body_over_6_mb_is_413_too(api: Api) -> None:
    def chunks() -> Any:
        yield b'[{"externalCode": "E", "text_1": "'
        for _ in range(7):
            yield b"z" * (1024 * 1024)
        yield b'"}]'

    response = api.call("POST", "/v1/lists/ACC_LIST_1", data=chunks(), headers=JSON)
    assert response.status_code == 413


@pytest.mark.parametrize("path,record,wrapper", [("/v1/accounts", _account, "accounts"),
                                                 ("/v1/costCenters", _cost_center, "costCenters")])
def test_accounts_and_cost_centers_get_patch_and_delete(api: Api, path: str, record: Any, wrapper: str) -> None:
    api.call("POST", path, json=[record("A1", company="US10"), record("A2", company="DE20")])
    listed = api.call("GET", path)
    assert [r["externalCode"] for r in listed.json()[wrapper]] == ["A1", "A2"]
    assert [r["externalCode"] for r in api.call("GET", path, params={"companyCode": "DE20"}).json()[wrapper]] \
        == ["A2"]
    assert api.call("GET", f"{path}/A1").json()["externalCode"] == "A1"
    assert api.call("GET", f"{path}/nope").status_code == 404
    code_field = "accountCode" if wrapper == "accounts" else "costCenterCode"
    patched = api.call("PATCH", f"{path}/A1", json={code_field: "A1-NEW"})
    assert patched.status_code == 200 and patched.json()[code_field] == "A1-NEW"
    assert api.call("PATCH", f"{path}/nope", json={code_field: "x"}).status_code == 404
    assert api.call("PATCH", f"{path}/A1", json={"externalCode": "other"}).status_code == 400
    deleted = api.call("DELETE", path, json={"externalCode": "A1"})
    assert deleted.status_code == 200 and deleted.json()["taskStatus"] == "Completed"
    assert api.call("GET", f"{path}/A1").status_code == 404
    assert api.call("DELETE", path, json={}).status_code == 200
    assert api.call("GET", path).status_code == 404


def test_list_items_patch_and_delete(api: Api) -> None:
    api.call("POST", "/v1/lists/INV_LIST_3", json=[{"externalCode": "X1", "text_1": "a", "number_1": 1.5}])
    patched = api.call("PATCH", "/v1/lists/INV_LIST_3/X1", json={"text_1": "b"})
    assert patched.status_code == 200 and patched.json()["text_1"] == "b" and patched.json()["number_1"] == 1.5
    assert api.call("DELETE", "/v1/lists/INV_LIST_3", json={"externalCode": "X1"}).status_code == 200
    assert api.call("GET", "/v1/lists/INV_LIST_3/X1").status_code == 404
