from __future__ import annotations

import requests

from ml_connector.ifs.entities import etag_of, strip_system_fields


def test_system_fields_are_stripped_case_insensitively() -> None:
    body = {
        "@odata.etag": 'W/"x"', "@odata.context": "ctx", "luname": "ManSuppInvoice", "keyref": "K",
        "Objid": "1", "OBJVERSION": "2", "objgrants": "", "Objstate": "Posted", "objevents": "",
        "Objkey": "k", "Amount@odata.type": "#Decimal", "Amount": 10, "Description": "keep",
    }
    assert strip_system_fields(body) == {"Amount": 10, "Description": "keep"}


def test_etag_from_body_or_header() -> None:
    resp = requests.Response()
    resp.headers["ETag"] = 'W/"hdr"'
    assert etag_of({"@odata.etag": 'W/"body"'}, resp) == 'W/"body"'
    assert etag_of({}, resp) == 'W/"hdr"'
    assert etag_of({}, None) is None
