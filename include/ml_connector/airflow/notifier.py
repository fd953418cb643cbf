"""Alerts per tenant, through Airflow's notifier mechanism: task failures (as on_failure_callback) and,
from the invoice DAG's finalize task, a run that quarantined invoices (green in Airflow, yet someone
must act).

An alert names the tenant, the DAG, the task or run, the reason and, where known, the invoices (id,
number, IFS key, Basware request ids). Reasons pass through our redactor (client secrets, tokens,
secret-shaped strings) so no secret leaves in an alert.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.bases.notifier import BaseNotifier

from ml_connector.config import TenantConfig

# requests and ml_connector.http are imported when an alert is sent: every DAG carries this notifier,
# and a worker parsing the DAG file for one task should not pay for the HTTP stack.

log = logging.getLogger(__name__)
REASON_MAX = 1000


def build_alert(tenant_id: str, context: Any) -> dict[str, Any]:
    from ml_connector.http.redact import redact

    ti = context.get("ti") or context.get("task_instance")
    exception = context.get("exception")
    reason = redact(f"{type(exception).__name__}: {exception}") if exception else "task failed"
    alert = {
        "kind": "task_failed",
        "tenant": tenant_id,
        "dag_id": getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "run_id": getattr(ti, "run_id", None) or context.get("run_id"),
        "try_number": getattr(ti, "try_number", None),
        "reason": reason[:REASON_MAX],
    }
    invoices = getattr(exception, "invoices", None)  # an error about named invoices (IncompleteRun) names them
    if invoices:
        alert["invoices"] = _redacted(invoices)
    return alert


def build_quarantine_alert(tenant_id: str, context: Any, figures: dict[str, Any],
                           invoices: list[dict[str, Any]]) -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    return {
        "kind": "quarantines",
        "tenant": tenant_id,
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": figures.get("run_id") or getattr(ti, "run_id", None),
        "reason": f"{figures['quarantined']} of {figures['invoices']} invoice(s) quarantined in this run "
                  f"({figures['moved']} moved, {figures['deferred']} deferred)",
        "counts": {k: figures[k] for k in ("invoices", "moved", "quarantined", "deferred", "failed")},
        "invoices": _redacted(invoices),
        "next_step": f"ml-connector quarantine list --tenant {tenant_id}; fix each reason, then "
                     f"ml-connector replay --tenant {tenant_id} --all",
    }


def _redacted(invoices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from ml_connector.http.redact import redact

    return [{k: redact(v) if isinstance(v, str) else v for k, v in i.items()} for i in invoices]


class TenantFailureNotifier(BaseNotifier):
    """Log the alert and send it to the tenant's targets: an HTTP webhook connection and/or e-mail."""

    def __init__(self, tenant_id: str, webhook_conn_id: str | None = None, email: list[str] | None = None) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.webhook_conn_id = webhook_conn_id
        self.email = list(email or [])

    @classmethod
    def for_tenant(cls, tenant: TenantConfig) -> TenantFailureNotifier:
        return cls(tenant.tenant_id, webhook_conn_id=tenant.alerts.webhook_conn_id, email=tenant.alerts.email)

    def notify(self, context: Any) -> None:
        alert = build_alert(self.tenant_id, context)
        log.error("ml-connector alert: tenant %s, %s.%s failed: %s", alert["tenant"], alert["dag_id"],
                  alert["task_id"], alert["reason"])
        self.send(alert, f"{alert['dag_id']}.{alert['task_id']} failed")

    def alert_quarantines(self, context: Any, figures: dict[str, Any], invoices: list[dict[str, Any]]) -> None:
        """The run went through, but some invoices wait in quarantine for a person: say so."""
        alert = build_quarantine_alert(self.tenant_id, context, figures, invoices)
        named = ", ".join(f"{i['invoice_id']} (no. {i.get('invoice_number') or '-'}) [{i['reason_code']}]"
                          for i in invoices[:5])
        log.warning("ml-connector alert: tenant %s, run %s: %s: %s%s", self.tenant_id, alert["run_id"],
                    alert["reason"], named, ", ..." if len(invoices) > 5 else "")
        self.context = context  # the e-mail notifier renders from it
        self.send(alert, f"{figures['quarantined']} invoice(s) quarantined in {alert['dag_id']}")

    def send(self, alert: dict[str, Any], subject: str) -> None:
        """To each of the tenant's targets; a target that fails is logged, never raised."""
        if self.webhook_conn_id:
            self._post_webhook(alert)
        if self.email:
            self._send_email(alert, subject)

    def _post_webhook(self, alert: dict[str, Any]) -> None:
        import requests

        from ml_connector.http.redact import redact

        conn = BaseHook.get_connection(self.webhook_conn_id)  # type: ignore[arg-type]
        host = conn.host or ""
        url = host if "://" in host else f"{conn.schema or 'https'}://{host}"
        if conn.port:
            url = f"{url}:{conn.port}"
        url = f"{url.rstrip('/')}/{(conn.extra_dejson.get('endpoint') or '').lstrip('/')}".rstrip("/")
        try:
            response = requests.post(url, data=json.dumps(alert), timeout=10,
                                     headers={"Content-Type": "application/json"})
            response.raise_for_status()
        except requests.RequestException as exc:
            # An alert that cannot be delivered must not hide the failure it reports.
            log.error("alert webhook %s failed: %s", self.webhook_conn_id, redact(exc))

    def _send_email(self, alert: dict[str, Any], subject: str) -> None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        from ml_connector.http.redact import redact

        subject = f"[ml-connector] {alert['tenant']}: {subject}"
        body = "<br>".join(f"{key}: {value}" for key, value in alert.items())
        try:
            SmtpNotifier(to=self.email, subject=subject, html_content=body).notify(self.context)
        except Exception as exc:
            log.error("alert e-mail to %s failed: %s", ", ".join(self.email), redact(exc))
