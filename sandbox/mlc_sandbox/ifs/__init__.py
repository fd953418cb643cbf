"""IFS Cloud OData v4 simulator: Keycloak tokens, projections with ETags, posting proposals."""

from __future__ import annotations

from .app import IfsSimulator
from .settings import IfsSettings

__all__ = ["IfsSettings", "IfsSimulator"]
