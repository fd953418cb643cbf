"""The PostgreSQL server the production-path tests use (127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from ml_connector.state import mask_url


def admin_engine(url: str) -> Engine:
    """An AUTOCOMMIT engine for CREATE/DROP; skips the test when the server is unreachable, unless
    $MLC_REQUIRE_POSTGRES is set (CI sets it: there the production paths must run, never skip)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        if os.environ.get("MLC_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL unreachable at {mask_url(url)}: {' '.join(str(exc.orig).split())}")
    return engine
