"""Fixtures for the client integration tests: a fresh pair of simulators on localhost per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import postgres_server
from mlc_sandbox.runner import Sandbox, SandboxOptions

# A fresh SQLite file and a fresh PostgreSQL schema per test (see postgres_server).
pg_admin = postgres_server.pg_admin
db_url = postgres_server.db_url


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A fresh pair of simulators per test: faults, settings and logs never leak between tests."""
    with Sandbox(SandboxOptions(invoices=60, suppliers=120)) as running:
        yield running
        running.basware.close()
