"""Naming profiles over HTTP: the same behaviour under another release's names, and a `$metadata`
that describes every entity set, navigation and property of the profile served."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mlc_sandbox.ifs.entities import Schema
from mlc_sandbox.ifs.profiles import PROFILES, names_for

from .conftest import Factory, error_of

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
OLD_INVOICES = "ManualSupplierInvoiceHandling.svc/ManSuppInvoiceSet"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_metadata_describes_every_set_navigation_and_property_of_the_profile(make_ifs: Factory,
                                                                             profile: str) -> None:
    ifs = make_ifs(profile=profile)
    schema = Schema(names_for(profile))
    for projection in sorted({t.projection for t in schema.entity_types}):
        response = ifs.get(f"{projection}.svc/$metadata")
        assert response.status_code == 200, projection
        root = ET.fromstring(response.content)
        sets = {s.get("Name"): s.get("EntityType") for s in root.iter(f"{EDM}EntitySet")}
        types = {t.get("Name"): t for t in root.iter(f"{EDM}EntityType")}
        for etype in schema.projection_sets(projection):
            assert sets[etype.entity_set] == etype.full_name
            node = types[etype.name]
            assert [r.get("Name") for r in node.iter(f"{EDM}PropertyRef")] == list(etype.keys)
            assert {p.get("Name") for p in node.iter(f"{EDM}Property")} == {p.name for p in etype.props}
            assert {n.get("Name") for n in node.iter(f"{EDM}NavigationProperty")} == {
                n.name for n in etype.navigations}


def test_the_older_profile_serves_other_projections_and_names(make_ifs: Factory) -> None:
    ifs = make_ifs(profile="ifs-apps10")
    assert ifs.get("ManSuppInvoiceHandling.svc/$metadata").status_code == 404
    assert ifs.get("SupplierHandling.svc/SupplierInfoGeneralSet").status_code == 404
    assert len(ifs.values("SuppliersHandling.svc/SupplierInfoGeneralSet", **{"$top": "3"})) == 3
    rows = ifs.values("AccountingCodePartsHandling.svc/CompanyFinanceSet(Company='10')/CodePartBArray")
    assert {r["CodePartValue"] for r in rows} == set(ifs.sim.dataset.codes("10", "CostCenter"))
    created = ifs.post(OLD_INVOICES, {"Company": "10", "SupplierId": "10001", "InvoiceNo": "OLD-1",
                                      "InvoiceDate": "2026-10-20", "NetAmount": 100, "VatAmount": 7.25,
                                      "GrossAmount": 117.25, "ExternalRef": "bw-1"})
    assert created.status_code == 201, created.text
    invoice = created.json()
    path = f"{OLD_INVOICES}(Company='10',InvoiceId={invoice['InvoiceId']})"
    row = ifs.post(f"{path}/PostingProposalArray", {"Account": "6000", "CodeB": "CC1001", "CurrAmount": 100,
                                                    "CurrVatAmount": 7.25})
    assert row.status_code == 201 and row.json()["RowNo"] == 1
    # Gross does not match net + VAT: Preliminary until it is fixed.
    assert ifs.get(path).json()["Objstate"] == "Preliminary"
    assert ifs.patch(path, {"GrossAmount": 107.25}, ifs.get(path).headers["ETag"]).status_code == 204
    assert ifs.get(path).json()["Objstate"] == "Balanced"
    assert ifs.sim.proposal_counts() == {"bw-1": 1}
    wrong = ifs.post(OLD_INVOICES, {"Company": "10", "Identity": "10001", "InvoiceNo": "X"})
    assert wrong.status_code == 400 and "Identity" in str(error_of(wrong))


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown IFS profile 'ifs-7' \(known: ifs-apps10, ifs-cloud\)"):
        names_for("ifs-7")
