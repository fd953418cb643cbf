"""Provider info behind the `apache_airflow_provider` entry point: our two connection types and forms.

Forms are declarative (`conn-fields`, `ui-field-behaviour`) as Airflow 3.2+ wants; the hooks' old
form methods are deprecated. Extra fields are stored as `extra__<conn_type>__<field>`.
"""

from __future__ import annotations

from typing import Any


def _text(label: str, description: str, default: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if default is not None:
        schema["default"] = default
    return {"label": label, "description": description, "schema": schema}


def _password(label: str, description: str) -> dict[str, Any]:
    """A secret extra: the form masks it; Airflow encrypts extras like the password."""
    schema = {"type": ["string", "null"], "format": "password"}
    return {"label": label, "description": description, "schema": schema}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "ml-connector",
        "name": "ml-connector (IFS Cloud and Basware P2P)",
        "description": "Connection types and hooks for Basware P2P and IFS Cloud.",
        "versions": ["0.1.0"],
        "connection-types": [
            {
                "connection-type": "basware",
                "hook-class-name": "ml_connector.airflow.hooks.BaswareHook",
                "hook-name": "Basware P2P",
                "conn-fields": {
                    "region": _text("Region", "Basware region, validated against the tenant file's region "
                                              "map (eu, eu-test, ... or sandbox)", "eu"),
                    "scopes": _text("Scopes", "Space-separated OAuth2 scopes; blank = all the connector "
                                              "needs"),
                    "request_id_header": _text("Request-id header", "Header carrying a fresh UUID on "
                                                                    "every call", "X-BW-REQUEST-ID"),
                    "webhook_secret": _password("Webhook secret", "HMAC-SHA256 key of the Basware webhook "
                                                                  "subscription; `ml-connector subscribe` "
                                                                  "generates it when blank"),
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {"host": "Base URL", "login": "Client ID", "password": "Client secret"},
                    "placeholders": {"host": "https://api.basware.com (blank = the region's URL)",
                                     "login": "OAuth2 client id", "password": "OAuth2 client secret"},
                },
            },
            {
                "connection-type": "ifscloud",
                "hook-class-name": "ml_connector.airflow.hooks.IfsCloudHook",
                "hook-name": "IFS Cloud",
                "conn-fields": {
                    "realm": _text("Realm (namespace)", "IAM realm in the token URL "
                                                        "/auth/realms/{realm}/protocol/openid-connect/token"),
                    "projection_path": _text("Projection path", "Projection segment: main, int or b2b",
                                             "main"),
                    "companies": _text("Companies", "Comma-separated IFS companies the service user must "
                                                    "see (checked by Test connection)"),
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {"host": "IFS Cloud URL", "login": "Client ID", "password": "Client secret"},
                    "placeholders": {"host": "https://yourcompany.ifs.cloud", "login": "IAM client id",
                                     "password": "IAM client secret"},
                },
            },
        ],
    }
