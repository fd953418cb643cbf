"""`/v1/vendors`: POST (<= 200, create or overwrite), PATCH (partial), GET (VendorResponse, continuation
paging, 100 a page by default, `companyCode` filter), GET one, DELETE (DeleteRequest).

Bodies are checked against Basware's VendorEntity schema; POST and PATCH answer with the records as stored.
What a record means for the business (an unknown company) is found later, reported in requestStatus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from mlc_sandbox.basware.deletion import delete_request, delete_response, updated_after
from mlc_sandbox.basware.errors import ApiError, not_found, request_id_of
from mlc_sandbox.basware.paging import keyset_page, page_size, query_params
from mlc_sandbox.basware.schemas import require

if TYPE_CHECKING:
    from mlc_sandbox.basware.context import SimContext

MAX_VENDORS_PER_CALL = 200


def _import(ctx: SimContext, request: Request, operation: str, vendors: list[dict[str, Any]]) -> list[Any]:
    """Apply what is business-valid; every record's outcome goes to requestStatus under this request's id."""
    request_id = request_id_of(request) or ""
    items = []
    stored = []
    for payload in vendors:
        problems = ctx.vendors.problems(payload)
        status = "Error" if problems else ctx.vendors.upsert(payload)
        items.append({"externalCode": payload["externalCode"], "status": status, "errors": problems})
        record = ctx.vendors.get(payload["externalCode"])
        stored.append(record.view() if record is not None and not problems else payload)
    ctx.request_status.record(request_id, "Vendor", operation, items)
    return stored


def _without_nulls(body: dict[str, Any]) -> dict[str, Any]:
    """Basware treats a null as a field not sent (PATCH cannot set null)."""
    return {k: v for k, v in body.items() if v is not None}


def vendors_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(tags=["vendors"])
    read = Depends(ctx.auth.require("vendors.read"))
    write = Depends(ctx.auth.require("vendors.write"))

    @router.post("/v1/vendors", dependencies=[write])
    def post_vendors(body: Annotated[Any, Body()], request: Request) -> JSONResponse:
        require("VendorEntity", body, many=True, max_items=MAX_VENDORS_PER_CALL)
        return JSONResponse(_import(ctx, request, "POST", [_without_nulls(v) for v in body]))

    @router.patch("/v1/vendors/{external_code}", dependencies=[write])
    def patch_vendor(external_code: str, body: Annotated[Any, Body()], request: Request) -> JSONResponse:
        current = ctx.vendors.get(external_code)
        if current is None:
            raise not_found("Not found. Record to update not found.")
        if not isinstance(body, dict):
            require("VendorEntity", body)
        if body.get("externalCode", external_code) != external_code:
            raise ApiError(400, "EXTERNAL_CODE_MISMATCH",
                           "externalCode in the body differs from the one in the path",
                           external_code=external_code)
        merged = {**current.payload, **_without_nulls(body)}
        merged.pop("lastUpdated", None)
        require("VendorEntity", merged)
        return JSONResponse(_import(ctx, request, "PATCH", [merged])[0])

    _read_and_delete_routes(router, ctx, read)
    return router


def _read_and_delete_routes(router: APIRouter, ctx: SimContext, read: Any) -> None:
    @router.get("/v1/vendors", dependencies=[read])
    def list_vendors(request: Request) -> JSONResponse:
        params = query_params(request, ("pageSize", "lastUpdated", "companyCode"))
        size = page_size(params, maximum=500, default=100)
        after_us = updated_after(params)
        position = ctx.continuations.resolve(request, "vendors", params)
        rows = ctx.vendors.listing(after_us, params.get("companyCode") or None)
        vendors, last = keyset_page(rows, position, size)
        if not vendors:
            raise not_found()
        return JSONResponse({"vendorEntities": vendors},
                            headers=ctx.continuations.headers("vendors", params, last))

    @router.get("/v1/vendors/{external_code}", dependencies=[read])
    def get_vendor(external_code: str) -> JSONResponse:
        record = ctx.vendors.get(external_code)
        if record is None:
            raise not_found()
        return JSONResponse(record.view())

    @router.delete("/v1/vendors", dependencies=[Depends(ctx.auth.require("vendors.delete"))])
    def delete_vendors(body: Annotated[Any, Body()] = None) -> JSONResponse:
        code, after_us = delete_request(body)
        return JSONResponse(delete_response("vendors", ctx.vendors.delete(code, after_us)))
