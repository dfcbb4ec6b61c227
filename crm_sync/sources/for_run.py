"""Which source feeds a run: the run's trigger decides (a Replay re-reads its chosen orders;
every other run walks its schedule's listing)."""

from __future__ import annotations

from amazon_ext.amazon.base import AmazonOrdersClient
from crm_sync.sources import OrderSource
from crm_sync.sources.listing import ListingSource
from crm_sync.sources.replay import ReplaySource
from history.models import SyncRun


def source_for_run(
    *, run: SyncRun, amazon: AmazonOrdersClient, marketplace_ids: list[str]
) -> OrderSource:
    if run.trigger == SyncRun.Trigger.LIVE:
        from crm_sync.sources.notifications import NotificationSource

        return NotificationSource(amazon=amazon, tenant_id=run.tenant_id, run_id=run.pk)
    if run.trigger == SyncRun.Trigger.BACKFILL:
        from crm_sync.sources.backfill_for_run import backfill_source_for_run

        return backfill_source_for_run(run=run, amazon=amazon)
    if run.trigger == SyncRun.Trigger.REPLAY:
        return ReplaySource(amazon=amazon, amazon_order_ids=list(run.replay_order_ids or []))
    return ListingSource(
        amazon=amazon,
        tenant_id=run.tenant_id,
        schedule=run.schedule,
        marketplace_ids=marketplace_ids,
    )
