"""Exactly once when a worker dies between steps, or an answer from IFS is lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ml_connector.state import Status
from mlc_sandbox.faults import FaultRule

from .support import Env, demo_tenant, make_env


@pytest.fixture
def mode_env(tmp_path: Path, mode: str) -> Iterator[Env]:
    """`env` with the tenant's IFS write mode set to the test's `mode` parameter."""
    tenant = demo_tenant()
    yield from make_env(tmp_path, tenant=tenant.model_copy(
        update={"ifs": tenant.ifs.model_copy(update={"write_mode": mode})}))


class Killed(BaseException):
    """The worker process dies here (not an Exception: nothing in the flow may catch it)."""


class Crashing:
    """Delegates to `inner`; `method` dies before or after doing its work, once.

    A dotted `method` ("documents.acknowledge") reaches through one of the client's resources.
    """

    def __init__(self, inner: Any, method: str, when: str, match: Any = None) -> None:
        self.inner, self.method, self.when, self.match, self.fired = inner, method, when, match, False
        self.resource: Crashing | None = None

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        head, _, rest = self.method.partition(".")
        if rest and name == head:
            if self.resource is None:  # kept, so it fires once however often the flow looks it up
                self.resource = Crashing(attr, rest, self.when, self.match)
            return self.resource
        if name != self.method:
            return attr

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            hit = not self.fired and (self.match is None or self.match in args)
            if hit and self.when == "before":
                self.fired = True
                raise Killed(name)
            result = attr(*args, **kwargs)
            if hit:
                self.fired = True
                raise Killed(name)
            return result

        return wrapped


CRASH_POINTS = [
    ("store", "advance", "before", Status.PROPOSAL_CREATED),  # created in IFS, not yet in the ledger
    ("basware", "documents.acknowledge", "after", None),  # acknowledged, ledger still says proposal_created
    ("basware", "documents.transfer_response", "before", None),  # acknowledged and recorded, not reported
    ("basware", "documents.transfer_response", "after", None),  # reported, ledger not yet reported
]


@pytest.mark.parametrize(("target", "method", "when", "match"), CRASH_POINTS,
                         ids=[f"{m.rpartition('.')[2]}-{w}" for _, m, w, _ in CRASH_POINTS])
def test_kill_and_rerun_ends_with_exactly_one_proposal(env: Env, target: str, method: str, when: str,
                                                      match: Any) -> None:
    extracted = env.extract("run-killed")
    wrapped = Crashing(getattr(env, target), method, when, match)
    with pytest.raises(Killed):
        env.process(extracted, **{target: wrapped})
    assert env.store.get_watermark(env.tenant_id, "invoices") is None

    result = env.run()
    assert result["state"] == "success" and result["watermark"]["moved"]
    proposals = env.proposals()  # asserts no duplicate external reference
    assert len(proposals) == 12
    for invoice_id in proposals:
        assert env.document(invoice_id)["processingStatus"] == "Transferred"
        assert env.status(invoice_id) is Status.REPORTED
    assert all(t["match"] for t in result["control_totals"])
    assert len(env.header_creates()) == 12  # the rerun looked the killed invoice's proposal up instead of posting again
    if target == "store":
        assert result["counts"]["unchanged"] == 1


@pytest.mark.parametrize(("mode", "path"), [("per_entity", r"/ManSuppInvoiceSet$"),
                                            ("per_entity", r"/ManSuppInvoicePostingsArray$"),
                                            ("batch", r"/\$batch$")], ids=["header", "row", "batch"])
def test_lost_answer_to_an_applied_post_creates_no_duplicate(mode_env: Env, mode: str, path: str) -> None:
    # Applied in IFS, and the connector sees a 504: it looks the proposal up and creates nothing twice.
    env = mode_env
    env.sb.injector.add(FaultRule(kind="status_after", system="ifs", method="POST", path=path, status=504,
                                  skip=3, times=1))
    result = env.run()
    assert [e["kind"] for e in env.sb.injector.log] == ["status_after"]
    assert result["counts"]["created"] == 12 and result["counts"]["deferred"] == 0
    assert len(env.proposals()) == 12  # and no external reference twice
    for invoice_id, proposal in env.proposals().items():
        doc = env.document(invoice_id)["document"]
        assert len(proposal["rows"]) == len(doc["codingRows"]) and proposal["Objstate"] == "Balanced"


@pytest.mark.parametrize(("mode", "path"), [("per_entity", r"/ManSuppInvoiceSet$"), ("batch", r"/\$batch$")])
def test_unanswered_post_is_deferred_and_the_watermark_waits(mode_env: Env, mode: str, path: str) -> None:
    # A 504 that did NOT apply: IFS does not show the proposal, so it is left for the next run.
    env = mode_env
    env.sb.injector.add(FaultRule(kind="status", system="ifs", method="POST", path=path,
                                  status=504, skip=2, times=1))
    first = env.run()
    assert first["counts"]["deferred"] == 1 and first["counts"]["created"] == 11
    assert first["state"] == "partial" and not first["watermark"]["moved"]
    assert "not final yet" in first["watermark"]["reason"]
    second = env.run()
    assert second["counts"]["created"] == 1 and second["state"] == "success" and second["watermark"]["moved"]
    assert len(env.proposals()) == 12
