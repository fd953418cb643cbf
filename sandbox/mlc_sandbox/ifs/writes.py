"""Writes as one unit under the database lock: rules before, the row change, rules after."""

from __future__ import annotations

from typing import Any

from mlc_sandbox.ifs.model import EntityType
from mlc_sandbox.ifs.proposals import InvoiceRules, PostingRules
from mlc_sandbox.ifs.rules import CodePartValueRules, Context, Rules, SupplierCompanyRules, SupplierRules
from mlc_sandbox.ifs.store import Row

_NO_RULES = Rules()
_SUPPLIER, _SUPPLIER_COMPANY = SupplierRules(), SupplierCompanyRules()
_INVOICE, _POSTING = InvoiceRules(), PostingRules()


def rules_for(ctx: Context, etype: EntityType) -> Rules:
    schema = ctx.schema
    if etype.entity_set in schema.letter_of:
        return CodePartValueRules(schema.letter_of[etype.entity_set])
    by_type = {schema.supplier.entity_set: _SUPPLIER, schema.supplier_company.entity_set: _SUPPLIER_COMPANY,
               schema.invoice.entity_set: _INVOICE, schema.posting.entity_set: _POSTING}
    return by_type.get(etype.entity_set, _NO_RULES)


def create(ctx: Context, etype: EntityType, values: dict[str, Any]) -> Row:
    rules = rules_for(ctx, etype)
    with ctx.db.lock:
        rules.before_insert(ctx, values)
        row = ctx.db.insert(etype, values, ctx.user)
        rules.after_write(ctx, row)
        return row


def update(ctx: Context, etype: EntityType, row: Row, changes: dict[str, Any], validate: bool = True) -> Row:
    """`validate=False` is the sandbox's "another user" path: IFS client rules are not ours to check."""
    rules = rules_for(ctx, etype)
    with ctx.db.lock:
        if validate:
            rules.before_update(ctx, row, changes)
        ctx.db.update(etype, row, changes, ctx.user)
        rules.after_write(ctx, row)
        return row


def delete(ctx: Context, etype: EntityType, row: Row) -> None:
    rules = rules_for(ctx, etype)
    with ctx.db.lock:
        rules.before_delete(ctx, row)
        ctx.db.delete(etype, row, ctx.user)
        rules.after_delete(ctx, row)
