"""Complete the orders the pipeline will write with their items, when the source did not
include them (MWS and Orders v0 list orders without items; Orders v2026 includes them).

Items already fetched are not fetched again: a redelivered run keeps its own staged rows, and
a new listing run adopts the staged rows an earlier run of its schedule left when it failed
(``adopt_staged_work``); an order whose staged row still has the LastUpdateDate Amazon lists
now is left out of the item calls (``not_staged_yet``)."""

from __future__ import annotations

from dataclasses import replace

from django.db import transaction
from django.db.models import Exists, OuterRef

from amazon_ext.amazon.types import Order
from crm_sync.models import AmazonOrderState, StagedRecord, ZohoLink
from crm_sync.pipeline.checkpoint import VERIFY
from crm_sync.pipeline.job import SyncJob
from crm_sync.zoho.modules import SALES_ORDERS
from history.models import SyncRun

# Runs that list from their schedule's cursor: what one staged, another of the same
# schedule lists again (the cursor never passes a staged order). Replays, live updates and
# backfills read other orders and neither adopt nor give away staged work.
LISTING_TRIGGERS = (SyncRun.Trigger.SCHEDULED, SyncRun.Trigger.MANUAL, SyncRun.Trigger.RETRY)


def adopt_staged_work(run: SyncRun) -> int:
    """Make the staged rows of earlier, finished runs of ``run``'s schedule ``run``'s own,
    so the items they were built from are not fetched again; return how many.

    Never from a run still running (it holds its lease or will be resumed with its rows), and
    never a row something wrote since: a sales order whose state was checkpointed at or after
    the row's LastUpdateDate, a product or contact whose Zoho link changed after its run
    started. Of two earlier runs' rows for one record the newer run's is taken. What is not
    adopted is deleted by the caller, as before. An adopted order Amazon lists with another
    LastUpdateDate is fetched and staged afresh (its row is replaced), so nothing goes stale.
    """
    if run.trigger not in LISTING_TRIGGERS:
        return 0
    donors = SyncRun.objects.filter(
        tenant_id=run.tenant_id, schedule=run.schedule, trigger__in=LISTING_TRIGGERS
    ).exclude(outcome=SyncRun.Outcome.RUNNING)
    written_since = AmazonOrderState.objects.filter(
        tenant_id=run.tenant_id,
        amazon_order_id=OuterRef("amazon_key"),
        last_update_date__gte=OuterRef("amazon_last_update"),
    )
    linked_since = ZohoLink.objects.filter(
        tenant_id=run.tenant_id,
        module=OuterRef("module"),
        amazon_key=OuterRef("amazon_key"),
        updated_at__gte=OuterRef("run__started_at"),
    )
    candidates = (
        StagedRecord.objects.filter(tenant_id=run.tenant_id, run__in=donors)
        .exclude(action=VERIFY)
        .annotate(written=Exists(written_since), linked=Exists(linked_since))
        .order_by("-run_id")
        .values_list("pk", "module", "amazon_key", "written", "linked")
    )
    held = set(StagedRecord.objects.filter(run=run).values_list("module", "amazon_key"))
    chosen: list[int] = []
    for pk, module, key, written, linked in candidates.iterator(chunk_size=2000):
        stale = written if module == SALES_ORDERS else linked
        if (module, key) in held or stale:
            continue
        held.add((module, key))
        chosen.append(pk)
    adopted = 0
    with transaction.atomic():
        for start in range(0, len(chosen), 500):
            adopted += (
                StagedRecord.objects.filter(pk__in=chosen[start : start + 500])
                .exclude(run__outcome=SyncRun.Outcome.RUNNING)  # taken by a run meanwhile
                .update(run=run)
            )
    return adopted


# Item calls in flight at once; Amazon's quota, not this, sets the pace against the real service.
ITEM_FETCH_WORKERS = 8


def not_staged_yet(job: SyncJob, orders: list[Order]) -> list[Order]:
    """Leave out orders this run staged already as they are now: a redelivered run (its
    worker died) resumes without fetching their items a second time."""
    staged_at = dict(
        StagedRecord.objects.filter(
            run=job.run, module=SALES_ORDERS, amazon_key__in=[o.amazon_order_id for o in orders]
        ).values_list("amazon_key", "amazon_last_update")
    )
    return [
        o for o in _newest_copies(orders) if staged_at.get(o.amazon_order_id) != o.last_update_date
    ]


def _newest_copies(orders: list[Order]) -> list[Order]:
    """An order listed twice on a page is completed (and its items fetched) once: the copy
    with the newest LastUpdateDate."""
    best: dict[str, Order] = {}
    for order in orders:
        seen = best.get(order.amazon_order_id)
        if seen is None or order.last_update_date > seen.last_update_date:
            best[order.amazon_order_id] = order
    return list(best.values())


def with_items(job: SyncJob, orders: list[Order], *, included: bool) -> list[Order]:
    """The orders with their items: as they came if the source included them, else fetched
    (one call per order; Amazon has no batch)."""
    if included or not orders:
        return orders
    items = job.amazon.list_order_items_many(
        [o.amazon_order_id for o in orders], max_workers=ITEM_FETCH_WORKERS
    )
    return [replace(o, items=tuple(items[o.amazon_order_id])) for o in orders]
