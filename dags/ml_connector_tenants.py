"""Every tenant's ml-connector DAGs, built from the tenants file ($ML_CONNECTOR_TENANTS)."""

from ml_connector.airflow.dag_factory import register_tenant_dags

register_tenant_dags(globals())
