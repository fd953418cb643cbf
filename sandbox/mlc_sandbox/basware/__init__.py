"""Basware P2P API simulator (FastAPI): tokens, accounting documents behind pre-signed redirects,
vendors and master data with asynchronous requestStatus, webhooks and tasks. See `app.BaswareSimulator`."""

from __future__ import annotations

from mlc_sandbox.basware.app import BaswareSimulator
from mlc_sandbox.basware.settings import BaswareSettings

__all__ = ["BaswareSettings", "BaswareSimulator"]
