"""Paging over real HTTP: Basware continuation headers, IFS nextLink at the server limit and at a small
one, client $top/$skip with a stable order, and Basware's 404 meaning "no records"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ml_connector.ifs.odata import F, Query
from mlc_sandbox.runner import Sandbox, SandboxOptions

from .support import SUPPLIERS, admin, bw_client, entries, ifs_client

SUPPLIER_SET = "/main/ifsapplications/projection/v1/SupplierHandling.svc/SupplierInfoGeneralSet"
MANY = 12_000


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    """12,000 IFS suppliers (read-only use: tests here only page) and 250 Basware invoices."""
    with Sandbox(SandboxOptions(invoices=250, suppliers=MANY)) as running:
        yield running
        running.basware.close()


@pytest.fixture
def ifs_log(big: Sandbox) -> Iterator[None]:
    admin(big.ifs_url, "DELETE", "/ifs/requests")
    yield
    admin(big.ifs_url, "PATCH", "/ifs/settings", {"page_limit": 5000})


def _supplier_pages(sb: Sandbox) -> list[dict[str, object]]:
    return entries(sb.ifs.requests(), "GET", SUPPLIER_SET)


def test_basware_documents_through_continuation_header(big: Sandbox) -> None:
    client = bw_client(big)
    docs = list(client.documents.iter(page_size=100))

    ids = [d["invoiceId"] for d in docs]
    assert len(ids) == len(set(ids)) == 250
    assert set(ids) == {big.dataset.invoice_id(i) for i in range(250)}
    pages = entries(big.basware.request_log, "GET", "/v1/accountingDocuments")
    assert len(pages) >= 3
    assert all(e["status"] == 302 for e in pages)
    # The page sequence is oldest first and each page continues where the last one ended.
    stamps = [d["lastUpdated"] for d in docs]
    assert stamps == sorted(stamps)


def test_ifs_next_link_at_the_5000_limit(big: Sandbox, ifs_log: None) -> None:
    rows = list(ifs_client(big).reads.iter(*SUPPLIERS, Query(select=("SupplierId", "Name"))))
    assert len(rows) == len({r["SupplierId"] for r in rows}) == MANY
    pages = _supplier_pages(big)
    assert len(pages) == 3  # 5000 + 5000 + 2000
    assert "skiptoken" not in pages[0]["query"] and all("skiptoken" in p["query"] for p in pages[1:])


def test_ifs_next_link_at_a_small_server_limit(big: Sandbox, ifs_log: None) -> None:
    admin(big.ifs_url, "PATCH", "/ifs/settings", {"page_limit": 997})
    query = Query(select=("SupplierId",), orderby=("SupplierId",))
    rows = list(ifs_client(big).reads.iter(*SUPPLIERS, query))
    ids = [r["SupplierId"] for r in rows]
    assert len(ids) == len(set(ids)) == MANY and ids == sorted(ids)
    assert len(_supplier_pages(big)) == -(-MANY // 997)


def test_ifs_client_page_size_below_the_server_limit(big: Sandbox, ifs_log: None) -> None:
    rows = list(ifs_client(big, max_page_size=1500).reads.iter(*SUPPLIERS, Query(select=("SupplierId",))))
    assert len({r["SupplierId"] for r in rows}) == MANY
    assert len(_supplier_pages(big)) == 8


def test_ifs_top_skip_client_paging_with_stable_order(big: Sandbox, ifs_log: None) -> None:
    query = Query(select=("SupplierId",), orderby=("SupplierId",))
    rows = list(ifs_client(big).reads.iter(*SUPPLIERS, query, client_paging=True, page_size=2500))
    ids = [r["SupplierId"] for r in rows]
    assert len(ids) == len(set(ids)) == MANY and ids == sorted(ids)
    pages = _supplier_pages(big)
    assert len(pages) == 5  # 4 full pages and a short one that ends the loop
    assert all("%24top=2500" in p["query"] or "$top=2500" in p["query"] for p in pages)
    with pytest.raises(ValueError, match="orderby"):
        next(ifs_client(big).reads.iter(*SUPPLIERS, client_paging=True))


def test_ifs_filtered_read_pages_only_matching_rows(big: Sandbox, ifs_log: None) -> None:
    query = Query(filter=F("SupplierId").ge("21000") & F("Country").eq("SE"), orderby=("SupplierId",))
    rows = list(ifs_client(big, max_page_size=100).reads.iter(*SUPPLIERS, query))
    assert rows and all(r["SupplierId"] >= "21000" and r["Country"] == "SE" for r in rows)
    expected = [s for s in big.dataset.ifs_suppliers if s.supplier_id >= "21000" and s.country == "SE"]
    assert len(rows) == len(expected)


def test_basware_404_on_a_list_is_an_empty_result(big: Sandbox) -> None:
    client = bw_client(big)
    assert list(client.documents.iter(status="Transferred")) == []
    assert list(client.request_status.iter_errors()) == []
    assert client.documents.get("00000000-0000-4000-8000-000000000000") is None
    statuses = [e["status"] for e in big.basware.request_log if e["path"].startswith("/v1/") and
                e["method"] == "GET" and "tokens" not in e["path"]]
    assert statuses[-3:] == [404, 404, 404]
