-- Runs once, when the postgres volume is first created: ml-connector's state store (ledger, quarantine,
-- watermarks, audit trail) gets its own database beside Airflow's metadata DB. Tables come from its
-- alembic migrations, run by the first task or command that opens the store.
CREATE DATABASE ml_connector OWNER airflow;
