"""`/v1/accountingDocuments`: GETs answer 302 to a pre-signed page holding an AccountingDocumentResponse
(`{"accountingDocuments": [...]}`, also for one document); acknowledge; transferResponses."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mlc_sandbox.basware.clock import iso, parse_iso
from mlc_sandbox.basware.context import SimContext
from mlc_sandbox.basware.document_store import MODES, STATUSES, DocumentFilter
from mlc_sandbox.basware.errors import bad_parameter, not_found, request_id_of
from mlc_sandbox.basware.paging import page_size, query_params
from mlc_sandbox.basware.schemas import require

LIST_PARAMS = ("ProcessingStatus", "companyCode", "lastUpdated", "pageSize", "p2pProcessingMode")


def _filter(params: dict[str, str]) -> DocumentFilter:
    status = params.get("ProcessingStatus")
    if status is not None and status not in STATUSES:
        raise bad_parameter(f"ProcessingStatus {status!r} is not one of: {', '.join(STATUSES)}")
    mode = params.get("p2pProcessingMode", "Standard")
    if mode not in MODES:
        raise bad_parameter(f"p2pProcessingMode must be one of {', '.join(MODES)}")
    after = None
    if "lastUpdated" in params:
        try:
            after = parse_iso(params["lastUpdated"])
        except ValueError:
            raise bad_parameter(f"lastUpdated {params['lastUpdated']!r} is not an ISO 8601 date-time") \
                from None
    return DocumentFilter(status, params.get("companyCode") or None, mode, after)


def _redirect(ctx: SimContext, request: Request, payload: Any, metadata: dict[str, str]) -> RedirectResponse:
    key = ctx.bucket.put(json.dumps(payload).encode(), metadata)
    host = request.headers.get("host", "")
    return RedirectResponse(ctx.bucket.presign(str(request.base_url), host, key), status_code=302)


def documents_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(tags=["accountingDocuments"])
    read = Depends(ctx.auth.require("accountingDocuments.read"))
    write = Depends(ctx.auth.require("accountingDocuments.write"))

    @router.get("/v1/accountingDocuments", dependencies=[read])
    def list_documents(request: Request) -> Response:
        params = query_params(request, LIST_PARAMS)
        size = page_size(params, maximum=100, default=100)
        flt = _filter(params)
        after = ctx.continuations.resolve(request, "accountingDocuments", params)
        docs, last = ctx.documents.page(flt, after, size, ctx.settings.max_rows_per_page)
        if not docs:
            raise not_found()
        metadata = {}
        if last is not None:
            metadata["continuationToken"] = ctx.continuations.issue("accountingDocuments", params, last)
        return _redirect(ctx, request, {"accountingDocuments": docs}, metadata)

    @router.get("/v1/accountingDocuments/{invoice_id}", dependencies=[read])
    def get_document(invoice_id: str, request: Request) -> Response:
        if not ctx.documents.exists(invoice_id):
            raise not_found()
        return _redirect(ctx, request, {"accountingDocuments": [ctx.documents.render(invoice_id)]}, {})

    @router.post("/v1/accountingDocuments/{invoice_id}/acknowledge", dependencies=[write])
    def acknowledge(invoice_id: str) -> Response:
        ctx.documents.acknowledge(invoice_id)
        # The spec's 200 body is a string whose content it does not describe.
        return JSONResponse("Success")

    @router.post("/v1/accountingDocuments/{invoice_id}/transferResponses", dependencies=[write])
    def transfer_response(invoice_id: str, body: Annotated[Any, Body()], request: Request) -> JSONResponse:
        require("TransferResponseEntity", body)
        response = {"sourceSystem": None, "voucherNumber1": None, "voucherNumber2": None, **body}
        response["transferDate"] = response.get("transferDate") or iso(ctx.clock.now_us())
        applied = ctx.documents.transfer_response(invoice_id, response)
        request_id = request_id_of(request) or ""
        status = "Success" if applied else "NotProcessed"
        ctx.request_status.record(request_id, "TransferResponse", "POST",
                                  [{"externalCode": body["externalCode"], "parentExternalCode": invoice_id,
                                    "status": status, "errors": []}])
        return JSONResponse(response)

    return router
