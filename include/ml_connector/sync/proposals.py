"""One IFS posting proposal per Basware invoice: look it up by its external reference (the Basware
invoice id), then create or reconcile. IFS names come from the client's field map.

The lookup, not the ledger, is what makes a crash between "created in IFS" and "recorded in the
ledger" safe: the rerun finds the proposal and only compares. IFS itself allows two proposals with
the same ExternalRef, so when it already holds two we stop rather than add a third.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from ml_connector.http.errors import OutcomeUnknownError
from ml_connector.ifs.batch import BatchPart
from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.many import Read
from ml_connector.ifs.odata import F, Query, entity_path
from ml_connector.sync.errors import DuplicateProposals, ProposalOutcomeUnknown
from ml_connector.sync.mapping import ProposalDraft
from ml_connector.sync.values import decimal_or_none

log = logging.getLogger(__name__)

# Re-lookups after a create whose answer was lost: now, then after these pauses (seconds).
DEFAULT_SETTLE: tuple[float, ...] = (0.0, 1.0, 3.0)
ROW_SYNC_ATTEMPTS = 3


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ProposalKey:
    keys: tuple[tuple[str, Any], ...]  # ((company name, "10"), (invoice id name, 5))

    @classmethod
    def of(cls, entity: Mapping[str, Any], names: Sequence[str]) -> ProposalKey:
        return cls(tuple((n, entity[n]) for n in names))

    def as_dict(self) -> dict[str, Any]:
        return dict(self.keys)

    @property
    def ref(self) -> str:
        """`10/5`: Company/InvoiceId, what the AP team sees in Basware as the voucher."""
        return "/".join(str(v) for _, v in self.keys)


class UpsertResult(NamedTuple):
    key: ProposalKey
    outcome: Outcome


def find_proposals(ifs: IfsClient, company: str, external_ref: str) -> list[dict[str, Any]]:
    cfg = ifs.fields.posting_proposals
    query = Query(filter=F(cfg.company).eq(company) & F(cfg.external_ref).eq(external_ref), orderby=cfg.keys)
    return list(ifs.reads.iter(cfg.projection, cfg.entity_set, query))


Lookups = dict[tuple[str, str], list[dict[str, Any]]]


def find_proposals_for(ifs: IfsClient, wanted: Iterable[tuple[str, str]], page_size: int, *,
                       use_batch: bool = True) -> Lookups:
    """The proposals of many (company, external ref) pairs, one query per `page_size` pairs (ExternalRef
    in a list), the queries sent together as GETs of one $batch (`use_batch`); every pair asked for is
    a key of the answer, found or not."""
    cfg = ifs.fields.posting_proposals
    pairs = list(dict.fromkeys(wanted))
    found: Lookups = {pair: [] for pair in pairs}
    reads = []
    for start in range(0, len(pairs), page_size):
        page = pairs[start:start + page_size]
        companies = sorted({c for c, _ in page})
        reads.append(Read(cfg.entity_set, Query(
            filter=F(cfg.company).any_of(companies) & F(cfg.external_ref).any_of(r for _, r in page),
            orderby=cfg.keys)))
    for rows in ifs.read_all(cfg.projection, reads, use_batch=use_batch):
        for entity in rows:
            pair = (str(entity.get(cfg.company)), str(entity.get(cfg.external_ref)))
            if pair in found:
                found[pair].append(entity)
    return found


def upsert_proposal(
    ifs: IfsClient, draft: ProposalDraft, *, settle: Sequence[float] = DEFAULT_SETTLE,
    sleep: Callable[[float], None] = time.sleep, found: list[dict[str, Any]] | None = None,
    batch: bool = True,
) -> UpsertResult:
    """`found`: what a look-up made under this invoice's lock already found (None: look it up here).
    `batch`: create the proposal and its rows in one $batch change set, else one request each."""
    cfg = ifs.fields.posting_proposals
    if found is None:
        found = find_proposals(ifs, draft.company, draft.invoice_id)
    current = _single(ifs, found, draft)
    if current is None:
        key = _create(ifs, draft, batch, settle, sleep)
        log.info("Created IFS proposal %s for Basware invoice %s (no. %s)", key.ref, draft.invoice_id,
                 draft.header.get("invoice_no"))
        return UpsertResult(key, Outcome.CREATED)
    key = ProposalKey.of(current, cfg.keys)
    changed = _update_header(ifs, key, draft, current)
    changed = _sync_rows(ifs, key, draft.rows) or changed
    if changed:
        log.info("Updated IFS proposal %s for Basware invoice %s (no. %s)", key.ref, draft.invoice_id,
                 draft.header.get("invoice_no"))
    return UpsertResult(key, Outcome.UPDATED if changed else Outcome.UNCHANGED)


def _single(ifs: IfsClient, found: list[dict[str, Any]], draft: ProposalDraft) -> dict[str, Any] | None:
    if len(found) > 1:
        refs = ", ".join("/".join(str(p.get(k)) for k in ifs.fields.posting_proposals.keys) for p in found)
        raise DuplicateProposals(
            f"IFS already holds {len(found)} proposals for this invoice ({refs}); remove the extra ones "
            "in IFS, then replay", record_id=draft.invoice_id)
    return found[0] if found else None


def _create(ifs: IfsClient, draft: ProposalDraft, batch: bool, settle: Sequence[float],
            sleep: Callable[[float], None]) -> ProposalKey:
    """Header and rows; no read-back: IFS answered the create with the rows we sent."""
    cfg = ifs.fields.posting_proposals
    header = {k: v for k, v in cfg.header_body(draft.company, draft.header).items() if v is not None}
    rows = [{k: v for k, v in cfg.row_body(r).items() if v is not None} for r in draft.rows]
    try:
        if batch:
            parts = [BatchPart("POST", entity_path(cfg.entity_set), header),
                     *(BatchPart("POST", f"$1/{cfg.rows.navigation}", row) for row in rows)]
            answers = ifs.batch.change_set(cfg.projection, parts, record_id=draft.invoice_id)
            return ProposalKey.of(answers[0].body or {}, cfg.keys)
        entity, _etag = ifs.writes.create(cfg.projection, cfg.entity_set, header)
    except OutcomeUnknownError as exc:
        log.warning("Creating the proposal for invoice %s may or may not have reached IFS (%s); looking it up",
                    draft.invoice_id, exc)
        key = ProposalKey.of(_settled(ifs, draft, settle, sleep), cfg.keys)
        _sync_rows(ifs, key, draft.rows)  # a change set is all or nothing, one request per row is not
        return key
    key = ProposalKey.of(entity, cfg.keys)
    try:
        for row in rows:
            ifs.writes.create(cfg.projection, cfg.entity_set, row, keys=key.as_dict(),
                              navigation=cfg.rows.navigation)
    except OutcomeUnknownError:
        _sync_rows(ifs, key, draft.rows)
    return key


def _settled(ifs: IfsClient, draft: ProposalDraft, settle: Sequence[float],
             sleep: Callable[[float], None]) -> dict[str, Any]:
    for pause in settle:
        if pause:
            sleep(pause)
        found = _single(ifs, find_proposals(ifs, draft.company, draft.invoice_id), draft)
        if found is not None:
            return found
    raise ProposalOutcomeUnknown(
        f"proposal create for invoice {draft.invoice_id} got no answer and IFS does not show it; "
        "left for the next run, which looks it up first")


def _update_header(ifs: IfsClient, key: ProposalKey, draft: ProposalDraft, current: Mapping[str, Any]) -> bool:
    cfg = ifs.fields.posting_proposals
    header = cfg.header_body(draft.company, draft.header)
    desired = {k: v for k, v in header.items() if v is not None and k not in cfg.keys}  # never clear one
    if not differences(current, desired):
        return False
    ifs.writes.update(cfg.projection, cfg.entity_set, key.as_dict(), _change_to(desired))
    return True


def _sync_rows(ifs: IfsClient, key: ProposalKey, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Make the posting rows equal `rows`, matched by position (row id order); True if anything changed."""
    changed = False
    for attempt in range(1, ROW_SYNC_ATTEMPTS + 1):
        try:
            return _sync_rows_once(ifs, key, rows) or changed
        except OutcomeUnknownError as exc:
            # A row create may have landed: read the rows again and diff once more.
            changed = True
            log.warning("Row change on proposal %s got no answer (%s); re-reading rows (attempt %d)",
                        key.ref, exc, attempt)
    raise ProposalOutcomeUnknown(f"posting rows of proposal {key.ref} could not be confirmed; "
                                 "left for the next run")


def _sync_rows_once(ifs: IfsClient, key: ProposalKey, logical_rows: Sequence[Mapping[str, Any]]) -> bool:
    cfg = ifs.fields.posting_proposals
    names = cfg.rows
    rows = [cfg.row_body(r) for r in logical_rows]
    existing = sorted(ifs.reads.iter(cfg.projection, cfg.entity_set, keys=key.as_dict(),
                                     navigation=names.navigation), key=lambda r: r.get(names.row_id) or 0)
    changed = False
    for current, wanted in zip(existing, rows, strict=False):
        if differences(current, wanted):
            row_key = {k: current[k] for k in names.keys}
            ifs.writes.update(cfg.projection, names.entity_set, row_key, _change_to(wanted))
            changed = True
    for wanted in rows[len(existing):]:
        ifs.writes.create(cfg.projection, cfg.entity_set, {k: v for k, v in wanted.items() if v is not None},
                          keys=key.as_dict(), navigation=names.navigation)
        changed = True
    for surplus in existing[len(rows):]:
        ifs.writes.delete(cfg.projection, names.entity_set, {k: surplus[k] for k in names.keys})
        changed = True
    return changed


def _change_to(desired: Mapping[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """The change IfsClient.update applies; after a 412 it is diffed again against the fresh row."""
    def change(current: dict[str, Any]) -> dict[str, Any] | None:
        return differences(current, desired) or None

    return change


def differences(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The desired fields whose value IFS does not already hold (amounts compared as numbers)."""
    return {k: v for k, v in desired.items() if not same(current.get(k), v)}


def same(current: Any, desired: Any) -> bool:
    if desired is None or desired == "":
        return current is None or current == ""
    if isinstance(desired, (Decimal, int, float)) and not isinstance(desired, bool):
        have = decimal_or_none(current)
        return have is not None and have == decimal_or_none(desired)
    if isinstance(desired, date):
        return isinstance(current, str) and current[:10] == desired.isoformat()
    return current is not None and str(current).strip() == str(desired).strip()
