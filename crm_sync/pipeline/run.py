"""``run_pipeline``: one run, from whatever source, to Zoho."""

from __future__ import annotations

import time

from django.conf import settings

from crm_sync.models import StagedRecord
from crm_sync.pipeline.items import adopt_staged_work, not_staged_yet
from crm_sync.pipeline.job import SyncJob
from crm_sync.pipeline.plan import classify, order_states
from crm_sync.pipeline.quarantine import Quarantine
from crm_sync.pipeline.stage import stage
from crm_sync.pipeline.write import SENT, write_staged
from crm_sync.services.data_protection_settings import staging_protection
from crm_sync.sources import OrderSource, SourceBatch
from crm_sync.zoho.modules import SALES_ORDERS
from history.models import SyncRun

# A staged sales order waits until written (or failed); "verify" rows are written already.
WAITING_ACTIONS = ("create", "fill", "status", *SENT.values())


def run_pipeline(job: SyncJob, source: OrderSource) -> None:
    """Stage every batch the source yields; write what is staged at the end, and also
    every SYNC_FLUSH_SECONDS so a long, quota-paced backfill keeps its progress (and the
    source its cursor) if the run is stopped. An order that cannot be read or mapped is
    quarantined (``quarantine``) and does not hold the cursor; the rest go on."""
    # Leftovers an earlier run of this schedule left unwritten are adopted, so their items
    # are not fetched again (items.py); other leftovers of finished runs are deleted and
    # rebuilt from Amazon. Those of a run still running are kept: this one's (a redelivered
    # task), a backfill's waiting between its turns. (Not "verify" rows either: written
    # orders still to be checked in Zoho, pipeline.verify.) A redelivered run lists
    # everything again: count what it fetched.
    adopt_staged_work(job.run)
    StagedRecord.objects.filter(tenant_id=job.tenant_id).exclude(
        run__outcome=SyncRun.Outcome.RUNNING
    ).exclude(action="verify").delete()
    SyncRun.objects.filter(pk=job.run.pk).update(orders_fetched=0, orders_expected=None)
    position = None  # where the source may resume once everything staged is written
    held = 0  # job.failed_orders already handed to the source
    quarantine = Quarantine(job)
    committed_at = time.monotonic()
    finished = 0  # sales orders this run staged and no longer waits for (written, failed)

    def flush(*, final: bool) -> None:
        # Mid-run flushes write full batches only (pipeline.write); the source's position
        # waits until nothing staged does, and SYNC_PARTIAL_WRITE_SECONDS bounds that wait.
        nonlocal held, committed_at, finished
        overdue = time.monotonic() - committed_at >= settings.SYNC_PARTIAL_WRITE_SECONDS
        waiting = orders_waiting(job.run.pk)
        drained = write_staged(job, final=final or overdue)
        finished += waiting - orders_waiting(job.run.pk)
        for failed in job.failed_orders[held:]:
            source.hold(failed)
        held = len(job.failed_orders)
        if drained:
            committed_at = time.monotonic()
            if position is not None:
                source.commit(position)
        elif position is not None and hasattr(source, "commit_before_waiting"):
            source.commit_before_waiting(position, run_id=job.run.pk)

    last_flush = time.monotonic()
    for batch in source.batches():
        quarantine.record(batch.unreadable, listed=True)
        if batch.orders:
            creates = batch.creates_new_orders
            _take(
                job,
                batch,
                creates_new_orders=source.creates_new_orders if creates is None else creates,
                quarantine=quarantine,
            )
        if batch.position is not None:
            position = batch.position
        job.heartbeat()
        if batch.flush or time.monotonic() - last_flush >= settings.SYNC_FLUSH_SECONDS:
            flush(final=False)
            last_flush = time.monotonic()
    if job.run.trigger != SyncRun.Trigger.BACKFILL:
        # Everything is listed and staged: the number of orders to write is known. (A
        # backfill spans tasks and turns; its progress is counted in reports.)
        SyncRun.objects.filter(pk=job.run.pk).update(
            orders_expected=finished + orders_waiting(job.run.pk)
        )
    flush(final=True)
    quarantine.resolve()


def orders_waiting(run_id: int) -> int:
    """The run's staged sales orders still to be written (``write_staged``'s "waits")."""
    return StagedRecord.objects.filter(
        run_id=run_id, module=SALES_ORDERS, action__in=WAITING_ACTIONS
    ).count()


def _take(
    job: SyncJob, batch: SourceBatch, *, creates_new_orders: bool, quarantine: Quarantine
) -> None:
    """Plan one batch, complete the orders to write with their items (per order: one whose
    items cannot be read is quarantined), leave out what cannot be mapped, stage the rest."""
    orders = list(batch.orders)
    states = order_states(
        tenant_id=job.tenant_id, amazon_order_ids=[o.amazon_order_id for o in orders]
    )
    plan = classify(orders, states, creates_new_orders=creates_new_orders)
    quarantine.flag_unknown_statuses(plan)
    full = quarantine.with_items(
        not_staged_yet(job, plan.new + plan.fill), included=batch.items_included
    )
    # Mapped once, with the tenant's keyer: the quarantine's mapping is what is staged.
    protection = staging_protection(tenant_id=job.tenant_id)
    mapped = quarantine.mapped(full, protection.keyer)
    stage(
        job,
        plan=plan,
        states=states,
        full=[m.order for m in mapped],
        fetched=len(orders),
        mapped=mapped,
        protection=protection,
    )
    # Orders we now hold (or are writing); one this schedule leaves alone is not "through".
    new = {o.amazon_order_id for o in plan.new}
    quarantine.went_on(o for o in orders if o.amazon_order_id in states or o.amazon_order_id in new)
