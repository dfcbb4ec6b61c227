"""Verify, and repair, sales orders whose write cannot be trusted.

Zoho appends an order's ``Ordered_Items`` on every update, so a write that reached Zoho
twice leaves the order with its lines twice and a doubled Grand_Total: a retry after a
timeout while Zoho was still working on the first attempt, a worker killed with the write in
flight, a lost answer. And a retried fill names line rows its first attempt already deleted,
so Zoho refuses it (INVALID_DATA) although it holds exactly our data. The writer keeps such
orders as "verify" rows (``checkpoint.VERIFY``); here each one is read back once anything
still in flight has landed, compared with what we wrote (lines by product and quantity,
Grand_Total, status), and repaired by replacing its lines if it differs. What cannot be made
right is reported as a failed record, and its row is kept, so the next run checks it again.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction

from crm_sync import mapping
from crm_sync.models import StagedRecord
from crm_sync.pipeline.checkpoint import VERIFY
from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.resolve import resolved
from crm_sync.pipeline.staged import StagedRow, staged_rows
from crm_sync.zoho import line_items
from crm_sync.zoho.modules import SALES_ORDERS
from crm_sync.zoho.records import LINE_ITEMS, SalesOrderRecord
from history.models import OrderEvent

logger = logging.getLogger(__name__)

BATCH = 100
REPAIRS = 2  # a repair is itself a write that may be uncertain: check again after it


def verify_orders(job: SyncJob, *, earlier_runs: bool) -> None:
    """Check this run's "verify" rows, or (``earlier_runs``) those a run of this tenant left
    when it died or could not repair them."""
    rows = StagedRecord.objects.filter(
        tenant_id=job.tenant_id, module=SALES_ORDERS, action=VERIFY
    ).order_by("id")
    rows = rows.exclude(run=job.run) if earlier_runs else rows.filter(run=job.run)
    if not rows.exists():
        return
    settle(job)
    last_id = 0
    while batch := staged_rows(rows.filter(id__gt=last_id), BATCH):
        last_id = batch[-1].id
        _verify_batch(job, batch)


def settle(job: SyncJob) -> None:
    """Wait until the latest uncertain write ended at least one client timeout ago: the
    attempt we gave up on had been in Zoho's hands that long already when we retried, so by
    then it has landed (or Zoho dropped it)."""
    if not job.uncertain_at:
        return
    wait = job.uncertain_at + job.zoho.timeout - time.monotonic()
    if wait > 0:
        logger.info("run %s: waiting %.1f s before verifying uncertain writes", job.run.pk, wait)
        time.sleep(wait)
    job.heartbeat()


def _verify_batch(job: SyncJob, batch: list[StagedRow]) -> None:
    ready, unwritable = resolved(job, [row for row in batch if LINE_ITEMS in row.data])
    payloads = {row.pk: data for row, data in ready}
    failed = [(row, f"{why}; it could not be checked in Zoho CRM") for row, why in unwritable]
    verified = []
    for row in batch:
        if LINE_ITEMS in row.data and row.pk not in payloads:
            continue  # unwritable, reported above
        data = payloads.get(row.pk) or row.data
        reason = _check_and_repair(job, row, data)
        (failed.append((row, reason)) if reason else verified.append(row))
    counts, events = Counts(), []
    for row, reason in failed:
        counts.records_failed += 1
        job.failures.append(f"Order {row.amazon_key}: {reason}")
        events.append(
            OrderEvent(
                tenant_id=job.tenant_id,
                run=job.run,
                amazon_order_id=row.amazon_key,
                action=OrderEvent.Action.FAILED,
                new_status=row.order_status,
                amazon_last_update=row.amazon_last_update,
                zoho_record_id=row.zoho_id,
                message=reason[:1000],
            )
        )
    with transaction.atomic():
        # Rows that failed stay: the next run checks them again.
        StagedRecord.objects.filter(pk__in=[row.pk for row in verified]).delete()
        if events:
            OrderEvent.objects.bulk_create(events, ignore_conflicts=True)
        counts.save_to(job.run.pk)
    job.heartbeat()


def _check_and_repair(job: SyncJob, row: StagedRow, data: dict) -> str:
    """ "" once Zoho holds what we wrote (repairing it if needed), else why not."""
    for attempt in range(REPAIRS + 1):
        order = job.zoho.get_sales_order(row.zoho_id)
        if order is None:
            return (
                f"the sales order (Zoho id {row.zoho_id}) is no longer in Zoho CRM; it is "
                "written again when Amazon next changes the order, or replay it from Order "
                "History"
            )
        reason = _difference(job, order, data)
        if not reason:
            if attempt:
                logger.info("run %s: repaired order %s in Zoho", job.run.pk, row.amazon_key)
            return ""
        if attempt == REPAIRS:
            return (
                f"{reason}, still after {REPAIRS} repairs. Check the order in Zoho CRM; the "
                "next run checks it again"
            )
        logger.warning("run %s: order %s: %s; repairing", job.run.pk, row.amazon_key, reason)
        repair = {**data, "id": row.zoho_id}
        if LINE_ITEMS in data:
            repair[LINE_ITEMS] = line_items.lines_replacing(order, data[LINE_ITEMS])
        (result,) = job.zoho.update(SALES_ORDERS, [repair])
        if result.uncertain:
            job.uncertain_at = time.monotonic()
            settle(job)
    return ""  # not reached


def _difference(job: SyncJob, order: SalesOrderRecord, data: dict) -> str:
    if LINE_ITEMS in data:
        reason = line_items.difference(
            order, lines=data[LINE_ITEMS], grand_total=mapping.record_grand_total(data)
        )
        if reason:
            return reason
    names = job.names["Sales_Orders"]
    for key in ("Status", names["Amazon Order Status"]):
        if key in data and order.get(key) != data[key]:
            return f"Zoho's {key} is {order.get(key)!r} where Amazon's order says {data[key]!r}"
    return ""
