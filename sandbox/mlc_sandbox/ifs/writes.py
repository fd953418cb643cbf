"""Writes as one unit under the database lock: rules before, the row change, rules after."""

from __future__ import annotations

from typing import Any

from mlc_sandbox.ifs.entities import CODE_PART_VALUE, INVOICE, POSTING, SUPPLIER, SUPPLIER_COMPANY
from mlc_sandbox.ifs.model import EntityType
from mlc_sandbox.ifs.proposals import InvoiceRules, PostingRules
from mlc_sandbox.ifs.rules import CodePartValueRules, Context, Rules, SupplierCompanyRules, SupplierRules
from mlc_sandbox.ifs.store import Row

_RULES: dict[str, Rules] = {
    SUPPLIER.entity_set: SupplierRules(),
    SUPPLIER_COMPANY.entity_set: SupplierCompanyRules(),
    CODE_PART_VALUE.entity_set: CodePartValueRules(),
    INVOICE.entity_set: InvoiceRules(),
    POSTING.entity_set: PostingRules(),
}
_NO_RULES = Rules()


def rules_for(etype: EntityType) -> Rules:
    return _RULES.get(etype.entity_set, _NO_RULES)


def create(ctx: Context, etype: EntityType, values: dict[str, Any]) -> Row:
    rules = rules_for(etype)
    with ctx.db.lock:
        rules.before_insert(ctx, values)
        row = ctx.db.insert(etype, values, ctx.user)
        rules.after_write(ctx, row)
        return row


def update(ctx: Context, etype: EntityType, row: Row, changes: dict[str, Any], validate: bool = True) -> Row:
    """`validate=False` is the sandbox's "another user" path: IFS client rules are not ours to check."""
    rules = rules_for(etype)
    with ctx.db.lock:
        if validate:
            rules.before_update(ctx, row, changes)
        ctx.db.update(etype, row, changes, ctx.user)
        rules.after_write(ctx, row)
        return row


def delete(ctx: Context, etype: EntityType, row: Row) -> None:
    rules = rules_for(etype)
    with ctx.db.lock:
        rules.before_delete(ctx, row)
        ctx.db.delete(etype, row, ctx.user)
        rules.after_delete(ctx, row)
