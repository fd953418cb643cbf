"""`/v1/vendors`: POST (<= 200, create or overwrite), PATCH (partial), GET with continuation paging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlc_sandbox.basware.clock import parse_iso
from mlc_sandbox.basware.errors import ApiError, bad_parameter, entity_list, not_found, request_id_of
from mlc_sandbox.basware.paging import keyset_page, page_size, query_params

if TYPE_CHECKING:
    from mlc_sandbox.basware.context import SimContext

MAX_VENDORS_PER_CALL = 200


class VendorCompany(BaseModel):
    model_config = ConfigDict(extra="allow")
    companyCode: str = Field(min_length=1, max_length=32)
    inheritToChildUnits: bool = True


class Identifier(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1)
    schemeId: str = Field(min_length=1)


class VendorProcessingStatus(BaseModel):
    model_config = ConfigDict(extra="allow")
    active: bool = True
    paymentDenied: bool = False


class VendorIn(BaseModel):
    model_config = ConfigDict(extra="allow")  # addresses etc. are stored as sent
    externalCode: str = Field(min_length=1, max_length=36)
    vendorCode: str = Field(min_length=1, max_length=25)
    name: str = Field(min_length=1, max_length=250)
    companies: list[VendorCompany] = Field(min_length=1)
    identifiers: list[Identifier] = []
    addresses: list[dict[str, Any]] = []
    paymentMeans: list[dict[str, Any]] = []
    paymentTerms: list[dict[str, Any]] = []
    processingStatus: VendorProcessingStatus = VendorProcessingStatus()


VendorBatch = Annotated[list[VendorIn], Field(min_length=1, max_length=MAX_VENDORS_PER_CALL)]


def _import(ctx: SimContext, request: Request, operation: str, vendors: list[VendorIn]) -> JSONResponse:
    """Apply what is business-valid; every record's outcome goes to requestStatus under this request's id."""
    request_id = request_id_of(request) or ""
    items = []
    for vendor in vendors:
        payload = vendor.model_dump(mode="json")
        problems = ctx.vendors.problems(payload)
        status = "Error" if problems else ctx.vendors.upsert(payload)
        items.append({"externalCode": vendor.externalCode, "status": status, "errors": problems})
    ctx.request_status.record(request_id, "Vendor", operation, items)
    return JSONResponse(entity_list(request_id, []))


def vendors_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(tags=["vendors"])
    read = Depends(ctx.auth.require("vendors.read"))
    write = Depends(ctx.auth.require("vendors.write"))

    @router.post("/v1/vendors", dependencies=[write])
    def post_vendors(body: Annotated[VendorBatch, Body()], request: Request) -> JSONResponse:
        return _import(ctx, request, "POST", body)

    @router.patch("/v1/vendors/{external_code}", dependencies=[write])
    def patch_vendor(external_code: str, body: Annotated[dict[str, Any], Body()],
                     request: Request) -> JSONResponse:
        current = ctx.vendors.get(external_code)
        if current is None:
            raise not_found("Not found. Record to update not found.")
        if body.get("externalCode", external_code) != external_code:
            raise ApiError(400, "EXTERNAL_CODE_MISMATCH",
                           "externalCode in the body differs from the one in the path",
                           external_code=external_code)
        try:
            merged = VendorIn.model_validate({**current.payload, **body})
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        return _import(ctx, request, "PATCH", [merged])

    @router.get("/v1/vendors", dependencies=[read])
    def list_vendors(request: Request) -> JSONResponse:
        params = query_params(request, ("pageSize", "lastUpdated"))
        size = page_size(params, maximum=500, default=500)
        try:
            after_us = parse_iso(params["lastUpdated"]) if "lastUpdated" in params else None
        except ValueError:
            raise bad_parameter("lastUpdated is not an ISO 8601 date-time") from None
        position = ctx.continuations.resolve(request, "vendors", params)
        vendors, last = keyset_page(ctx.vendors.listing(after_us), position, size)
        if not vendors:
            raise not_found()
        return JSONResponse(vendors, headers=ctx.continuations.headers("vendors", params, last))

    @router.get("/v1/vendors/{external_code}", dependencies=[read])
    def get_vendor(external_code: str) -> JSONResponse:
        record = ctx.vendors.get(external_code)
        if record is None:
            raise not_found()
        return JSONResponse(record.view())

    return router
