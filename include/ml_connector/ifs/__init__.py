"""IFS Cloud OData client (no Airflow imports)."""

from __future__ import annotations

from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.odata import EnumValue, F, Query, and_, key_predicate, literal, not_, or_

__all__ = [
    "EnumValue", "F", "IfsClient", "Query", "and_", "key_predicate", "literal", "not_", "or_",
]
