"""IFS Cloud OData v4 simulator: Keycloak tokens, projections with ETags, posting proposals."""

from __future__ import annotations

from mlc_sandbox.ifs.app import IfsSimulator
from mlc_sandbox.ifs.settings import IfsSettings

__all__ = ["IfsSettings", "IfsSimulator"]
