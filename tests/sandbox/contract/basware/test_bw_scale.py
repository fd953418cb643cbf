"""100,000 invoices: the continuation-header paging stays correct and fast."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import Api, when
from mlc_sandbox.basware import BaswareSimulator
from mlc_sandbox.seed import SeedConfig, build_dataset
from mlc_sandbox.server import serve

INVOICES = 100_000


@pytest.fixture(scope="module")
def big_api() -> Iterator[Api]:
    sim = BaswareSimulator(build_dataset(SeedConfig(invoices=INVOICES)))
    with serve(sim.app) as server:
        client = Api(sim, server.url, None)  # a timing test: the shapes are spec-checked everywhere else
        yield client
        client.http.close()
    sim.close()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_all_100k_invoices_page_through_in_order(big_api: Api) -> None:
    # How fast is for benchmarks/paging_memory.py to say, not for an assertion on a shared machine.
    docs = big_api.all_documents({"ProcessingStatus": "WaitingForTransfer", "pageSize": 100})
    assert len(docs) == INVOICES
    assert len({d["invoiceId"] for d in docs}) == INVOICES
    keys = [(when(d["lastUpdated"]), d["invoiceId"]) for d in docs]
    assert keys == sorted(keys)
