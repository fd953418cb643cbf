from __future__ import annotations

import requests

from ml_connector.ifs.config import IfsEntities
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


def test_entity_defaults_match_the_simulator_contract() -> None:
    e = IfsEntities()
    s = e.suppliers
    assert (s.projection, s.entity_set, s.keys, s.modified_column) == (
        "SupplierHandling", "SupplierInfoGeneralSet", ("SupplierId",), "ModifiedDate")
    p = e.posting_proposals
    assert (p.projection, p.entity_set) == ("ManualSupplierInvoiceHandling", "ManSuppInvoiceSet")
    assert (p.rows_navigation, p.rows_entity_set) == ("PostingProposalArray", "ManSuppInvoicePostingSet")
    assert (e.companies.projection, e.companies.entity_set) == ("CompanyHandling", "CompanySet")
    cp, cv = e.code_parts, e.code_part_values
    assert (cp.projection, cp.entity_set) == ("AccountingCodePartsHandling", "AccountingCodePartSet")
    assert (cv.projection, cv.entity_set) == ("CodePartValuesHandling", "CodePartValueSet")
    custom = IfsEntities.model_validate(
        {"suppliers": {"projection": "SupplierHandling", "entity_set": "Other", "keys": ["SupplierId"]}}
    )
    assert custom.suppliers.entity_set == "Other" and custom.companies.entity_set == "CompanySet"
