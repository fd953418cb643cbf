"""Alembic environment: only ever run through ml_connector.state.migrate, on the caller's connection.

The caller holds the transaction (and the migration lock), so alembic must not open its own.
"""

from __future__ import annotations

from alembic import context

from ml_connector.state.models import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the state store migrations with StateStore.migrate(), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,  # Airflow's metadata may sit in the same database with its own table
    transactional_ddl=True,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
