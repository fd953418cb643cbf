"""Fixtures for the client integration tests: a fresh pair of simulators on localhost per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlc_sandbox.runner import Sandbox, SandboxOptions


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A fresh pair of simulators per test: faults, settings and logs never leak between tests."""
    with Sandbox(SandboxOptions(invoices=60, suppliers=120)) as running:
        yield running
        running.basware.close()
