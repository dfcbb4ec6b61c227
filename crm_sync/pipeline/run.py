"""``run_pipeline``: one run, from whatever source, to Zoho."""

from __future__ import annotations

import time

from django.conf import settings

from crm_sync.models import AmazonOrderState, StagedRecord
from crm_sync.pipeline.items import not_staged_yet, with_items
from crm_sync.pipeline.job import SyncJob
from crm_sync.pipeline.plan import classify
from crm_sync.pipeline.stage import stage
from crm_sync.pipeline.write import write_staged
from crm_sync.sources import OrderSource, SourceBatch
from history.models import SyncRun


def run_pipeline(job: SyncJob, source: OrderSource) -> None:
    """Stage every batch the source yields; write what is staged at the end, and also
    every SYNC_FLUSH_SECONDS so a long, quota-paced backfill keeps its progress (and the
    source its cursor) if the run is stopped."""
    # Leftovers of an earlier run are rebuilt from Amazon; this run's own (a redelivered
    # task) are kept. A redelivered run lists everything again: count what it fetched.
    # (Not "verify" rows: written orders still to be checked in Zoho, pipeline.verify.)
    StagedRecord.objects.filter(tenant_id=job.tenant_id).exclude(run_id=job.run.pk).exclude(
        action="verify"
    ).delete()
    SyncRun.objects.filter(pk=job.run.pk).update(orders_fetched=0)
    position = None  # where the source may resume once everything staged is written
    held = 0  # job.failed_orders already handed to the source

    def flush() -> None:
        nonlocal held
        write_staged(job)
        for failed in job.failed_orders[held:]:
            source.hold(failed)
        held = len(job.failed_orders)
        if position is not None:
            source.commit(position)

    last_flush = time.monotonic()
    for batch in source.batches():
        if batch.orders:
            _take(job, batch, creates_new_orders=source.creates_new_orders)
        if batch.position is not None:
            position = batch.position
        job.heartbeat()
        if time.monotonic() - last_flush >= settings.SYNC_FLUSH_SECONDS:
            flush()
            last_flush = time.monotonic()
    flush()


def _take(job: SyncJob, batch: SourceBatch, *, creates_new_orders: bool) -> None:
    """Plan one batch, complete the orders to write with their items, stage them."""
    orders = list(batch.orders)
    states = {
        s.amazon_order_id: s
        for s in AmazonOrderState.objects.filter(
            tenant_id=job.tenant_id, amazon_order_id__in=[o.amazon_order_id for o in orders]
        )
    }
    plan = classify(orders, states, creates_new_orders=creates_new_orders)
    full = with_items(job, not_staged_yet(job, plan.new + plan.fill), included=batch.items_included)
    stage(job, plan=plan, states=states, full=full, fetched=len(orders))
