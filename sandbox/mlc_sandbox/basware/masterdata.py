"""`/v1/accounts`, `/v1/costCenters`, `/v1/lists/{listKey}`: <= 500 records a call, processed later."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from mlc_sandbox.basware.errors import entity_list, not_found, request_id_of
from mlc_sandbox.basware.paging import keyset_page, page_size, query_params

if TYPE_CHECKING:
    from mlc_sandbox.basware.context import SimContext

MAX_RECORDS_PER_CALL = 500
LIST_KEYS = frozenset(f"ACC_LIST_{n}" for n in range(1, 36))


class Name(BaseModel):
    model_config = ConfigDict(extra="allow")
    language: str = Field(min_length=2, max_length=10)
    translation: str = Field(min_length=1, max_length=250)


class CompanyRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    companyCode: str = Field(min_length=1, max_length=32)
    active: bool  # active=false is Basware's soft delete


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    externalCode: str | None = Field(default=None, max_length=36)
    accountCode: str = Field(min_length=1, max_length=25)
    names: list[Name] = Field(min_length=1)
    companies: list[CompanyRef] = Field(min_length=1)


class CostCenterIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    externalCode: str | None = Field(default=None, max_length=36)
    costCenterCode: str = Field(min_length=1, max_length=25)
    names: list[Name] = Field(min_length=1)
    companies: list[CompanyRef] = Field(min_length=1)


class ListItemIn(BaseModel):
    model_config = ConfigDict(extra="allow")  # text_1.., num_.., dateValue_.. columns vary per list
    externalCode: str = Field(min_length=1, max_length=36)
    companies: list[CompanyRef] | None = None


AccountBatch = Annotated[list[AccountIn], Field(min_length=1, max_length=MAX_RECORDS_PER_CALL)]
CostCenterBatch = Annotated[list[CostCenterIn], Field(min_length=1, max_length=MAX_RECORDS_PER_CALL)]
ListItemBatch = Annotated[list[ListItemIn], Field(min_length=1, max_length=MAX_RECORDS_PER_CALL)]


def _import(ctx: SimContext, request: Request, entity: str, records: Sequence[tuple[str, BaseModel]],
            needs_names: bool, list_key: str | None = None) -> JSONResponse:
    request_id = request_id_of(request) or ""
    items = []
    for key, record in records:
        payload = record.model_dump(mode="json", exclude_none=True)
        problems = ctx.masterdata.problems(payload, needs_names)
        status = "Error" if problems else ctx.masterdata.upsert(list_key or entity, key, payload)
        code = payload.get("externalCode") or key
        items.append({"externalCode": code, "status": status, "errors": problems})
    entity_type = "GenericList" if list_key else entity
    ctx.request_status.record(request_id, entity_type, "POST", items, generic_list_key=list_key)
    return JSONResponse(entity_list(request_id, []))


def _list_key(list_key: str) -> str:
    if list_key not in LIST_KEYS:
        raise not_found(f"Unknown list key {list_key!r}; known keys are ACC_LIST_1 ... ACC_LIST_35")
    return list_key


def masterdata_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(tags=["masterdata"])

    @router.post("/v1/accounts", dependencies=[Depends(ctx.auth.require("accounts.write"))])
    def post_accounts(body: Annotated[AccountBatch, Body()], request: Request) -> JSONResponse:
        return _import(ctx, request, "Account", [(a.accountCode, a) for a in body], needs_names=True)

    @router.post("/v1/costCenters", dependencies=[Depends(ctx.auth.require("costCenters.write"))])
    def post_cost_centers(body: Annotated[CostCenterBatch, Body()], request: Request) -> JSONResponse:
        return _import(ctx, request, "CostCenter", [(c.costCenterCode, c) for c in body], needs_names=True)

    @router.post("/v1/lists/{list_key}", dependencies=[Depends(ctx.auth.require("lists.write"))])
    def post_list(list_key: str, body: Annotated[ListItemBatch, Body()], request: Request) -> JSONResponse:
        key = _list_key(list_key)
        records = [(i.externalCode, i) for i in body]
        return _import(ctx, request, key, records, needs_names=False, list_key=key)

    @router.get("/v1/lists/{list_key}", dependencies=[Depends(ctx.auth.require("lists.read", "lists.write"))])
    def get_list(list_key: str, request: Request) -> JSONResponse:
        key = _list_key(list_key)
        params = query_params(request, ("pageSize",))
        size = page_size(params, maximum=500, default=500)
        position = ctx.continuations.resolve(request, f"lists/{key}", params)
        items, last = keyset_page(ctx.masterdata.listing(key), position, size)
        if not items:
            raise not_found()
        return JSONResponse(items, headers=ctx.continuations.headers(f"lists/{key}", params, last))

    return router
