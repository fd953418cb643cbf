"""Airflow plugin: mounts the Basware webhook receiver on the API server.

POST {api-server}/ml-connector/webhooks/basware/<tenant_id>; the app lives in
`ml_connector.airflow.webhook_app` (logic in `ml_connector.webhooks`). Nothing else belongs here.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from ml_connector.airflow.webhook_app import create_app

URL_PREFIX = "/ml-connector/webhooks"


class MlConnectorPlugin(AirflowPlugin):
    name = "ml_connector"
    # AirflowPlugin declares its hooks as plain class attributes.
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "ml-connector webhooks"}]  # noqa: RUF012
