"""Issue 14's real-components test: real api-server, scheduler and dag-processor on PostgreSQL with
CeleryExecutor and a Celery worker on the machine's Redis. The Basware simulator sends its signed
notifications to the webhook plugin on the api-server; the invoices arrive as proposals in IFS, once.
The secrets are ones the test chose (issue 12): none of them, no issued token and no webhook secret
appears in the components' logs, the metadata DB, the state store or the pages the api-server serves."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from canaries import fetch_pages, scan_for_canaries, token_canaries, use_chosen_secrets
from mlc_sandbox.soak.seeded import TENANT
from mlc_sandbox.soak.webhook_flow import webhook_flow


def test_signed_notifications_into_the_api_server_become_proposals_under_celery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = use_chosen_secrets(tmp_path, monkeypatch)
    home = tmp_path / "flow"
    with webhook_flow(home) as flow:
        ids = flow.send_batch(3)
        flow.wait_for_proposals(ids, timeout=300)
        deliveries = [d for d in flow.sandbox.basware.webhook_deliveries if d["documentId"] in ids]
        # Every notification was accepted (the simulator may also send a redelivery, answered otherwise).
        assert {d["documentId"] for d in deliveries if d["status"] == 200} == set(ids)
        counts = flow.sandbox.ifs.proposal_counts()
        assert {i: counts[i] for i in ids} == dict.fromkeys(ids, 1)

        # Scanned while the stack (and its metadata DB) is still up.
        token = requests.get(f"{flow.stack.url}/auth/token", timeout=30).json()["access_token"]
        pages = fetch_pages(flow.stack.url, tenants=[TENANT], invoice=ids[0],
                            headers={"Authorization": f"Bearer {token}"})
        assert {a.status for a in pages if "/ml-connector/ops/" in a.where and "GET" in a.where} == {200}
        tokens = token_canaries(tmp_path)
        assert len(tokens) >= 4, "both simulators must have issued tokens to the runs"
        found = scan_for_canaries(
            [chosen["basware"], chosen["ifs"], chosen["webhook"], *tokens], paths=[home],
            db_urls=[flow.stack.db_url, f"sqlite:///{home / 'state.db'}"],
            texts={a.where: a.content.decode("utf-8", "replace") for a in pages})
        assert found == []
        # The scan reads what it claims to: a task log names the invoice, the page shows the tenant's run.
        assert scan_for_canaries([ids[0]], paths=[flow.stack.options.home / "logs"]) != []
        assert scan_for_canaries([f"mlc_{TENANT}_invoices"],
                                 texts={a.where: a.content.decode("utf-8", "replace") for a in pages}) != []
