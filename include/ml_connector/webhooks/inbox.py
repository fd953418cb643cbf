"""Close webhook inbox entries once the invoice run has dealt with their documents."""

from __future__ import annotations

import logging

from ml_connector.state import FINAL, StateStore

log = logging.getLogger(__name__)


def settle_deliveries(store: StateStore, tenant_id: str) -> int:
    """Mark processed every pending delivery whose document reached a final ledger state (reported or
    quarantined). Others stay pending: the document is still in flight, or no run has seen it yet.
    Returns how many were marked; safe to call from any run, any number of times."""
    pending = store.pending_deliveries(tenant_id)
    if not pending:
        return 0
    marked = 0
    with store.transaction() as tx:
        for delivery in pending:
            if delivery.document_id:  # Basware's documentId is the ledger's invoiceId
                entry = tx.get_invoice(tenant_id, delivery.document_id)
                if entry is None or entry.status not in FINAL:
                    continue
            marked += tx.mark_processed(tenant_id, delivery.delivery_id)
    log.info("Tenant %s: %d of %d pending webhook deliveries processed", tenant_id, marked, len(pending))
    return marked
