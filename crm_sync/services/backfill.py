"""Backfill: bring in a tenant's existing orders over a chosen range (up to two years).

Set up (``backfill_create``: range, marketplaces, one chunk per marketplace and ≤ 30 days),
estimate (``backfill_estimate``), preview (crm_sync.services.preview), then start
(``backfill_start``): one tracked run with the trigger "Backfill", executed by the same task
as every run (its lease, the watchdog's resume of a dead worker), fed by
crm_sync.sources.reports. It does not use Run Now's allowance. One backfill per tenant runs
at a time (a partial unique constraint), and it holds the tenant one batch at a time
(crm_sync.services.backfill_turn). ``backfill_cancel`` stops it at its next batch;
``backfill_resume`` starts a new run for a backfill whose run stopped (failed, time limit):
it begins at the first chunk not processed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from amazon_ext.models import AmazonCredentials, ConnectionKind
from crm_sync.models import AmazonOrderState, Backfill, BackfillChunk, ScheduleKind
from crm_sync.services.enqueue import run_execution_enqueue
from history.models import SyncRun
from tenants.models import Tenant

MAX_RANGE = timedelta(days=731)  # two years (a leap day included)
CHUNK_DAYS = 30
# Amazon's quotas (Reports API 2021-06-30; Orders v2026; MWS ListOrders / ListOrderItems).
CREATE_REPORT_BURST, CREATE_REPORT_RATE = 15, 0.0167
REPORT_LAG_SECONDS = 15 * 60  # Amazon prepares a report in minutes (up to 30)
SEARCH_ORDERS_BURST, SEARCH_ORDERS_RATE = 20, 0.0056
LIST_ORDERS_BURST, LIST_ORDERS_RATE = 6, 1 / 60
LIST_ITEMS_BURST, LIST_ITEMS_RATE = 30, 0.5
ALL_MARKETPLACES = "all"


class BackfillError(Exception):
    """A backfill request refused; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BackfillEstimate:
    """What a backfill will cost: ``reports`` (or listing chunks), the expected Amazon time
    from the quotas, and the same range through the Orders API listing for comparison."""

    via: str
    chunks: int
    expected_orders: int
    amazon_seconds: float
    listing_seconds: float
    note: str


def _floor(calls: int, *, burst: int, rate: float) -> float:
    """Seconds Amazon's bucket needs to allow ``calls`` calls."""
    return max(0, calls - burst) / rate


def _orders_per_day(tenant: Tenant) -> float:
    since = timezone.now() - timedelta(days=30)
    # Orders the daily runs touched lately: a rough daily volume (only for the estimate).
    recent = AmazonOrderState.objects.filter(tenant=tenant, updated_at__gte=since).count()
    return recent / 30


def _via(tenant: Tenant) -> str:
    credentials = AmazonCredentials.objects.filter(tenant=tenant).first()
    if credentials is not None and credentials.kind == ConnectionKind.MWS:
        return Backfill.Via.LISTING
    return Backfill.Via.REPORTS


def chunk_ranges(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    ranges, at, size = [], start, timedelta(days=CHUNK_DAYS)
    while at < end:
        ranges.append((at, min(at + size, end)))
        at += size
    return ranges


def backfill_estimate(
    *, tenant: Tenant, start: datetime, end: datetime, marketplace_ids: list[str]
) -> BackfillEstimate:
    via = _via(tenant)
    ranges = len(chunk_ranges(start, end))
    days = (end - start).total_seconds() / 86400
    orders = round(_orders_per_day(tenant) * days)
    pages = math.ceil(orders / 100)
    listing = _floor(pages, burst=SEARCH_ORDERS_BURST, rate=SEARCH_ORDERS_RATE)
    if via == Backfill.Via.REPORTS:
        reports = ranges * len(marketplace_ids)
        # getReportDocument has createReport's plan: the two floors overlap, not add.
        seconds = (
            _floor(reports, burst=CREATE_REPORT_BURST, rate=CREATE_REPORT_RATE) + REPORT_LAG_SECONDS
        )
        note = (
            f"{reports} order report(s) of at most {CHUNK_DAYS} days, whatever the number of "
            "orders: Amazon allows 15 at once, then one a minute, and prepares each in a few "
            "minutes (up to 30)."
        )
        return BackfillEstimate(via, reports, orders, seconds, listing, note)
    mws = _floor(
        pages * len(marketplace_ids) or ranges, burst=LIST_ORDERS_BURST, rate=LIST_ORDERS_RATE
    )
    mws += _floor(orders, burst=LIST_ITEMS_BURST, rate=LIST_ITEMS_RATE)
    note = (
        "This connection uses Amazon MWS, which has no order reports: the backfill walks the "
        "order listing (one page a minute, and one item call every 2 seconds per order), "
        "so it is much slower than with the Selling Partner API."
    )
    return BackfillEstimate(via, ranges, orders, mws, listing, note)


def _check_range(*, tenant: Tenant, start: datetime, end: datetime, marketplace_ids: list[str]):
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise BackfillError("Dates must carry a time zone.")
    now = timezone.now()
    if start >= end:
        raise BackfillError("The start date must be before the end date.")
    if end > now:
        raise BackfillError("The end date cannot be in the future; choose today or earlier.")
    if end - start > MAX_RANGE:
        raise BackfillError("A backfill covers at most two years; choose a shorter range.")
    credentials = AmazonCredentials.objects.filter(tenant=tenant).first()
    if credentials is None:
        raise BackfillError(
            "Amazon is not connected yet. Enter the credentials in Settings → Extension "
            "Settings first."
        )
    known = set(credentials.marketplace_ids or [])
    if not marketplace_ids:
        raise BackfillError("Choose at least one marketplace.")
    unknown = [m for m in marketplace_ids if m not in known]
    if unknown:
        raise BackfillError(
            f"{', '.join(unknown)} is not one of this organisation's marketplaces "
            f"({', '.join(sorted(known))})."
        )


@transaction.atomic
def backfill_create(
    *, tenant: Tenant, user, start: datetime, end: datetime, marketplace_ids: list[str]
) -> Backfill:
    """A backfill not started yet, with its chunks. Drafts of the tenant left unstarted are
    replaced (only the latest set-up matters)."""
    marketplace_ids = list(dict.fromkeys(marketplace_ids))
    _check_range(tenant=tenant, start=start, end=end, marketplace_ids=marketplace_ids)
    Backfill.objects.filter(tenant=tenant, status=Backfill.Status.DRAFT).delete()
    via = _via(tenant)
    backfill = Backfill.objects.create(
        tenant=tenant,
        start=start,
        end=end,
        marketplace_ids=marketplace_ids,
        via=via,
        created_by=user,
    )
    markets = marketplace_ids if via == Backfill.Via.REPORTS else [ALL_MARKETPLACES]
    chunks, position = [], 0
    for chunk_start, chunk_end in chunk_ranges(start, end):
        for marketplace_id in markets:
            position += 1
            chunks.append(
                BackfillChunk(
                    backfill=backfill,
                    position=position,
                    marketplace_id=marketplace_id,
                    start=chunk_start,
                    end=chunk_end,
                )
            )
    BackfillChunk.objects.bulk_create(chunks)
    return backfill


def _new_run(backfill: Backfill, user) -> SyncRun:
    now = timezone.now()
    run = SyncRun.objects.create(
        tenant_id=backfill.tenant_id,
        schedule=ScheduleKind.SYNC_RECORDS,
        trigger=SyncRun.Trigger.BACKFILL,
        triggered_by=user,
        started_at=now,
        heartbeat_at=now,
    )
    run_execution_enqueue(run_id=run.pk)
    return run


def backfill_settle(*, backfill: Backfill) -> Backfill:
    """A backfill whose run ended without the backfill saying so (the run failed: Zoho or
    Amazon down past the retries, the time limit) is marked failed with the run's error, so
    it can be resumed and another one started."""
    run = backfill.run
    live = backfill.status in (Backfill.Status.RUNNING, Backfill.Status.CANCELLING)
    if live and (run is None or run.outcome != SyncRun.Outcome.RUNNING):
        cancelled = backfill.status == Backfill.Status.CANCELLING
        backfill.status = Backfill.Status.CANCELLED if cancelled else Backfill.Status.FAILED
        backfill.error = "" if cancelled else (run.error if run else "The run was removed.")
        backfill.finished_at = run.finished_at if run else timezone.now()
        backfill.in_batch_since = None
        backfill.save(update_fields=["status", "error", "finished_at", "in_batch_since"])
    return backfill


def _refuse_second(tenant_id: int, backfill_id: int) -> None:
    for live in Backfill.objects.filter(
        tenant_id=tenant_id, status__in=[Backfill.Status.RUNNING, Backfill.Status.CANCELLING]
    ).select_related("run"):
        backfill_settle(backfill=live)
    other = (
        Backfill.objects.filter(
            tenant_id=tenant_id, status__in=[Backfill.Status.RUNNING, Backfill.Status.CANCELLING]
        )
        .exclude(pk=backfill_id)
        .first()
    )
    if other is not None:
        raise BackfillError(
            f"A backfill ({other.start:%d %b %Y}–{other.end:%d %b %Y}) is already running for "
            "this organisation. Wait for it to finish, or cancel it first."
        )


def backfill_start(*, backfill: Backfill, user) -> SyncRun:
    """Start the backfill as a tracked run (no Run Now allowance used)."""
    try:
        with transaction.atomic():
            locked = Backfill.objects.select_for_update().get(pk=backfill.pk)
            if locked.status != Backfill.Status.DRAFT:
                raise BackfillError("This backfill was started already; see its progress.")
            _refuse_second(locked.tenant_id, locked.pk)
            locked.run = _new_run(locked, user)
            locked.status = Backfill.Status.RUNNING
            locked.save(update_fields=["run", "status"])
    except IntegrityError:  # a concurrent start of another backfill won
        raise BackfillError(
            "A backfill is already running for this organisation. Wait for it to finish."
        ) from None
    backfill.refresh_from_db()
    return backfill.run


def backfill_resume(*, backfill: Backfill, user) -> SyncRun:
    """A new run for a backfill whose run stopped (failed, time limit): it starts at the
    first chunk not processed, and asks again for a chunk whose reports ended FATAL."""
    try:
        with transaction.atomic():
            locked = _locked_with_run(backfill)
            run_alive = locked.run is not None and locked.run.outcome == SyncRun.Outcome.RUNNING
            if run_alive:
                raise BackfillError("This backfill is running; its progress is below.")
            if locked.status in (Backfill.Status.FINISHED, Backfill.Status.DRAFT):
                raise BackfillError("There is nothing to resume: start or set up a backfill.")
            _refuse_second(locked.tenant_id, locked.pk)
            locked.chunks.filter(status=BackfillChunk.Status.FAILED).update(
                status=BackfillChunk.Status.PENDING, fatal_count=0, report_id="", error=""
            )
            locked.run = _new_run(locked, user)
            locked.status = Backfill.Status.RUNNING
            locked.error = ""
            locked.finished_at = None
            locked.save(update_fields=["run", "status", "error", "finished_at"])
    except IntegrityError:
        raise BackfillError("A backfill is already running for this organisation.") from None
    backfill.refresh_from_db()
    return backfill.run


def backfill_cancel(*, backfill: Backfill) -> Backfill:
    """Stop at the next batch; what is written stays. A backfill whose run is over already
    is cancelled at once."""
    with transaction.atomic():
        locked = _locked_with_run(backfill)
        if locked.status == Backfill.Status.RUNNING:
            alive = locked.run is not None and locked.run.outcome == SyncRun.Outcome.RUNNING
            locked.status = Backfill.Status.CANCELLING if alive else Backfill.Status.CANCELLED
            if not alive:
                locked.finished_at = timezone.now()
            locked.save(update_fields=["status", "finished_at"])
        elif locked.status == Backfill.Status.DRAFT:
            locked.status = Backfill.Status.CANCELLED
            locked.finished_at = timezone.now()
            locked.save(update_fields=["status", "finished_at"])
    return locked


def _locked_with_run(backfill: Backfill) -> Backfill:
    # Lock only the backfill row: PostgreSQL refuses FOR UPDATE on an outer join's null side.
    return (
        Backfill.objects.select_for_update(of=("self",)).select_related("run").get(pk=backfill.pk)
    )
