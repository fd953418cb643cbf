"""Airflow plugin: mounts the Basware webhook receiver and the operations page on the API server.

POST {api-server}/ml-connector/webhooks/basware/<tenant_id>; the app lives in
`ml_connector.airflow.webhook_app` (logic in `ml_connector.webhooks`).
GET {api-server}/ml-connector/ops/, in the UI's navigation as "ML Connector"; the app lives in
`ml_connector.airflow.ops_app` (figures in `ml_connector.ops`).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from ml_connector.airflow.ops_app import create_app as create_ops_app
from ml_connector.airflow.webhook_app import create_app

URL_PREFIX = "/ml-connector/webhooks"
OPS_URL_PREFIX = "/ml-connector/ops"


class MlConnectorPlugin(AirflowPlugin):
    name = "ml_connector"
    # AirflowPlugin declares its hooks as plain class attributes.
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "ml-connector webhooks"},  # noqa: RUF012
                    {"app": create_ops_app(), "url_prefix": OPS_URL_PREFIX, "name": "ml-connector operations"}]
    # The page inside the UI (an iframe under /plugin/ml-connector), linked from the navigation bar.
    external_views = [{"name": "ML Connector", "href": f"{OPS_URL_PREFIX}/", "destination": "nav",  # noqa: RUF012
                       "url_route": "ml-connector"}]
