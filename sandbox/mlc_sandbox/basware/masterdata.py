"""`/v1/accounts`, `/v1/costCenters`, `/v1/lists/{listKey}`: POST (<= 500 records, processed later, answered
with the records), GET (wrapped list, continuation paging), GET one, PATCH one, DELETE (DeleteRequest).

Bodies are checked against Basware's AccountEntity / CostCenterEntity / GenericListEntity schemas; what a
record means for the business (an unknown company, no en-US name) is reported later in requestStatus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from mlc_sandbox.basware.deletion import delete_request, delete_response, updated_after
from mlc_sandbox.basware.errors import ApiError, bad_parameter, not_found, request_id_of
from mlc_sandbox.basware.paging import keyset_page, page_size, query_params
from mlc_sandbox.basware.schemas import require

if TYPE_CHECKING:
    from mlc_sandbox.basware.context import SimContext

MAX_RECORDS_PER_CALL = 500
# The listKey enum of Basware's spec.
LIST_KEYS = (tuple(f"ACC_LIST_{n}" for n in range(1, 36)) + tuple(f"CUST_RESOLVER_{n}" for n in range(1, 6))
             + tuple(f"INV_LIST_{n}" for n in range(1, 21)))


@dataclass(frozen=True)
class Kind:
    """One master-data resource: its path, schema, list wrapper, scopes and requestStatus entity type."""

    path: str
    schema: str
    wrapper: str
    scope: str
    entity_type: str
    names_field: str | None


ACCOUNTS = Kind("/v1/accounts", "AccountEntity", "accounts", "accounts", "Account", "accountNames")
COST_CENTERS = Kind("/v1/costCenters", "CostCenterEntity", "costCenters", "costCenters", "CostCenter",
                    "costCenterNames")
LISTS = Kind("/v1/lists/{list_key}", "GenericListEntity", "listItems", "lists", "GenericList", None)


def _list_key(list_key: str | None, status: int) -> str | None:
    if list_key is not None and list_key not in LIST_KEYS:
        message = f"Unknown list key {list_key!r}; known keys: ACC_LIST_1..35, CUST_RESOLVER_1..5, INV_LIST_1..20"
        raise not_found(message) if status == 404 else bad_parameter(message)
    return list_key


class Routes:
    """The handlers of one Kind; `store_key` is the entity in the store (the list key for lists)."""

    def __init__(self, ctx: SimContext, kind: Kind) -> None:
        self.ctx = ctx
        self.kind = kind

    def post(self, request: Request, body: Any, list_key: str | None = None) -> JSONResponse:
        _list_key(list_key, 400)
        require(self.kind.schema, body, many=True, max_items=MAX_RECORDS_PER_CALL)
        return JSONResponse(self._apply(request, "POST", body, list_key))

    def _apply(self, request: Request, operation: str, records: list[dict[str, Any]],
               list_key: str | None) -> list[dict[str, Any] | None]:
        """Store what is business-valid; each record's outcome goes to requestStatus under this request id."""
        entity = list_key or self.kind.entity_type
        items: list[dict[str, Any]] = []
        stored: list[dict[str, Any] | None] = []
        for record in records:
            payload = {k: v for k, v in record.items() if v is not None and k != "lastUpdated"}
            problems = self.ctx.masterdata.problems(payload, self.kind.names_field)
            status = "Error" if problems else self.ctx.masterdata.upsert(entity, payload)
            items.append({"externalCode": payload["externalCode"], "status": status, "errors": problems})
            stored.append(self.ctx.masterdata.get(entity, payload["externalCode"]) if not problems else record)
        request_id = request_id_of(request) or ""
        self.ctx.request_status.record(request_id, self.kind.entity_type, operation, items,
                                       generic_list_key=list_key)
        return stored

    def patch(self, request: Request, code: str, body: Any, list_key: str | None = None) -> JSONResponse:
        entity = _list_key(list_key, 404) or self.kind.entity_type
        current = self.ctx.masterdata.payload(entity, code)
        if current is None:
            raise not_found("Not found. Record to update not found.")
        if not isinstance(body, dict):
            require(self.kind.schema, body)
        if body.get("externalCode", code) != code:
            raise ApiError(400, "EXTERNAL_CODE_MISMATCH", "externalCode in the body differs from the one in the "
                           "path", external_code=code)
        merged = {**current, **{k: v for k, v in body.items() if v is not None and k != "lastUpdated"}}
        require(self.kind.schema, merged)
        return JSONResponse(self._apply(request, "PATCH", [merged], list_key)[0])

    def listing(self, request: Request, list_key: str | None = None) -> JSONResponse:
        entity = _list_key(list_key, 404) or self.kind.entity_type
        params = query_params(request, ("pageSize", "companyCode", "lastUpdated"))
        size = page_size(params, maximum=500, default=500)
        resource = self.kind.path.replace("{list_key}", entity)
        position = self.ctx.continuations.resolve(request, resource, params)
        rows = self.ctx.masterdata.listing(entity, updated_after(params), params.get("companyCode") or None)
        page, last = keyset_page(rows, position, size)
        if not page:
            raise not_found()
        return JSONResponse({self.kind.wrapper: [decode() for decode in page]},
                            headers=self.ctx.continuations.headers(resource, params, last))

    def one(self, code: str, list_key: str | None = None) -> JSONResponse:
        record = self.ctx.masterdata.get(_list_key(list_key, 404) or self.kind.entity_type, code)
        if record is None:
            raise not_found()
        return JSONResponse(record)

    def delete(self, body: Any, list_key: str | None = None) -> JSONResponse:
        entity = _list_key(list_key, 400) or self.kind.entity_type
        code, after_us = delete_request(body)
        return JSONResponse(delete_response(entity, self.ctx.masterdata.delete(entity, code, after_us)))


def _scopes(ctx: SimContext, kind: Kind) -> tuple[Any, Any, Any]:
    return (Depends(ctx.auth.require(f"{kind.scope}.read")), Depends(ctx.auth.require(f"{kind.scope}.write")),
            Depends(ctx.auth.require(f"{kind.scope}.delete")))


def _plain_routes(router: APIRouter, ctx: SimContext, kind: Kind) -> None:
    routes = Routes(ctx, kind)
    read, write, delete = _scopes(ctx, kind)
    path = kind.path

    @router.post(path, dependencies=[write])
    def post(body: Annotated[Any, Body()], request: Request) -> JSONResponse:
        return routes.post(request, body)

    @router.get(path, dependencies=[read])
    def listing(request: Request) -> JSONResponse:
        return routes.listing(request)

    @router.get(path + "/{code}", dependencies=[read])
    def one(code: str) -> JSONResponse:
        return routes.one(code)

    @router.patch(path + "/{code}", dependencies=[write])
    def patch(code: str, body: Annotated[Any, Body()], request: Request) -> JSONResponse:
        return routes.patch(request, code, body)

    @router.delete(path, dependencies=[delete])
    def remove(body: Annotated[Any, Body()] = None) -> JSONResponse:
        return routes.delete(body)


def _list_routes(router: APIRouter, ctx: SimContext) -> None:
    routes = Routes(ctx, LISTS)
    read, write, delete = _scopes(ctx, LISTS)
    path = LISTS.path

    @router.post(path, dependencies=[write])
    def post(list_key: str, body: Annotated[Any, Body()], request: Request) -> JSONResponse:
        return routes.post(request, body, list_key)

    @router.get(path, dependencies=[read])
    def listing(list_key: str, request: Request) -> JSONResponse:
        return routes.listing(request, list_key)

    @router.get(path + "/{code}", dependencies=[read])
    def one(list_key: str, code: str) -> JSONResponse:
        return routes.one(code, list_key)

    @router.patch(path + "/{code}", dependencies=[write])
    def patch(list_key: str, code: str, body: Annotated[Any, Body()], request: Request) -> JSONResponse:
        return routes.patch(request, code, body, list_key)

    @router.delete(path, dependencies=[delete])
    def remove(list_key: str, body: Annotated[Any, Body()] = None) -> JSONResponse:
        return routes.delete(body, list_key)


def masterdata_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(tags=["masterdata"])
    _plain_routes(router, ctx, ACCOUNTS)
    _plain_routes(router, ctx, COST_CENTERS)
    _list_routes(router, ctx)
    return router
