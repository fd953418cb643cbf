"""No client secret and no access token in any log record (DEBUG, urllib3 included), any exception
or any repr, after a workload that goes through every failure path the clients have."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ml_connector.http.errors import MlConnectorError
from ml_connector.http.tokens import TokenManager
from mlc_sandbox.runner import Sandbox

from .support import SUPPLIERS, add_fault, bw_client, ifs_client

WRONG_SECRET = "Wr0ng-but-still-secret-0815"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [item.__cause__, item.__context__]


def _texts_of(exc: BaseException) -> Iterator[str]:
    for item in _chain(exc):  # suppressed contexts too: a later `raise ... from e` would show them
        yield str(item)
        yield repr(item)
        yield repr(vars(item))
    yield "".join(traceback.format_exception(exc))


def _held_token(tokens: TokenManager) -> str | None:
    # Test-only peek: the Basware simulator keeps no issued tokens, so take them from the manager.
    held = tokens._held
    return held.value.get_secret_value() if held else None


def test_no_secret_or_token_in_logs_exceptions_or_reprs(
    sb: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    ifs, bw = ifs_client(sb, max_page_size=40), bw_client(sb)
    bad_ifs, bad_bw = ifs_client(sb, secret=WRONG_SECRET), bw_client(sb, secret=WRONG_SECRET)
    raised: list[BaseException] = []
    bw_tokens: set[str] = set()

    def step(fn: Callable[[], Any]) -> None:
        try:
            fn()
        except MlConnectorError as exc:
            raised.append(exc)
        token = _held_token(bw.tokens)
        if token:
            bw_tokens.add(token)

    # IFS: paging, a revocation mid-run, rate limits and gateway errors, conflicts, bad data, 404,
    # a 401 that survives the refresh, a dropped POST, and a wrong secret.
    add_fault(sb.ifs_url, kind="revoke_tokens", system="ifs", method="GET", path="SupplierInfoGeneralSet",
              skip=1, times=1)
    add_fault(sb.ifs_url, kind="status", status=429, retry_after=0, system="ifs", method="GET",
              path="SupplierInfoGeneralSet", skip=3, times=1)
    add_fault(sb.ifs_url, kind="status", status=503, system="ifs", method="GET", path="CompanySet", times=1)
    step(lambda: list(ifs.reads.iter(*SUPPLIERS)))
    step(lambda: list(ifs.reads.iter("CompanyHandling", "CompanySet")))
    add_fault(sb.ifs_url, kind="concurrent_write", system="ifs", method="PATCH")
    step(lambda: ifs.writes.update(*SUPPLIERS, {"SupplierId": "10002"}, {"Name": "never"}))
    step(lambda: ifs.writes.create(*SUPPLIERS, {"SupplierId": "90009", "Name": "Bad", "Country": "xx"}))
    step(lambda: ifs.reads.get(*SUPPLIERS, {"SupplierId": "NOPE"}))
    add_fault(sb.ifs_url, kind="drop", system="ifs", method="POST", times=1)
    step(lambda: ifs.writes.create(*SUPPLIERS, {"SupplierId": "90010", "Name": "Dropped"}))
    add_fault(sb.ifs_url, kind="expire_token", system="ifs", path="CompanySet")
    step(lambda: list(ifs.reads.iter("CompanyHandling", "CompanySet")))
    step(lambda: bad_ifs.reads.get(*SUPPLIERS, {"SupplierId": "10001"}))

    # Basware: paging through pre-signed pages, acknowledge and transfer, a revocation, a 504 on a
    # non-repeatable POST, a schema-invalid vendor, and a wrong secret.
    add_fault(sb.basware_url, kind="revoke_tokens", system="basware", path="^/v1/vendors$", times=1)
    docs: list[dict[str, Any]] = []
    step(lambda: docs.extend(bw.documents.iter(page_size=20)))
    step(lambda: bw.documents.acknowledge(docs[0]["invoiceId"]))
    step(lambda: list(bw.vendors.iter()))
    path = f"/v1/accountingDocuments/{docs[1]['invoiceId']}/transferResponses"
    add_fault(sb.basware_url, kind="status", status=504, system="basware", method="POST", path=path, times=1)
    step(lambda: bw.documents.transfer_response(docs[1]["invoiceId"], external_code="X1", success=False,
                                                message="no"))
    step(lambda: bw.vendors.upsert([{"externalCode": "V-BAD"}]))
    step(lambda: list(bad_bw.vendors.iter()))

    kinds = {type(e).__name__ for e in raised}
    assert {"ConflictError", "ValidationError", "NotFoundError", "OutcomeUnknownError",
            "AuthenticationError"} <= kinds, kinds
    assert sum(isinstance(e, MlConnectorError) and e.status == 401 for e in raised) >= 3

    # Every token the IFS simulator issued (its token service keeps them, live or revoked; no public
    # accessor), and the Basware ones seen by the manager above.
    ifs_tokens = set(sb.ifs.tokens._expiry) | set(sb.ifs.tokens._revoked)
    assert len(ifs_tokens) >= 2 and len(bw_tokens) >= 2
    creds = sb.credentials()
    secrets = {creds["ifs"]["client_secret"], creds["basware"]["client_secret"], WRONG_SECRET}
    secrets |= ifs_tokens | bw_tokens

    records = caplog.records
    assert any(r.name.startswith("urllib3") for r in records)  # DEBUG capture really on
    assert any(r.name == "ml_connector.http.session" and "Retrying" not in r.getMessage() for r in records)
    texts = [caplog.text]
    for record in records:
        texts += [record.getMessage(), repr(record.args), str(record.msg)]
        if record.exc_info and record.exc_info[1] is not None:
            texts += list(_texts_of(record.exc_info[1]))
    for exc in raised:
        texts += list(_texts_of(exc))
    for obj in (ifs, bw, bad_ifs, bad_bw):
        texts += [repr(obj), repr(obj.tokens), repr(obj.api), repr(obj.tokens._source)]
    leaks = sorted({s[:12] + "..." for s in secrets for t in texts if s in t})
    assert leaks == []
