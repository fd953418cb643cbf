"""Vendors: chunked upserts, one-vendor patches, and the paged vendor list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from ml_connector.basware.chunking import encode
from ml_connector.basware.models import UpsertResult
from ml_connector.basware.transport import JSON, BaswareTransport, iso, json_body, request_id, seg

LIST_PAGE_MAX = 500  # Basware's default is 100; we ask for full pages
VENDORS_PER_CALL = 200
LIST_KEY = "vendorEntities"  # GET /v1/vendors: {"vendorEntities": [...]}


class Vendors:
    def __init__(self, transport: BaswareTransport) -> None:
        self._t = transport

    def upsert(self, vendors: Iterable[Mapping[str, Any]]) -> UpsertResult:
        return self._t.post_chunked("/v1/vendors", vendors, VENDORS_PER_CALL)

    def patch(self, external_code: str, changes: Mapping[str, Any]) -> str | None:
        """PATCH one vendor; the spec's body is a whole VendorEntity (externalCode, vendorCode, name,
        companies), so send the full record, not a diff."""
        resp = self._t.api.send(
            "PATCH", f"/v1/vendors/{seg(external_code)}", data=encode(dict(changes)),
            headers=JSON, record_id=external_code,
        )
        return request_id(resp)

    def get(self, external_code: str) -> dict[str, Any] | None:
        """One vendor by its externalCode (GET /v1/vendors/{externalCode}: a bare VendorEntity), or None."""
        resp = self._t.get(f"/v1/vendors/{seg(external_code)}", {}, {})
        if resp.status_code == 404:
            return None
        body = json_body(resp)
        return body if isinstance(body, dict) else None

    def iter(
        self, page_size: int = LIST_PAGE_MAX, last_updated: datetime | str | None = None,
        company_code: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Vendors, all or those of one Basware company (`companyCode`), page by page."""
        if not 1 <= page_size <= LIST_PAGE_MAX:
            raise ValueError(f"page_size must be 1..{LIST_PAGE_MAX}")
        params: dict[str, Any] = {"pageSize": page_size}
        if company_code:
            params["companyCode"] = company_code
        if last_updated:
            params["lastUpdated"] = iso(last_updated)
        yield from self._t.iter_list("/v1/vendors", params, LIST_KEY)
