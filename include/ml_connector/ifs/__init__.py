"""IFS Cloud OData client (no Airflow imports)."""

from __future__ import annotations

from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.config import EntitySetConfig, IfsEntities, PostingProposalConfig
from ml_connector.ifs.odata import EnumValue, F, Query, and_, key_predicate, literal, not_, or_

__all__ = [
    "EntitySetConfig", "EnumValue", "F", "IfsClient", "IfsEntities", "PostingProposalConfig", "Query",
    "and_", "key_predicate", "literal", "not_", "or_",
]
