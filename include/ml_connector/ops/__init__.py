"""The operations page's content, as plain Python: what a tenant's runs did, what waits, what is healthy.

No Airflow here: the plugin (ml_connector.airflow.ops_app) reads Airflow's DAG runs, authorises the
user and hands both to these functions; tests call them directly.
"""
