"""Master data pushed to Basware: GL accounts, cost centers and the generic coding lists.

Record shapes (Basware's AccountEntity / CostCenterEntity): names as `[{language, translation}]`, a
required `externalCode`, and the companies the record belongs to. `account_record` and
`cost_center_record` build them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ml_connector.basware.models import UpsertResult
from ml_connector.basware.transport import BaswareTransport, seg

MASTER_DATA_PER_CALL = 500
LIST_PAGE_MAX = 500
LIST_ITEMS_KEY = "listItems"  # GET /v1/lists/{listKey}: {"listItems": [...]}
_LIST_KEY = re.compile(r"^(ACC_LIST_([1-9]|[12][0-9]|3[0-5])|INV_LIST_([1-9]|1[0-9]|20)|CUST_RESOLVER_[1-5])$")


def _names(names: Mapping[str, str]) -> list[dict[str, str]]:
    if not names:
        raise ValueError("at least one name (language -> translation) is required")
    return [{"language": language, "translation": text} for language, text in names.items()]


def account_record(
    account_code: str, names: Mapping[str, str], companies: Iterable[str], *, external_code: str | None = None,
    tax_code: str | None = None, active: bool = True, inherit: bool = False,
) -> dict[str, Any]:
    """An AccountEntity: `accountNames`, `externalCode` (default: the account code), `companies`."""
    record: dict[str, Any] = {
        "externalCode": external_code or account_code,
        "accountCode": account_code,
        "accountNames": _names(names),
        "companies": [{"companyCode": c, "inherit": inherit, "active": active} for c in companies],
    }
    if tax_code:
        record["taxCode"] = tax_code
    return record


def cost_center_record(
    cost_center_code: str, names: Mapping[str, str], companies: Iterable[str], *,
    external_code: str | None = None, active: bool = True,
) -> dict[str, Any]:
    """A CostCenterEntity: `costCenterNames`, `externalCode`, `companies` (the spec's cost center company
    has no `inherit`)."""
    return {
        "externalCode": external_code or cost_center_code,
        "costCenterCode": cost_center_code,
        "costCenterNames": _names(names),
        "companies": [{"companyCode": c, "active": active} for c in companies],
    }


def _check_list_key(list_key: str) -> None:
    if not _LIST_KEY.match(list_key):
        raise ValueError(f"list key must be ACC_LIST_1..35, INV_LIST_1..20 or CUST_RESOLVER_1..5, not {list_key!r}")


class MasterData:
    def __init__(self, transport: BaswareTransport) -> None:
        self._t = transport

    def upsert_accounts(self, accounts: Iterable[Mapping[str, Any]]) -> UpsertResult:
        return self._t.post_chunked("/v1/accounts", accounts, MASTER_DATA_PER_CALL)

    def upsert_cost_centers(self, cost_centers: Iterable[Mapping[str, Any]]) -> UpsertResult:
        return self._t.post_chunked("/v1/costCenters", cost_centers, MASTER_DATA_PER_CALL)

    def upsert_list(self, list_key: str, items: Iterable[Mapping[str, Any]]) -> UpsertResult:
        _check_list_key(list_key)
        return self._t.post_chunked(f"/v1/lists/{seg(list_key)}", items, MASTER_DATA_PER_CALL)

    def iter_list(self, list_key: str, company_code: str | None = None,
                  page_size: int = LIST_PAGE_MAX) -> Iterator[dict[str, Any]]:
        """The items of one generic list, page by page."""
        _check_list_key(list_key)
        if not 1 <= page_size <= LIST_PAGE_MAX:
            raise ValueError(f"page_size must be 1..{LIST_PAGE_MAX}")
        params: dict[str, Any] = {"pageSize": page_size}
        if company_code:
            params["companyCode"] = company_code
        yield from self._t.iter_list(f"/v1/lists/{seg(list_key)}", params, LIST_ITEMS_KEY)
