"""The floor: a bare script doing only the calls moving invoices cannot avoid, with plain `requests`.

No framework: no state store, no ledger, no retries, no throttle, no token manager; one
`requests.Session` per system and a thread pool of `concurrency` workers. Per run: a token per
system, Basware's document pages (and their pre-signed redirects), the IFS suppliers check (40 ids a
query) and, for suppliers IFS lacks, the Basware vendors and one create + one company link each. Per
page of 40 invoices one proposal look-up; per invoice one `$batch` change set (header and rows),
an acknowledge and a transfer response. The bodies come from the product's pure functions (mapping,
field map, supplier body) and its code-part catalog, loaded before the clock starts, so that the
floor creates exactly the proposals the product does.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urljoin

import requests

PAGE = 40
CRLF = "\r\n"


class _BaswareSession(requests.Session):
    """Basware wants a request id on every call."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["headers"] = {**(kwargs.get("headers") or {}), "X-BW-REQUEST-ID": str(uuid.uuid4())}
        return super().request(method, url, *args, **kwargs)


def _token(session: requests.Session, url: str, **kwargs: Any) -> str:
    resp = session.post(url, timeout=30, **kwargs)
    if not resp.ok:
        raise RuntimeError(f"token {resp.status_code}: {resp.text[:300]}")
    return str(resp.json()["access_token"])


def _documents(session: requests.Session, base: str) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    token = None
    while True:
        headers: dict[str, str] = {"x-amz-meta-continuationtoken": token} if token else {}
        resp = session.get(f"{base}/v1/accountingDocuments", params={"ProcessingStatus": "WaitingForTransfer",
                           "pageSize": "100"}, headers=headers, allow_redirects=False, timeout=60)
        token = resp.headers.get("X-amz-meta-continuationToken")
        if resp.is_redirect:  # the page itself is behind a pre-signed URL: no credentials go there
            resp = requests.get(urljoin(resp.url, resp.headers["Location"]), timeout=60)
            token = token or resp.headers.get("X-amz-meta-continuationToken")
        resp.raise_for_status()
        docs += resp.json()["accountingDocuments"]
        if not token:
            return docs


def _or(name: str, values: list[str]) -> str:
    return " or ".join(f"{name} eq '{v}'" for v in values)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _change_set(header: dict[str, Any], rows: list[dict[str, Any]], entity_set: str, nav: str) -> tuple[str, str]:
    outer, inner = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    parts = [("POST", entity_set, header), *(("POST", f"$1/{nav}", r) for r in rows)]
    chunks = [f"--{inner}{CRLF}Content-Type: application/http{CRLF}Content-Transfer-Encoding: binary{CRLF}"
              f"Content-ID: {n}{CRLF}{CRLF}{method} {url} HTTP/1.1{CRLF}Content-Type: application/json{CRLF}{CRLF}"
              f"{json.dumps(body, default=_plain)}{CRLF}" for n, (method, url, body) in enumerate(parts, start=1)]
    body = (f"--{outer}{CRLF}Content-Type: multipart/mixed; boundary={inner}{CRLF}{CRLF}" + "".join(chunks)
            + f"--{inner}--{CRLF}{CRLF}--{outer}--{CRLF}")
    return body, f"multipart/mixed; boundary={outer}"


def prepare(creds: dict[str, Any]) -> tuple[Any, Any]:
    """The demo tenant and its code-part catalog, for the bodies (before the clock; clear the request
    log after this: these calls are not the floor's)."""
    from ml_connector.config import DEFAULT_CONFIG, load_config
    from ml_connector.connection_settings import IfsConnection
    from ml_connector.sync.catalog import load_catalog

    tenant = load_config(DEFAULT_CONFIG).tenant("demo")
    ifs = creds["ifs"]
    with IfsConnection(host=ifs["base_url"], realm=ifs["realm"], client_id=ifs["client_id"],
                       client_secret=ifs["client_secret"]).build_client() as setup:
        return tenant, load_catalog(setup, tenant.companies.values())


def run_floor(creds: dict[str, Any], prepared: tuple[Any, Any], concurrency: int) -> dict[str, Any]:
    """Moves every WaitingForTransfer invoice of the sandbox; returns seconds and invoices."""
    from ml_connector.basware.client import DEFAULT_SCOPES
    from ml_connector.sync.invoice_suppliers import supplier_body
    from ml_connector.sync.mapping import Rejection, map_document

    tenant, catalog = prepared
    bw, ifs = creds["basware"], creds["ifs"]
    fields = tenant.ifs.fields
    pp, sp = fields.posting_proposals, fields.suppliers
    ifs_root = f"{ifs['base_url']}/main/ifsapplications/projection/v1"
    started = time.perf_counter()
    b, i = _BaswareSession(), requests.Session()
    b.headers["Authorization"] = "Bearer " + _token(b, bw["token_url"], auth=(bw["client_id"], bw["client_secret"]),
                                                    data={"grant_type": "client_credentials",
                                                          "scope": DEFAULT_SCOPES})
    i.headers["Authorization"] = "Bearer " + _token(i, ifs["token_url"], data={
        "grant_type": "client_credentials", "client_id": ifs["client_id"], "client_secret": ifs["client_secret"]})
    i.headers["Accept"] = "application/json"
    drafts = [d for d in (map_document(doc, tenant, catalog) for doc in _documents(b, bw["base_url"]))
              if not isinstance(d, Rejection)]
    # Suppliers IFS lacks: created from the Basware vendor, with the company link.
    wanted = sorted({d.supplier_id for d in drafts})
    known: set[str] = set()
    for start in range(0, len(wanted), PAGE):
        resp = i.get(f"{ifs_root}/{sp.projection}.svc/{sp.entity_set}", timeout=60, params={
            "$filter": _or(sp.supplier_id, wanted[start:start + PAGE]), "$select": sp.supplier_id})
        known |= {str(r[sp.supplier_id]) for r in resp.json()["value"]}
    missing = {d.supplier_id: d.company for d in drafts if d.supplier_id not in known}
    if missing:
        vendors: dict[str, dict[str, Any]] = {}
        token = None
        while True:
            resp = b.get(f"{bw['base_url']}/v1/vendors", params={"pageSize": 500}, timeout=60,
                         headers={"x-amz-meta-continuationtoken": token} if token else {})
            for v in resp.json()["vendorEntities"]:
                vendors.setdefault(str(v.get("vendorCode")), v)
            if not (token := resp.headers.get("X-amz-meta-continuationToken")):
                break
        for supplier, company in missing.items():
            if supplier in vendors:
                i.post(f"{ifs_root}/{sp.projection}.svc/{sp.entity_set}", timeout=60,
                       json=supplier_body(sp, supplier, vendors[supplier]))
                i.post(f"{ifs_root}/{sp.projection}.svc/{sp.entity_set}(SupplierId='{quote(supplier)}')/"
                       f"{sp.companies.navigation}", timeout=60, json={sp.companies.company: company})

    def one(draft: Any) -> None:
        header = {k: v for k, v in pp.header_body(draft.company, draft.header).items() if v is not None}
        rows = [{k: v for k, v in pp.row_body(r).items() if v is not None} for r in draft.rows]
        body, content_type = _change_set(header, rows, pp.entity_set, pp.rows.navigation)
        resp = i.post(f"{ifs_root}/{pp.projection}.svc/$batch", data=body.encode(), timeout=60,
                      headers={"Content-Type": content_type, "Accept": "multipart/mixed"})
        if not resp.ok or "HTTP/1.1 201" not in resp.text:
            raise RuntimeError(f"floor: proposal for {draft.invoice_id} not created: {resp.text[:300]}")
        doc = f"{bw['base_url']}/v1/accountingDocuments/{quote(draft.invoice_id, safe='')}"
        b.post(f"{doc}/acknowledge", timeout=60)
        b.post(f"{doc}/transferResponses", timeout=60, json={
            "externalCode": str(uuid.uuid4()), "success": True, "responseMessage": "Transferred",
            "transferDate": datetime.now(UTC).isoformat(), "paymentBlock": False})

    with ThreadPoolExecutor(concurrency) as pool:
        for start in range(0, len(drafts), PAGE):
            page = drafts[start:start + PAGE]
            companies, refs = sorted({d.company for d in page}), [d.invoice_id for d in page]
            i.get(f"{ifs_root}/{pp.projection}.svc/{pp.entity_set}", timeout=60, params={
                "$filter": f"({_or(pp.company, companies)}) and ({_or(pp.external_ref, refs)})"})
            list(pool.map(one, page))
    return {"seconds": time.perf_counter() - started, "invoices": len(drafts)}
