"""Webhook to proposal on real Airflow components: the Basware simulator signs and sends its notifications
to the webhook plugin on a real api-server; the scheduler runs the tenant's DAG (CeleryExecutor, a Celery
worker on Redis); the invoices arrive as proposals in the IFS simulator. Used by the real-components test
and by benchmarks/webhook_latency.py."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ml_connector.config import DEFAULT_CONFIG
from mlc_sandbox.airflow_stack import AirflowStack, Executor, StackOptions
from mlc_sandbox.runner import Sandbox, SandboxOptions
from mlc_sandbox.soak.seeded import TENANT, tenant_env

TASK_TYPE, TASK_SUB_TYPE = "AccountingDocuments", "WaitingForTransfer"


@dataclass
class WebhookFlow:
    sandbox: Sandbox
    stack: AirflowStack

    def send_batch(self, count: int) -> list[str]:
        """New approved invoices in Basware: the simulator notifies the subscription, signed."""
        return self.sandbox.basware.add_documents(count)

    def wait_for_proposals(self, ids: list[str], timeout: float = 300.0) -> float:
        """Seconds until every id is a proposal in IFS; raises with the stack's log folder on timeout."""
        started, wanted = time.monotonic(), set(ids)
        while time.monotonic() - started < timeout:
            if wanted <= set(self.sandbox.ifs.proposal_counts()):
                return time.monotonic() - started
            time.sleep(0.25)
        missing = sorted(wanted - set(self.sandbox.ifs.proposal_counts()))
        raise TimeoutError(f"no proposal after {timeout:.0f} s for {missing}; "
                           f"webhook deliveries {self.sandbox.basware.webhook_deliveries[-5:]}; "
                           f"logs in {self.stack.logs}")


@contextmanager
def webhook_flow(home: Path, executor: Executor = "CeleryExecutor") -> Iterator[WebhookFlow]:
    """The sandbox (no invoice yet) and the stack, the demo tenant subscribed to Basware's notifications."""
    home.mkdir(parents=True, exist_ok=True)
    secret = os.environ.get("MLC_SANDBOX_WEBHOOK_SECRET") or secrets.token_urlsafe(32)  # a test's canary
    with Sandbox(SandboxOptions(invoices=0, suppliers=40)) as sandbox:
        env, _store = tenant_env(sandbox, home)
        basware_conn = f"AIRFLOW_CONN_MLC_{TENANT.upper()}_BASWARE"
        env[basware_conn] = env[basware_conn].replace('"extra": {', f'"extra": {{"webhook_secret": "{secret}", ', 1)
        env["ML_CONNECTOR_TENANTS"] = str(DEFAULT_CONFIG)
        stack = AirflowStack(StackOptions(home=home / "airflow", executor=executor, env=env))
        try:
            with stack:
                sandbox.basware.ctx.subscriptions.add({
                    "subscriptionId": str(uuid.uuid4()), "taskType": TASK_TYPE, "taskSubType": TASK_SUB_TYPE,
                    "subscriptionType": "Webhook", "webhookAuthenticationToken": secret,
                    "notificationWebhookURL": f"{stack.url}/ml-connector/webhooks/basware/{TENANT}"})
                yield WebhookFlow(sandbox, stack)
        finally:
            sandbox.basware.close()
