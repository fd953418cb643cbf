"""Driving and inspecting the simulator from outside the API: the admin endpoints, tests and the demo."""

from __future__ import annotations

from typing import Any

from mlc_sandbox.ifs import writes
from mlc_sandbox.ifs.bodies import coerce
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.errors import bad_query, not_found
from mlc_sandbox.ifs.respond import entity_json
from mlc_sandbox.ifs.rules import Context
from mlc_sandbox.ifs.settings import IfsSettings


def update_settings(ctx: SimContext, changes: dict[str, Any]) -> IfsSettings:
    for name, value in changes.items():
        if name not in IfsSettings.model_fields:
            raise ValueError(f"unknown setting {name!r}")
        setattr(ctx.settings, name, value)  # validated: validate_assignment
    return ctx.settings


def proposals(ctx: SimContext) -> list[dict[str, Any]]:
    """Every proposal with its rows, in the profile's names."""
    db, schema = ctx.db, ctx.db.schema
    with db.lock:
        out = []
        for inv in db.all_rows(schema.invoice.entity_set):
            rows = db.store(schema.posting.entity_set).where(Company=inv.values["Company"],
                                                             InvoiceId=inv.values["InvoiceId"])
            rows.sort(key=lambda r: r.values[schema.names.row_id])
            out.append({**entity_json(schema.invoice, inv), "rows": [entity_json(schema.posting, r) for r in rows]})
        return out


def proposal_counts(ctx: SimContext) -> dict[str, int]:
    """Proposals per external reference (the Basware invoice id): a count above 1 is a duplicate."""
    counts: dict[str, int] = {}
    schema = ctx.db.schema
    with ctx.db.lock:
        for inv in ctx.db.all_rows(schema.invoice.entity_set):
            ref = inv.values.get(schema.names.external_ref)
            if ref:
                counts[ref] = counts.get(ref, 0) + 1
    return counts


def entity(ctx: SimContext, entity_set: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """One entity as the API shows it (None if absent), ignoring company grants."""
    etype = ctx.db.schema.by_set[entity_set]
    with ctx.db.lock:
        row = ctx.db.store(entity_set).get(tuple(key[k] for k in etype.keys))
        return entity_json(etype, row) if row else None


def modify_as_other_user(ctx: SimContext, entity_set: str, key: dict[str, Any],
                         changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Another IFS user saves the entity (with `changes`, or unchanged): its ETag moves on."""
    etype = ctx.db.schema.by_set.get(entity_set)
    if etype is None:
        raise not_found(f"Entity set {entity_set} does not exist.")
    missing = [k for k in etype.keys if k not in key]
    if missing:
        raise bad_query(f"key {', '.join(missing)} missing", "key")
    values = coerce(etype, changes or {}, insert=False)
    rules_ctx = Context(ctx.db, ctx.settings, ctx.settings.other_user)
    with ctx.db.lock:
        row = ctx.db.store(entity_set).get(tuple(key[k] for k in etype.keys))
        if row is None:
            raise not_found(f"The {etype.lu_name} does not exist.")
        writes.update(rules_ctx, etype, row, values, validate=False)
        return entity_json(etype, row)
