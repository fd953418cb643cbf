"""Sandbox admin endpoints under `/_sandbox/basware` (no auth, no faults): drive and inspect the simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlc_sandbox.basware.errors import ApiError, bad_parameter, not_found
from mlc_sandbox.basware.settings import BaswareSettings
from mlc_sandbox.faults import ADMIN_PREFIX
from mlc_sandbox.seed import INVALID_KINDS

if TYPE_CHECKING:
    from mlc_sandbox.basware.context import SimContext


class GenerateDocuments(BaseModel):
    count: int = Field(ge=1, le=100_000)
    invalid_kind: str | None = None


class StatusChange(BaseModel):
    processingStatus: str


class DocumentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[dict[str, Any]]


# Only the command line (--allow-external-webhooks) may let webhooks leave the machine.
FIXED_AT_START = frozenset({"allow_external_webhooks"})


def admin_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(prefix=f"{ADMIN_PREFIX}/basware", tags=["sandbox"])
    _log_and_settings(router, ctx)
    _documents(router, ctx)
    _records(router, ctx)
    return router


def _log_and_settings(router: APIRouter, ctx: SimContext) -> None:
    @router.get("/requests")
    def request_log() -> JSONResponse:
        return JSONResponse(ctx.log.entries())

    @router.delete("/requests", status_code=204)
    def clear_request_log() -> None:
        ctx.log.clear()

    @router.post("/tokens/revoke")
    def revoke_tokens() -> JSONResponse:
        return JSONResponse({"revoked": ctx.tokens.revoke_all()})

    @router.get("/settings")
    def get_settings() -> JSONResponse:
        return JSONResponse(ctx.settings.model_dump(exclude={"client_secret"}))

    @router.patch("/settings")
    def patch_settings(changes: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        """E.g. {"token_ttl": 1} or {"async_error_delay": 0.5}; applies to tokens issued afterwards."""
        unknown = set(changes) - set(BaswareSettings.model_fields)
        if unknown:
            raise bad_parameter(f"unknown settings: {', '.join(sorted(unknown))}")
        if FIXED_AT_START & set(changes):
            raise bad_parameter("allow_external_webhooks is set only when the sandbox starts")
        try:
            for name, value in changes.items():
                setattr(ctx.settings, name, value)
        except ValidationError as exc:
            raise bad_parameter(str(exc)) from None
        return JSONResponse(ctx.settings.model_dump(exclude={"client_secret"}))


def _documents(router: APIRouter, ctx: SimContext) -> None:
    @router.post("/documents", status_code=201)
    def add_documents(body: Annotated[GenerateDocuments | DocumentsIn | list[dict[str, Any]], Body()],
                      ) -> JSONResponse:
        """{"count": N, "invalid_kind": null | one of seed.INVALID_KINDS}, {"documents": [...]} or [...]."""
        if isinstance(body, GenerateDocuments):
            if body.invalid_kind is not None and body.invalid_kind not in INVALID_KINDS:
                raise bad_parameter(f"invalid_kind must be one of {', '.join(INVALID_KINDS)}")
            ids = ctx.documents.add_generated(body.count, body.invalid_kind)
        else:
            ids = ctx.documents.add_documents(body.documents if isinstance(body, DocumentsIn) else body)
        return JSONResponse({"invoiceIds": ids}, 201)

    @router.get("/documents/{invoice_id}")
    def document_state(invoice_id: str) -> JSONResponse:
        return JSONResponse(ctx.documents.state(invoice_id))

    @router.put("/documents/{invoice_id}/status")
    def set_document_status(invoice_id: str, body: StatusChange) -> JSONResponse:
        """E.g. back to WaitingForTransfer after the AP team fixed it: a new task and a webhook."""
        ctx.documents.set_status(invoice_id, body.processingStatus)
        return JSONResponse(ctx.documents.state(invoice_id))


def _records(router: APIRouter, ctx: SimContext) -> None:
    @router.get("/vendors/{external_code}")
    def vendor(external_code: str) -> JSONResponse:
        record = ctx.vendors.get(external_code, api_only=False)
        if record is None:
            raise not_found(f"Vendor {external_code} not found")
        return JSONResponse(record.admin_view())

    @router.post("/vendors/{external_code}/manual-edit")
    def manual_edit(external_code: str, changes: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        """An edit in the Basware UI: lastModifiedBy becomes "UI"; an unknown code makes a UI-only vendor."""
        record = ctx.vendors.manual_edit(external_code, changes)
        return JSONResponse(record.admin_view())

    @router.get("/masterdata/{entity}/{code}")
    def masterdata(entity: str, code: str) -> JSONResponse:
        """entity: Account, CostCenter or a list key such as ACC_LIST_1; code: the record's externalCode."""
        record = ctx.masterdata.get(entity, code)
        if record is None:
            raise not_found(f"{entity} {code} not found")
        return JSONResponse(record)

    @router.get("/requestStatus")
    def request_statuses() -> JSONResponse:
        return JSONResponse(ctx.request_status.all())

    @router.get("/subscriptions")
    def subscriptions() -> JSONResponse:
        return JSONResponse(ctx.subscriptions.all())

    @router.get("/webhooks/deliveries")
    def deliveries(wait: float = 0.0) -> JSONResponse:
        """`?wait=5` first waits (up to 5 s) until no delivery is queued or being retried."""
        if wait > 0 and not ctx.webhooks.wait_idle(wait):
            raise ApiError(504, "UNEXPECTED_ERROR", "webhook deliveries still pending", type_="TECHNICAL")
        return JSONResponse(ctx.webhooks.deliveries())
