"""Basware P2P API client (no Airflow imports)."""

from __future__ import annotations

from ml_connector.basware.client import BaswareClient
from ml_connector.basware.models import AckResult, RequestStatus, UpsertResult

__all__ = ["AckResult", "BaswareClient", "RequestStatus", "UpsertResult"]
