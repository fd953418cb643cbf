"""New supplier numbers for Basware vendors that have none yet, written back to Basware as the vendorCode.

Basware requires a vendorCode on every vendor, so a vendor onboarded before the ERP numbered it carries a
placeholder (`vendors.pending_vendor_codes`, "NEW" and "PENDING" by default; blank is read the same). Its
IFS supplier number is `vendors.new_supplier_prefix` plus ten digits derived from the tenant and the
vendor's externalCode: the same vendor always gets the same number, so a run that created the supplier
and died before the write-back finds it by that number next time instead of creating a second one.

The write-back re-posts the whole vendor (`POST /v1/vendors`, Basware's create-or-overwrite by
externalCode; PATCH cannot change sub-entities and the spec wants a whole VendorEntity anyway) with the
new vendorCode, waits for its requestStatus, and leaves an audit row (field vendorCode, system ifs).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from ml_connector.config import TenantConfig
from ml_connector.http.errors import RecordError
from ml_connector.state import AuditAction, SourceSystem
from ml_connector.sync.context import TenantContext

log = logging.getLogger(__name__)

# Set by Basware ("not to be included when posting data"); the rest of the vendor is posted as read.
READ_ONLY = ("lastUpdated", "buvid")
WAIT_S = 60.0


def is_pending(tenant: TenantConfig, vendor: Mapping[str, Any]) -> bool:
    code = str(vendor.get("vendorCode") or "").strip()
    return not code or code.upper() in {c.strip().upper() for c in tenant.vendors.pending_vendor_codes}


def new_supplier_id(tenant: TenantConfig, vendor: Mapping[str, Any]) -> str:
    external = str(vendor.get("externalCode") or "").strip()
    if not external:
        raise RecordError("a Basware vendor without vendorCode and externalCode cannot be numbered",
                          record_id=str(vendor.get("name") or "?"))
    digest = hashlib.sha256(f"{tenant.tenant_id}:{external}".encode()).digest()
    return f"{tenant.vendors.new_supplier_prefix}{int.from_bytes(digest[:8], 'big') % 10**10:010d}"


def write_back(ctx: TenantContext, vendor: Mapping[str, Any], supplier_id: str, *, why: str) -> dict[str, Any]:
    """Post the vendor with vendorCode = `supplier_id`; returns the vendor as Basware now holds it.

    RecordError when Basware refuses it (requestStatus Error): the vendor is quarantined and the next
    run, finding the supplier already in IFS, writes the number back again."""
    external = str(vendor.get("externalCode") or "")
    before = vendor.get("vendorCode")
    body = {k: v for k, v in vendor.items() if k not in READ_ONLY and v is not None}
    body["vendorCode"] = supplier_id
    result = ctx.basware.vendors.upsert([body])
    if result.rejected:
        raise result.rejected[0]
    for request_id, status in ctx.basware.request_status.wait(result.request_ids, timeout=WAIT_S,
                                                              poll_interval=1.0).items():
        if status is None or not status.is_final:
            # Accepted (200) but not yet processed: the next run reads the vendor again and, if the code
            # did not land, writes it again.
            log.warning("Vendor %s: write-back request %s has no final status yet", external, request_id)
            continue
        refused = [o for o in status.failed_records() if o.external_code in (None, external)]
        if refused:
            reasons = "; ".join(str(e.get("message") or e) for o in refused for e in o.errors) or "refused"
            raise RecordError(f"Basware refused vendor code {supplier_id} for vendor {external}: {reasons}",
                              record_id=external)
    ctx.store.audit(ctx.tenant_id, "vendor", supplier_id, AuditAction.UPDATED, SourceSystem.IFS,
                    {"vendorCode": {"before": before, "after": supplier_id}}, run_id=ctx.run_id)
    log.info("Basware vendor %s: vendorCode %r -> %s (%s)", external, before, supplier_id, why)
    return {**vendor, "vendorCode": supplier_id}
