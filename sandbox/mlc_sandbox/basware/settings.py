"""Settings of the Basware P2P simulator; mutable at runtime through `PATCH /_sandbox/basware/settings`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The OAuth2 scopes of Basware's OpenAPI file for the resources the simulator serves.
SPEC_SCOPES = tuple(f"{resource}.{access}" for resource, accesses in (
    ("accountingDocuments", ("read", "write", "delete")), ("accounts", ("read", "write", "delete")),
    ("costCenters", ("read", "write", "delete")), ("lists", ("read", "write", "delete")),
    ("vendors", ("read", "write", "delete")), ("requestStatus", ("read", "write")),
    ("subscriptions", ("read", "write", "delete")), ("tasks", ("read",)),
) for access in accesses)
SIX_MB = 6 * 1024 * 1024


class BaswareSettings(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    client_id: str = "sandbox-basware-client"
    client_secret: str = "sandbox-basware-secret"
    token_ttl: int = Field(default=3600, ge=1)
    allowed_scopes: list[str] = Field(default_factory=lambda: list(SPEC_SCOPES))
    request_id_header: str = "X-BW-REQUEST-ID"
    signature_header: str = "x-bwapi-signature-256"
    # Unix seconds of the delivery attempt, and an id that stays the same across retries and duplicates.
    timestamp_header: str = "x-bwapi-timestamp"
    delivery_id_header: str = "x-bwapi-delivery-id"
    async_error_delay: float = Field(default=0.0, ge=0.0)
    webhook_timeout: float = Field(default=5.0, gt=0.0)
    webhook_attempts: int = Field(default=4, ge=1)
    webhook_retry_delay: float = Field(default=0.2, ge=0.0)
    # A notification held back by `out_of_order_webhook` goes out after the next one, or after this long.
    out_of_order_hold: float = Field(default=2.0, ge=0.0)
    task_ttl: float = Field(default=7 * 86400, gt=0.0, description="seconds until an open task expires")
    presigned_ttl: int = Field(default=900, ge=1, description="X-Amz-Expires of pre-signed page URLs")
    max_rows_per_page: int = Field(default=500, ge=1, description="coding rows per accountingDocuments page")
    max_body_bytes: int = Field(default=SIX_MB, ge=1)
    tasks_page_size: int = Field(default=500, ge=1, description="tasks per GET /v1/tasks page (spec: no pageSize)")
    # Off: webhooks (ConnectionTest and notifications) go only to loopback addresses.
    allow_external_webhooks: bool = False
