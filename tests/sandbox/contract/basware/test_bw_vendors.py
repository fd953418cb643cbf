"""/v1/vendors: overwrite by externalCode, PATCH, paging, limits, manual UI edits and async errors."""

from __future__ import annotations

from typing import Any

from conftest import Api, when
from mlc_sandbox.basware import BaswareSimulator
from mlc_sandbox.seed import Dataset


def _vendor(code: str, name: str = "Acme Steel Inc.", company: str = "US10", **extra: Any) -> dict[str, Any]:
    return {"externalCode": code, "vendorCode": code, "name": name,
            "companies": [{"companyCode": company, "inheritToChildUnits": True}],
            "identifiers": [{"id": "US123456789", "schemeId": "VAT"}], **extra}


def _all_vendors(api: Api, params: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    headers: dict[str, str] = {}
    while True:
        response = api.call("GET", "/v1/vendors", params=params, headers=headers)
        if response.status_code == 404:
            return out
        assert response.status_code == 200, response.text
        out += response.json()["vendorEntities"]
        token = response.headers.get("X-amz-meta-continuationToken")
        if not token:
            return out
        headers = {"x-amz-meta-continuationtoken": token}


def test_seeded_vendors_are_realistic_and_listed(api: Api, dataset: Dataset) -> None:
    vendors = _all_vendors(api, {})
    assert len(vendors) == len(dataset.basware_vendors)
    first = next(v for v in vendors if v["externalCode"] == dataset.basware_vendors[0].supplier_id)
    supplier = dataset.basware_vendors[0]
    assert first["vendorCode"] == supplier.supplier_id and first["name"] == supplier.name
    assert first["identifiers"] == [{"id": supplier.vat_no, "schemeId": "VAT", "defaultPartyId": True}]
    known = {c.basware_company_code for c in dataset.companies}
    assert {c["companyCode"] for c in first["companies"]} <= known
    assert first["processingStatus"] == {"active": True, "paymentDenied": False}
    assert first["addresses"] and first["lastUpdated"]
    assert set(first["paymentTerms"]) == {"paymentTermCode"}  # one object, not a list


def test_post_creates_and_overwrites_by_external_code(api: Api, sim: BaswareSimulator) -> None:
    full = _vendor("V-1", paymentTerms={"paymentTermCode": "NET30"})
    assert api.call("POST", "/v1/vendors", json=[full]).status_code == 200
    assert api.call("POST", "/v1/vendors", json=[_vendor("V-1", name="Renamed Ltd.")]).status_code == 200
    stored = api.call("GET", "/v1/vendors/V-1").json()
    assert stored["name"] == "Renamed Ltd."
    assert "paymentTerms" not in stored  # overwrite, not merge
    assert sim.vendor("V-1")["lastModifiedBy"] == "API"


def test_post_answers_with_the_vendors_and_the_request_id_for_request_status(api: Api) -> None:
    response = api.call("POST", "/v1/vendors", json=[_vendor("V-2")])
    [vendor] = response.json()
    assert vendor["externalCode"] == "V-2" and vendor["lastUpdated"]
    status = api.call("GET", f"/v1/requestStatus/{response.headers['x-amzn-RequestId']}").json()
    entry = status["requestStatus"][0]
    assert entry["entityType"] == "Vendor" and entry["requestStatus"] == "Success"
    assert entry["systems"][0]["items"] == [{"externalCode": "V-2", "parentExternalCode": None,
                                             "status": "Success", "errors": []}]


def test_more_than_200_vendors_in_one_call_is_400(api: Api) -> None:
    response = api.call("POST", "/v1/vendors", json=[_vendor(f"V-{n}") for n in range(201)])
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "SCHEMA_VALIDATION_ERROR"
    assert api.call("POST", "/v1/vendors", json=[_vendor(f"V-{n}") for n in range(200)]).status_code == 200


def test_schema_invalid_vendor_is_400_naming_the_record(api: Api) -> None:
    bad = _vendor("V-BAD")
    del bad["name"]
    response = api.call("POST", "/v1/vendors", json=[_vendor("V-OK"), bad])
    assert response.status_code == 400
    assert response.json()["errors"][0]["externalCode"] == "V-BAD"
    assert api.call("GET", "/v1/vendors/V-OK").status_code == 404  # nothing applied


def test_vendor_with_unknown_company_is_accepted_then_reported(api: Api) -> None:
    response = api.call("POST", "/v1/vendors", json=[_vendor("V-3"), _vendor("V-4", company="ZZ99")])
    assert response.status_code == 200
    errors = api.call("GET", "/v1/requestStatus", params={"status": "Error"}).json()["requestStatus"]
    assert len(errors) == 1
    assert errors[0]["requestId"] == response.headers["x-amzn-RequestId"]
    failed = [i for i in errors[0]["systems"][0]["items"] if i["status"] == "Error"]
    assert [i["externalCode"] for i in failed] == ["V-4"]
    assert failed[0]["errors"][0]["category"] == "DataValidation"
    assert api.call("GET", "/v1/vendors/V-3").status_code == 200
    assert api.call("GET", "/v1/vendors/V-4").status_code == 404  # skipped


def test_vendor_with_a_currency_not_active_in_p2p_is_accepted_then_reported(api: Api) -> None:
    # POST /v1/vendors, note 2: the currencies a vendor uses must be active in P2P.
    means = [{"paymentMeansCode": "IBAN", "currencyCode": "XAU", "default": True}]
    response = api.call("POST", "/v1/vendors", json=[_vendor("V-C1"), _vendor("V-C2", paymentMeans=means)])
    assert response.status_code == 200
    status = api.call("GET", f"/v1/requestStatus/{response.headers['x-amzn-RequestId']}").json()
    [entry] = status["requestStatus"]
    assert entry["requestStatus"] == "Error" and entry["entityType"] == "Vendor"
    failed = [i for i in entry["systems"][0]["items"] if i["status"] == "Error"]
    assert [i["externalCode"] for i in failed] == ["V-C2"]
    assert "'XAU' is not active" in failed[0]["errors"][0]["message"]
    assert api.call("GET", "/v1/vendors/V-C2").status_code == 404


def test_identical_repost_is_not_processed(api: Api) -> None:
    api.call("POST", "/v1/vendors", json=[_vendor("V-5")])
    before = api.call("GET", "/v1/vendors/V-5").json()["lastUpdated"]
    again = api.call("POST", "/v1/vendors", json=[_vendor("V-5")])
    item = api.call("GET", f"/v1/requestStatus/{again.headers['x-amzn-RequestId']}").json()
    assert item["requestStatus"][0]["systems"][0]["items"][0]["status"] == "NotProcessed"
    assert api.call("GET", "/v1/vendors/V-5").json()["lastUpdated"] == before


def test_patch_updates_only_the_given_fields(api: Api) -> None:
    api.call("POST", "/v1/vendors", json=[_vendor("V-6")])
    blocked = {"processingStatus": {"active": True, "paymentDenied": True}}
    response = api.call("PATCH", "/v1/vendors/V-6", json=blocked)
    assert response.status_code == 200 and response.json()["processingStatus"]["paymentDenied"] is True
    stored = api.call("GET", "/v1/vendors/V-6").json()
    assert stored["processingStatus"]["paymentDenied"] is True
    assert stored["name"] == "Acme Steel Inc."
    assert api.call("PATCH", "/v1/vendors/NOPE", json={"name": "x"}).status_code == 404
    mismatch = api.call("PATCH", "/v1/vendors/V-6", json={"externalCode": "OTHER"})
    assert mismatch.status_code == 400 and mismatch.json()["errors"][0]["code"] == "EXTERNAL_CODE_MISMATCH"
    assert api.call("PATCH", "/v1/vendors/V-6", json={"name": ""}).status_code == 400


def test_vendor_paging_with_continuation_header_and_page_size_limits(api: Api, dataset: Dataset) -> None:
    first = api.call("GET", "/v1/vendors", params={"pageSize": 20})
    assert len(first.json()["vendorEntities"]) == 20
    token = first.headers["X-amz-meta-continuationToken"]
    wrong = api.call("GET", "/v1/vendors", params={"pageSize": 21},
                     headers={"x-amz-meta-continuationtoken": token})
    assert wrong.status_code == 400
    everything = _all_vendors(api, {"pageSize": 20})
    assert len({v["externalCode"] for v in everything}) == len(dataset.basware_vendors)
    assert api.call("GET", "/v1/vendors", params={"pageSize": 501}).status_code == 400
    assert api.call("GET", "/v1/vendors", params={"pageSize": 0}).status_code == 400
    one_page = api.call("GET", "/v1/vendors", params={"pageSize": 500})
    assert len(one_page.json()["vendorEntities"]) == len(dataset.basware_vendors)
    default = api.call("GET", "/v1/vendors").json()["vendorEntities"]
    assert len(default) == min(100, len(dataset.basware_vendors))  # the spec's default page size


def test_vendor_last_updated_filter(api: Api) -> None:
    cut = max((v["lastUpdated"] for v in _all_vendors(api, {})), key=when)
    assert api.call("GET", "/v1/vendors", params={"lastUpdated": cut}).status_code == 404
    api.call("POST", "/v1/vendors", json=[_vendor("V-7")])
    assert [v["externalCode"] for v in _all_vendors(api, {"lastUpdated": cut})] == ["V-7"]


def test_manual_ui_edit_is_lost_on_the_next_api_import(api: Api, sim: BaswareSimulator) -> None:
    api.call("POST", "/v1/vendors", json=[_vendor("V-8")])
    edited = api.admin("POST", "/vendors/V-8/manual-edit", json={"name": "Edited by AP clerk"})
    assert edited.status_code == 200 and edited.json()["lastModifiedBy"] == "UI"
    assert api.call("GET", "/v1/vendors/V-8").json()["name"] == "Edited by AP clerk"
    # The same API payload as before is no longer identical to what Basware holds: it overwrites.
    again = api.call("POST", "/v1/vendors", json=[_vendor("V-8")])
    status = api.call("GET", f"/v1/requestStatus/{again.headers['x-amzn-RequestId']}").json()
    assert status["requestStatus"][0]["systems"][0]["items"][0]["status"] == "Success"
    assert sim.vendor("V-8")["name"] == "Acme Steel Inc." and sim.vendor("V-8")["lastModifiedBy"] == "API"


def test_vendor_created_in_the_ui_is_not_returned_by_the_api(api: Api) -> None:
    api.admin("POST", "/vendors/UI-ONLY/manual-edit", json={"name": "Walk-in supplier"})
    assert api.admin("GET", "/vendors/UI-ONLY").json()["apiManaged"] is False
    assert api.call("GET", "/v1/vendors/UI-ONLY").status_code == 404
    assert "UI-ONLY" not in {v["externalCode"] for v in _all_vendors(api, {})}


def test_vendors_filter_by_company_code(api: Api) -> None:
    api.call("POST", "/v1/vendors", json=[_vendor("V-C1", company="MX30"), _vendor("V-C2", company="US10")])
    found = {v["externalCode"] for v in _all_vendors(api, {"companyCode": "MX30"})}
    assert "V-C1" in found and "V-C2" not in found
    assert all(any(c["companyCode"] == "MX30" for c in v["companies"])
               for v in _all_vendors(api, {"companyCode": "MX30"}))


def test_vendors_in_the_old_shape_are_refused(api: Api) -> None:
    old = _vendor("V-OLD", paymentTerms=[{"paymentTermCode": "NET30"}])  # a list: the spec has one object
    response = api.call("POST", "/v1/vendors", json=[old])
    assert response.status_code == 400 and "paymentTerms" in response.json()["errors"][0]["message"]


def test_delete_vendors_by_external_code(api: Api) -> None:
    api.call("POST", "/v1/vendors", json=[_vendor("V-D1"), _vendor("V-D2")])
    assert api.call("DELETE", "/v1/vendors", json={"externalCode": "V-D1"}).status_code == 200
    assert api.call("GET", "/v1/vendors/V-D1").status_code == 404
    assert api.call("GET", "/v1/vendors/V-D2").status_code == 200
