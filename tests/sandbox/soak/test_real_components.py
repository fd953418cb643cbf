"""Issue 14's real-components test: real api-server, scheduler and dag-processor on PostgreSQL with
CeleryExecutor and a Celery worker on the machine's Redis. The Basware simulator sends its signed
notifications to the webhook plugin on the api-server; the invoices arrive as proposals in IFS, once."""

from __future__ import annotations

from pathlib import Path

from mlc_sandbox.soak.webhook_flow import webhook_flow


def test_signed_notifications_into_the_api_server_become_proposals_under_celery(tmp_path: Path) -> None:
    with webhook_flow(tmp_path) as flow:
        ids = flow.send_batch(3)
        flow.wait_for_proposals(ids, timeout=300)
        deliveries = [d for d in flow.sandbox.basware.webhook_deliveries if d["documentId"] in ids]
        # Every notification was accepted (the simulator may also send a redelivery, answered otherwise).
        assert {d["documentId"] for d in deliveries if d["status"] == 200} == set(ids)
        counts = flow.sandbox.ifs.proposal_counts()
        assert {i: counts[i] for i in ids} == dict.fromkeys(ids, 1)
