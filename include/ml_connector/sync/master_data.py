"""IFS code-part values -> Basware master data, sending only what changed since the last run.

GL accounts (code part A) become Basware `accounts`; the code parts a tenant maps go to `costCenters`
or a generic list `ACC_LIST_n`. A value whose valid-until date has passed is sent with `active=false`:
Basware keeps it for the invoices that already use it, and nothing is ever deleted. Each record's
content hash is kept in the state store, so a run over unchanged values sends nothing. Records Basware
refuses (synchronously, or later in `requestStatus`) are quarantined with Basware's reason and their
hash is not stored, so the next run or `replay_master_data` sends them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ml_connector.basware.master_data import account_record, cost_center_record
from ml_connector.basware.models import UpsertResult
from ml_connector.config import TenantConfig
from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.odata import F, Query
from ml_connector.sync.catalog import normalise
from ml_connector.sync.context import TenantContext
from ml_connector.sync.summary import task_summary
from ml_connector.sync.values import parse_date, parse_timestamp

log = logging.getLogger(__name__)

RECORD_TYPE = "master_data"
ACCOUNTS = "accounts"
COST_CENTERS = "costCenters"
DEFAULT_LANGUAGE = "en-US"
Key = tuple[str, str]  # (target, externalCode)
SHOWN = 100


@dataclass(frozen=True)
class IfsValue:
    company: str
    letter: str
    code: str
    description: str
    valid_until: date | None


@dataclass
class Planned:
    """The records of one run, by target; `changed` are those whose content moved since last sent."""

    records: dict[Key, dict[str, Any]] = field(default_factory=dict)
    hashes: dict[Key, str] = field(default_factory=dict)
    changed: list[Key] = field(default_factory=list)
    inactive: set[Key] = field(default_factory=set)


def targets_of(tenant: TenantConfig, company: str) -> dict[str, str]:
    """Code part letter -> Basware target for one IFS company: A always to accounts."""
    return {"A": ACCOUNTS, **tenant.master_data.targets.get(company, {})}


@dataclass(frozen=True)
class Stream:
    """The values of one code part of one IFS company: one read, with its own `modified` watermark."""

    company: str
    letter: str

    def watermark_name(self, tenant: TenantConfig) -> str:
        # What a record is made of besides the IFS row (target, languages, Basware companies) is in the
        # name: changing it in the tenants file starts a new watermark, so every value is read again.
        shape = json.dumps([targets_of(tenant, self.company)[self.letter],
                            tenant.master_data.languages.get(self.company),
                            sorted(b for b, i in tenant.companies.items() if i == self.company)])
        return f"master_data:{self.company}:{self.letter}:{hashlib.sha256(shape.encode()).hexdigest()[:12]}"


@dataclass
class Read:
    values: list[IfsValue]
    full: bool  # False: only the values modified (or closed) since the watermark
    modified: datetime | None  # the newest modification seen: the next watermark


def read_values(ifs: IfsClient, company: str, letter: str, *, since: datetime | None = None,
                today: date | None = None) -> Read:
    """The values of one code part of one company, with their description and valid-until date.

    With `since` (and a modified column in the field map) only the values IFS changed since then, and
    those whose valid-until date passed since then (closing by date changes no row, but the record
    must go out inactive). IFS dates are whole seconds, so `ge`: a boundary row is read twice at
    worst, and its unchanged hash sends nothing.
    """
    cv = ifs.fields.code_part_values
    value_name = cv.values[letter]
    select = tuple(n for n in (value_name, cv.description, cv.valid_until, cv.modified) if n)
    query = Query(select=select)
    incremental = since is not None and cv.modified is not None
    if incremental and since is not None and cv.modified:
        changed = F(cv.modified).ge(since)
        if cv.valid_until and today:
            changed = changed | (F(cv.valid_until).ge(since.date() - timedelta(days=1))
                                 & F(cv.valid_until).lt(today))
        query = query.where(changed)
    rows = ifs.reads.iter(cv.projection, cv.entity_set, query, keys={cv.company: company},
                          navigation=cv.navigations[letter])
    read = Read([], not incremental, None)
    for row in rows:
        code = normalise(row[value_name])
        read.values.append(IfsValue(
            company, letter, code, str((row.get(cv.description) if cv.description else None) or code),
            parse_date(row.get(cv.valid_until) if cv.valid_until else None)))
        modified = parse_timestamp(row.get(cv.modified)) if cv.modified else None
        if modified and (read.modified is None or modified > read.modified):
            read.modified = modified
    return read


def streams(tenant: TenantConfig) -> list[Stream]:
    return [Stream(company, letter) for company in sorted(set(tenant.companies.values()))
            for letter in sorted(targets_of(tenant, company))]


def read_all(ifs: IfsClient, tenant: TenantConfig) -> Iterator[IfsValue]:
    """Every value of every mapped code part (a full read, as the gap check and the first run need)."""
    for stream in streams(tenant):
        yield from read_values(ifs, stream.company, stream.letter).values


def external_code(value: IfsValue) -> str:
    # Basware's master data spans companies; IFS values are per company, so the company is in the key.
    return f"{value.company}_{value.code}"


def record_for(tenant: TenantConfig, value: IfsValue, today: date) -> tuple[str, dict[str, Any]]:
    """The Basware target and record of one IFS value."""
    target = targets_of(tenant, value.company)[value.letter]
    names = {DEFAULT_LANGUAGE: value.description}
    language = tenant.master_data.languages.get(value.company)
    if language and language != DEFAULT_LANGUAGE:
        names[language] = value.description
    active = value.valid_until is None or value.valid_until >= today
    companies = sorted(b for b, i in tenant.companies.items() if i == value.company)
    code = external_code(value)
    if target == ACCOUNTS:
        return target, account_record(value.code, names, companies, external_code=code, active=active)
    if target == COST_CENTERS:
        return target, cost_center_record(value.code, names, companies, external_code=code, active=active)
    return target, {"externalCode": code, "text_1": value.code, "text_2": value.description,
                    "companies": [{"companyCode": c, "active": active} for c in companies]}


def content_hash(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def plan(tenant: TenantConfig, values: Iterable[IfsValue], sent: Mapping[Key, str], today: date) -> Planned:
    planned = Planned()
    for value in values:
        target, record = record_for(tenant, value, today)
        key = (target, record["externalCode"])
        planned.records[key] = record
        planned.hashes[key] = digest = content_hash(record)
        if sent.get(key) != digest:
            planned.changed.append(key)
        if not _is_active(record):
            planned.inactive.add(key)
    return planned


def _is_active(record: Mapping[str, Any]) -> bool:
    return any(c.get("active") for c in record.get("companies") or ())


def sync_master_data(ctx: TenantContext, *, today: date | None = None, wait_timeout: float = 300.0,
                     sleep: Callable[[float], None] | None = None, full: bool = False) -> dict[str, Any]:
    """One run: read IFS (since each stream's watermark), send the changed records, wait for Basware's
    verdicts, keep the hashes, move the watermarks of the streams Basware took whole. `full`: read
    every value whatever the watermarks say (the hashes still send only what changed)."""
    today = today or datetime.now(UTC).date()
    reads: dict[Stream, Read] = {}
    for stream in streams(ctx.tenant):
        since = None if full else ctx.store.get_watermark(ctx.tenant_id, stream.watermark_name(ctx.tenant))
        reads[stream] = read_values(ctx.ifs, stream.company, stream.letter, since=since, today=today)
    values = [v for read in reads.values() for v in read.values]
    planned = plan(ctx.tenant, values, ctx.store.master_data_hashes(ctx.tenant_id), today)
    failed: dict[Key, str] = {}
    for target in sorted({t for t, _ in planned.changed}):
        keys = [k for k in planned.changed if k[0] == target]
        failed.update(_send(ctx, target, [planned.records[k] for k in keys], wait_timeout, sleep))
    accepted = {k: planned.hashes[k] for k in planned.changed if k not in failed}
    ctx.store.record_master_data_hashes(ctx.tenant_id, accepted, run_id=ctx.run_id)
    _settle_quarantine(ctx, planned, accepted, failed)
    _advance_watermarks(ctx, reads, failed)
    summary = _summary(planned, accepted, failed)
    summary["reads"] = {"full": sum(r.full for r in reads.values()),
                        "incremental": sum(not r.full for r in reads.values())}
    sent = ", ".join(f"{target} {n}" for target, n in summary["sent_by_target"].items())
    log.info("%s", task_summary(ctx.tenant_id, ctx.run_id, "master data IFS -> Basware", summary["counts"],
                                tuple(summary["counts"]),
                                [*([f"sent by target: {sent}"] if sent else []),
                                 f"code-part reads: {summary['reads']['full']} full, "
                                 f"{summary['reads']['incremental']} incremental"]))
    return summary


def _advance_watermarks(ctx: TenantContext, reads: Mapping[Stream, Read], failed: Mapping[Key, str]) -> None:
    """A stream's watermark moves only when Basware took all of it: a refused record is read again."""
    for stream, read in reads.items():
        target = targets_of(ctx.tenant, stream.company)[stream.letter]
        if read.modified is None or any((target, external_code(v)) in failed for v in read.values):
            continue
        ctx.store.advance_watermark(ctx.tenant_id, stream.watermark_name(ctx.tenant), read.modified,
                                    run_id=ctx.run_id)


def _send(ctx: TenantContext, target: str, records: list[dict[str, Any]], wait_timeout: float,
          sleep: Callable[[float], None] | None) -> dict[Key, str]:
    """Post one target's records; the reasons of those Basware refused, by key."""
    md = ctx.basware.master_data
    result: UpsertResult
    if target == ACCOUNTS:
        result = md.upsert_accounts(records)
    elif target == COST_CENTERS:
        result = md.upsert_cost_centers(records)
    else:
        result = md.upsert_list(target, records)
    failed = {(target, e.record_id or ""): e.reason for e in result.rejected}
    waits: dict[str, Any] = {"timeout": wait_timeout, "poll_interval": 1.0}
    if sleep is not None:
        waits["sleep"] = sleep
    for request_id, status in ctx.basware.request_status.wait(result.request_ids, **waits).items():
        if status is None or not status.is_final:
            log.warning("Basware request %s (%s) has no final status yet: its records are sent again next run",
                        request_id, target)
            # Not known to have landed: without a stored hash they go out again next run.
            failed.update({(target, r["externalCode"]): "no final requestStatus" for r in records})
            continue
        for outcome in status.failed_records():
            reason = "; ".join(str(e.get("message") or e) for e in outcome.errors) or "refused by Basware"
            failed[(target, outcome.external_code or "")] = reason
    return failed


def _settle_quarantine(ctx: TenantContext, planned: Planned, accepted: Mapping[Key, str],
                       failed: Mapping[Key, str]) -> None:
    for key, reason in failed.items():
        ctx.store.quarantine(ctx.tenant_id, RECORD_TYPE, record_id(key), "basware_rejected", reason,
                             payload=planned.records.get(key), run_id=ctx.run_id)
    for entry in ctx.store.list_open(ctx.tenant_id, RECORD_TYPE):
        if _key_of(entry.record_id) in accepted:
            ctx.store.resolve(ctx.tenant_id, RECORD_TYPE, entry.record_id)


def record_id(key: Key) -> str:
    return f"{key[0]}/{key[1]}"


def _key_of(rid: str) -> Key:
    target, _, code = rid.partition("/")
    return target, code


def _summary(planned: Planned, accepted: Mapping[Key, str], failed: Mapping[Key, str]) -> dict[str, Any]:
    sent = Counter(t for t, _ in accepted)
    return {
        "counts": {"values": len(planned.records), "unchanged": len(planned.records) - len(planned.changed),
                   "sent": sum(sent.values()), "failed": len(failed),
                   "deactivated": len([k for k in accepted if k in planned.inactive])},
        "sent_by_target": dict(sorted(sent.items())),
        # Lists capped: the summary goes to XCom and the task log, and a first run may send 50,000.
        "deactivated": sorted(record_id(k) for k in accepted if k in planned.inactive)[:SHOWN],
        "failed": {record_id(k): reason for k, reason in sorted(failed.items())[:SHOWN]},
    }


def replay_master_data(ctx: TenantContext, **kw: Any) -> dict[str, Any]:
    """Quarantined master-data records are simply sent again: their hashes were never stored."""
    for entry in ctx.store.list_open(ctx.tenant_id, RECORD_TYPE):
        ctx.store.mark_replayed(ctx.tenant_id, RECORD_TYPE, entry.record_id)
    return sync_master_data(ctx, **kw)
