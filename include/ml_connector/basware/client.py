"""Basware P2P API client: accounting documents, vendors, master data, request status, webhooks."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from pydantic import SecretStr

from ml_connector.basware.chunking import MAX_REQUEST_BYTES, chunk_records, encode
from ml_connector.basware.models import AckResult, RequestStatus, UpsertResult
from ml_connector.http.classify import Action
from ml_connector.http.errors import ProtocolError, RecordError
from ml_connector.http.paging import ContinuationHeaderPager, PageRequest, paginate
from ml_connector.http.redact import register_secret
from ml_connector.http.request_ids import RequestIdHeader, response_request_id
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.session import ApiSession
from ml_connector.http.tokens import BaswareTokenSource, TokenManager
from ml_connector.http.urls import resolve

log = logging.getLogger(__name__)

DOCUMENTS_PAGE_MAX = 100
LIST_PAGE_MAX = 500
VENDORS_PER_CALL = 200
MASTER_DATA_PER_CALL = 500
MESSAGE_MAX = 250
EXTERNAL_CODE_MAX = 36
MAX_REDIRECTS = 3
DEFAULT_SCOPES = (
    "accountingDocuments.read accountingDocuments.write vendors.read vendors.write accounts.write "
    "costCenters.write lists.write requestStatus.read requestStatus.write subscriptions.write tasks.read"
)
_LIST_KEY = re.compile(r"^ACC_LIST_([1-9]|[12][0-9]|3[0-5])$")
# Keys under which a list answer may wrap its records (tolerant reading).
_LIST_KEYS = ("accountingDocuments", "vendors", "requestStatus", "tasks", "items", "value", "data")
_EMPTY = {404: Action.IGNORE}  # Basware: 404 on a read means "no records"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


class BaswareClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str | SecretStr,
        scopes: Sequence[str] | str = DEFAULT_SCOPES,
        *,
        request_id_header: str = "X-BW-REQUEST-ID",
        timeout: float | tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        token_manager: TokenManager | None = None,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        http = session or requests.Session()
        retry = retry or RetryPolicy()
        self.tokens = token_manager or TokenManager(
            BaswareTokenSource(base_url, client_id, client_secret, scopes, session=http, retry=retry,
                               request_id_header=request_id_header),
            name=f"basware:{client_id}",
        )
        self.max_request_bytes = max_request_bytes
        self.api = ApiSession(
            base_url,
            tokens=self.tokens,
            retry=retry,
            timeout=timeout,
            headers={"Accept": "application/json"},
            request_hooks=[RequestIdHeader(request_id_header)],
            request_id_header=request_id_header,
            # Master-data POSTs overwrite by key and a second acknowledge answers 405, so resending
            # after an ambiguous failure is safe; transferResponses and subscriptions opt out below.
            replay_safe_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"}),
            session=http,
            sleep=sleep,
            name="basware",
        )

    def __repr__(self) -> str:
        return f"BaswareClient(base_url={self.api.base_url!r})"

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> BaswareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- accounting documents -------------------------------------------------------------------

    def iter_accounting_documents(
        self,
        status: str = "WaitingForTransfer",
        company_code: str | None = None,
        last_updated: datetime | str | None = None,
        page_size: int = DOCUMENTS_PAGE_MAX,
        processing_mode: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Documents in `status`, page by page (one page in memory)."""
        if not 1 <= page_size <= DOCUMENTS_PAGE_MAX:
            raise ValueError(f"page_size must be 1..{DOCUMENTS_PAGE_MAX}")
        params: dict[str, Any] = {"ProcessingStatus": status, "pageSize": page_size}
        if company_code:
            params["companyCode"] = company_code
        if last_updated:
            params["lastUpdated"] = _iso(last_updated)
        if processing_mode:
            params["p2pProcessingMode"] = processing_mode
        yield from self._iter_list("/v1/accountingDocuments", params)

    def get_accounting_document(self, invoice_id: str) -> dict[str, Any] | None:
        """One document, or None when Basware has no such document."""
        resp = self._get(f"/v1/accountingDocuments/{_seg(invoice_id)}", {}, {})
        if resp.status_code == 404:
            return None
        items = _items(_json(resp), single=True)
        return items[0] if items else None

    def acknowledge(self, invoice_id: str) -> AckResult:
        resp = self.api.send(
            "POST", f"/v1/accountingDocuments/{_seg(invoice_id)}/acknowledge",
            headers=JSON, overrides={405: Action.IGNORE}, record_id=invoice_id,
        )
        if resp.status_code == 405:
            log.info("Invoice %s was already acknowledged", invoice_id)
            return AckResult.ALREADY_ACKNOWLEDGED
        return AckResult.ACKNOWLEDGED

    def transfer_response(
        self,
        invoice_id: str,
        *,
        external_code: str,
        success: bool,
        message: str = "",
        voucher_number1: str | None = None,
        voucher_number2: str | None = None,
        payment_block: bool | None = None,
        source_system: str | None = "IFS Cloud",
        transfer_date: datetime | None = None,
    ) -> str | None:
        """Report the ERP outcome; returns Basware's request id."""
        if not external_code or len(external_code) > EXTERNAL_CODE_MAX:
            raise ValueError(f"external_code must be 1..{EXTERNAL_CODE_MAX} characters")
        body: dict[str, Any] = {
            "externalCode": external_code,
            "success": success,
            "responseMessage": truncate(message, MESSAGE_MAX),
            "transferDate": _iso(transfer_date or datetime.now(UTC)),
        }
        optional = {"voucherNumber1": voucher_number1, "voucherNumber2": voucher_number2,
                    "paymentBlock": payment_block, "sourceSystem": source_system}
        body.update({k: v for k, v in optional.items() if v is not None})
        # Not replay-safe: a resend after an unseen success is refused as "already transferred".
        resp = self.api.send(
            "POST", f"/v1/accountingDocuments/{_seg(invoice_id)}/transferResponses",
            json=body, headers=JSON, replay_safe=False, record_id=invoice_id,
        )
        return _request_id(resp)

    # --- vendors and master data ----------------------------------------------------------------

    def upsert_vendors(self, vendors: Iterable[Mapping[str, Any]]) -> UpsertResult:
        return self._post_chunked("/v1/vendors", vendors, VENDORS_PER_CALL)

    def patch_vendor(self, external_code: str, changes: Mapping[str, Any]) -> str | None:
        resp = self.api.send(
            "PATCH", f"/v1/vendors/{_seg(external_code)}", data=encode(dict(changes)),
            headers=JSON, record_id=external_code,
        )
        return _request_id(resp)

    def iter_vendors(
        self, page_size: int = 500, last_updated: datetime | str | None = None
    ) -> Iterator[dict[str, Any]]:
        if not 1 <= page_size <= LIST_PAGE_MAX:
            raise ValueError(f"page_size must be 1..{LIST_PAGE_MAX}")
        params: dict[str, Any] = {"pageSize": page_size}
        if last_updated:
            params["lastUpdated"] = _iso(last_updated)
        yield from self._iter_list("/v1/vendors", params)

    def upsert_accounts(self, accounts: Iterable[Mapping[str, Any]]) -> UpsertResult:
        return self._post_chunked("/v1/accounts", accounts, MASTER_DATA_PER_CALL)

    def upsert_cost_centers(self, cost_centers: Iterable[Mapping[str, Any]]) -> UpsertResult:
        return self._post_chunked("/v1/costCenters", cost_centers, MASTER_DATA_PER_CALL)

    def upsert_list(self, list_key: str, items: Iterable[Mapping[str, Any]]) -> UpsertResult:
        if not _LIST_KEY.match(list_key):
            raise ValueError(f"list key must be ACC_LIST_1..ACC_LIST_35, not {list_key!r}")
        return self._post_chunked(f"/v1/lists/{list_key}", items, MASTER_DATA_PER_CALL)

    # --- asynchronous request status ------------------------------------------------------------

    def request_status(self, request_id: str) -> RequestStatus | None:
        """The fate of one POST; None while Basware does not know the request yet (404)."""
        resp = self.api.send("GET", f"/v1/requestStatus/{_seg(request_id)}", overrides=_EMPTY)
        if resp.status_code == 404:
            return None
        entries = _items(_json(resp), single=True)
        return RequestStatus.model_validate(entries[0]) if entries else None

    def iter_request_errors(
        self, status: str = "Error", entity_type: str | None = None, page_size: int = 500
    ) -> Iterator[RequestStatus]:
        """Requests whose business errors arrived after the 200 (not yet acknowledged)."""
        params: dict[str, Any] = {"status": status, "pageSize": page_size}
        if entity_type:
            params["entityType"] = entity_type
        for item in self._iter_list("/v1/requestStatus", params):
            yield RequestStatus.model_validate(item)

    def acknowledge_request_errors(self, request_ids: Sequence[str]) -> None:
        """Mark read errors so they are not offered again (405 = already acknowledged: fine)."""
        if request_ids:
            self.api.send("POST", "/v1/requestStatus/acknowledge", json={"requestIds": list(request_ids)},
                          headers=JSON, overrides={405: Action.IGNORE})

    def wait_for_requests(
        self,
        request_ids: Iterable[str],
        *,
        timeout: float = 300.0,
        poll_interval: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> dict[str, RequestStatus | None]:
        """Poll until every request has a final status or `timeout` passes; returns the last seen."""
        latest: dict[str, RequestStatus | None] = {rid: None for rid in request_ids}
        deadline = clock() + timeout
        while True:
            for rid, seen in latest.items():
                if seen is None or not seen.is_final:
                    latest[rid] = self.request_status(rid)
            pending = [rid for rid, s in latest.items() if s is None or not s.is_final]
            if not pending or clock() + poll_interval > deadline:
                if pending:
                    log.warning("%d Basware request(s) still not final after %.0fs", len(pending), timeout)
                return latest
            sleep(poll_interval)

    # --- webhooks and tasks ---------------------------------------------------------------------

    def create_subscription(
        self,
        webhook_url: str,
        authentication_token: str | SecretStr,
        *,
        task_type: str = "AccountingDocuments",
        task_sub_type: str = "WaitingForTransfer",
        subscription_type: str = "Webhook",
    ) -> Any:
        token = authentication_token.get_secret_value() if isinstance(authentication_token, SecretStr) \
            else authentication_token
        register_secret(token)
        body = [{"taskType": task_type, "taskSubType": task_sub_type, "subscriptionType": subscription_type,
                 "notificationWebhookURL": webhook_url, "webhookAuthenticationToken": token}]
        resp = self.api.send("POST", "/v1/subscriptions", json=body, headers=JSON, replay_safe=False)
        return _json(resp) if resp.content else None

    def list_tasks(self) -> list[dict[str, Any]]:
        return list(self._iter_list("/v1/tasks", {}))

    # --- plumbing -------------------------------------------------------------------------------

    def _iter_list(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        def fetch(req: PageRequest) -> tuple[requests.Response, Any]:
            resp = self._get(req.url, req.params, req.headers)
            return resp, (None if resp.status_code == 404 else _json(resp))

        for _resp, payload in paginate(fetch, ContinuationHeaderPager(), PageRequest(path, params)):
            yield from _items(payload)

    def _get(self, path: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> requests.Response:
        """GET that follows Basware's redirect to a pre-signed URL without our credentials."""
        resp = self.api.send("GET", path, params=params, headers=headers, overrides=_EMPTY)
        hops: list[requests.Response] = []
        while resp.is_redirect:
            if len(hops) >= MAX_REDIRECTS:
                raise ProtocolError(f"more than {MAX_REDIRECTS} redirects for {path}")
            hops.append(resp)
            target = resolve(resp.url, resp.headers["Location"])
            resp = self.api.send("GET", target, external=True, overrides=_EMPTY)
        resp.history = hops  # the continuation token may ride on the redirect
        return resp

    def _post_chunked(self, path: str, records: Iterable[Mapping[str, Any]], per_call: int) -> UpsertResult:
        result = UpsertResult()
        for chunk in chunk_records(records, max_count=per_call, max_bytes=self.max_request_bytes):
            if chunk.oversized:
                code = str(chunk.records[0].get("externalCode") or "") or None
                result.rejected.append(RecordError(
                    f"record alone is {len(chunk.body)} bytes, over the {self.max_request_bytes} limit",
                    record_id=code))
                continue
            resp = self.api.send("POST", path, data=chunk.body, headers=JSON)
            result.sent += len(chunk.records)
            rid = _request_id(resp)
            if rid:
                result.request_ids.append(rid)
            log.info("Posted %d record(s) to %s request_id=%s", len(chunk.records), path, rid)
        return result


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _iso(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # our timestamps are UTC; naive ones come from UTC clocks
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise ProtocolError.from_response(resp, "expected a JSON body") from None


def _items(payload: Any, *, single: bool = False) -> list[dict[str, Any]]:
    """Records from an answer, whether a bare list or wrapped in an object (or one record if `single`)."""
    if payload is None:
        return []
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, dict)]
    if isinstance(payload, dict):
        for key in _LIST_KEYS:
            value = payload.get(key)
            if isinstance(value, list):
                return [p for p in value if isinstance(p, dict)]
        if single:
            return [payload]
    raise ProtocolError(f"unexpected JSON {type(payload).__name__} in a list answer")


def _request_id(resp: requests.Response) -> str | None:
    try:
        body = resp.json() if resp.content else None
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("requestId"):
        return str(body["requestId"])
    return response_request_id(resp)
