"""Helpers for the invoice-flow integration tests: both simulators, real clients, a real state store."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_connector.basware.client import BaswareClient
from ml_connector.config import TenantConfig, load_config
from ml_connector.field_map import IfsFieldMap
from ml_connector.http.retry import RetryPolicy
from ml_connector.ifs.client import IfsClient
from ml_connector.state import StateStore, Status
from ml_connector.sync import invoices
from ml_connector.sync.context import TenantContext
from ml_connector.sync.flow import Stage
from mlc_sandbox.runner import Sandbox, SandboxOptions

FAST = RetryPolicy(max_attempts=4, max_total_seconds=10.0, initial_wait=0.0, max_wait=0.0, jitter=0.0)
SETTLE = (0.0,)


def demo_tenant() -> TenantConfig:
    return load_config().tenant("demo")  # the demo tenant's companies and code parts match the sandbox


@dataclass
class Env:
    sb: Sandbox
    basware: BaswareClient
    ifs: IfsClient
    store: StateStore
    tenant: TenantConfig
    staging: Path
    runs: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def tenant_id(self) -> str:
        return self.tenant.tenant_id

    def context(self, run_id: str, **override: Any) -> TenantContext:
        parts = {"basware": self.basware, "ifs": self.ifs, "store": self.store, **override}
        return TenantContext(tenant=self.tenant, run_id=run_id, settle=SETTLE, **parts)

    def extract(self, run_id: str, **kw: Any) -> dict[str, Any]:
        return invoices.extract(self.context(run_id), self.staging, batch_size=kw.pop("batch_size", 5), **kw)

    def process(self, extracted: dict[str, Any], **override: Any) -> list[dict[str, Any]]:
        """Each batch in one go: every stage in order for each invoice (InvoiceFlow.run)."""
        ctx = self.context(extracted["run_id"], **override)
        return [invoices.process_batch(ctx, self.staging, ref) for ref in extracted["batches"]]

    def process_staged(self, extracted: dict[str, Any]) -> list[dict[str, Any]]:
        """As the DAG does: each batch through the stages one at a time, counts carried forward."""
        ctx = self.context(extracted["run_id"])
        results = []
        for ref in extracted["batches"]:
            result: dict[str, Any] = ref
            for stage in Stage:
                result = invoices.process_batch(ctx, self.staging, result, stage=stage)
            results.append(result)
        return results

    def finalize(self, extracted: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
        return invoices.finalize(self.context(extracted["run_id"]), extracted, results)

    def run(self, **kw: Any) -> dict[str, Any]:
        extracted = self.extract(f"run-{next(self.runs)}", **kw)
        return self.finalize(extracted, self.process(extracted))

    def replay(self, invoice_id: str | None = None) -> dict[str, Any]:
        return invoices.replay(self.context(f"replay-{next(self.runs)}"), invoice_id)

    # -- what the systems hold ------------------------------------------------------------------------
    def proposals(self) -> dict[str, dict[str, Any]]:
        """Proposals by their external reference (the Basware invoice id); fails on a duplicate."""
        assert self.sb.ifs.duplicate_proposals() == {}
        return {p[self.names.posting_proposals.external_ref]: p for p in self.sb.ifs.proposals()}

    def header_creates(self) -> list[dict[str, Any]]:
        """Proposal headers IFS answered 201 to: plain POSTs and POSTs inside a $batch change set."""
        entity_set = self.names.posting_proposals.entity_set
        return [r for r in self.sb.ifs.requests() if r["method"] == "POST" and r["status"] == 201
                and (r["path"].endswith(f"/{entity_set}") or (r.get("batch") and r["path"] == entity_set))]

    @property
    def names(self) -> IfsFieldMap:
        """The IFS names of the tenant's field map (the simulator serves the matching profile)."""
        return self.ifs.fields

    def document(self, invoice_id: str) -> dict[str, Any]:
        return self.sb.basware.document_state(invoice_id)

    def status(self, invoice_id: str) -> Status | None:
        entry = self.store.get_invoice(self.tenant_id, invoice_id)
        return entry.status if entry else None

    def add_document(self, index: int = 900, **changes: Any) -> str:
        """A new WaitingForTransfer document built from the seed, with `changes` applied."""
        doc = self.sb.dataset.invoice(index)
        doc["invoiceId"] = str(uuid.uuid4())
        doc.update(changes)
        return self.sb.basware.ctx.documents.add_documents([doc])[0]

    def add_code_part_value(self, company: str, letter: str, value: str) -> None:
        """A new value of code part `letter` in IFS, created through the API in the tenant's names."""
        cv = self.names.code_part_values
        self.ifs.writes.create(cv.projection, cv.entity_set, {cv.values[letter]: value, "Description": "New"},
                               keys={cv.company: company}, navigation=cv.navigations[letter])

    def waiting(self) -> list[str]:
        return [d["invoiceId"] for d in self.basware.documents.iter()]


def make_env(tmp_path: Path, store_url: str | None = None, tenant: TenantConfig | None = None,
             **options: Any) -> Iterator[Env]:
    """`tenant` (default: the demo tenant) brings the IFS field map the client uses."""
    tenant = tenant or demo_tenant()
    opts = SandboxOptions(**{"invoices": 12, "suppliers": 40, **options})
    with Sandbox(opts) as sb:
        creds = sb.credentials()
        bw, ifs_creds = creds["basware"], creds["ifs"]
        basware = BaswareClient(bw["base_url"], bw["client_id"], bw["client_secret"], retry=FAST)
        ifs = IfsClient(sb.ifs_url, ifs_creds["realm"], ifs_creds["client_id"], ifs_creds["client_secret"],
                        retry=FAST, conflict_retry=RetryPolicy.no_wait(5), fields=tenant.ifs.fields)
        store = StateStore(store_url or f"sqlite:///{tmp_path / 'state.db'}")
        store.migrate()
        staging = tmp_path / "staging"
        try:
            yield Env(sb, basware, ifs, store, tenant, staging)
        finally:
            basware.close()
            ifs.close()
            store.dispose()
            sb.basware.close()
