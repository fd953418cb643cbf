"""Settings of the IFS Cloud simulator; every field can be changed at runtime (admin endpoint or tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IfsSettings(BaseModel):
    # validate_assignment: the admin endpoint and tests set fields one by one on the live object.
    model_config = ConfigDict(validate_assignment=True)

    realm: str = "sandbox"
    client_id: str = "sandbox-ifs-client"
    client_secret: str = "sandbox-ifs-secret"
    token_ttl: int = Field(default=180, ge=1, description="seconds; IFS IAM issues 3-minute tokens")
    page_limit: int = Field(default=5000, ge=1, description="server page size; also caps $top")
    granted_companies: list[str] | None = Field(
        default=None, description="companies the service user may see; None = all")
    # IFS has no uniqueness rule on the external reference: duplicates are the connector's problem.
    unique_external_ref: bool = False
    # A mutation without If-Match: IFS 23R2-25R1 treat a PATCH as an upsert ("Entity Upserts": update
    # without a concurrency check, or create when the key is absent); "reject" is the older behaviour,
    # ODP_MISSING_PRECONDITION. Either way the simulator records the call (mutations_without_if_match).
    missing_if_match: Literal["upsert", "reject"] = "upsert"
    # With "reject": Olingo answers a missing If-Match with 428 Precondition Required; IFS does not document it.
    missing_precondition_status: int = 428
    # Real IFS needs the supplier's per-company invoice info; off because the seed mixes them freely.
    require_supplier_in_company: bool = False
    service_user: str = "IFS_SANDBOX_INTEGRATION"
    other_user: str = "ALAIN.ACCOUNTANT"
    clock_start: datetime | None = Field(default=None,
                                         description="simulated time at start; None = seed anchor")

    def company_granted(self, company: str | None) -> bool:
        return self.granted_companies is None or company in self.granted_companies
