"""Complete the orders the pipeline will write with their items, when the source did not
include them (MWS and Orders v0 list orders without items; Orders v2026 includes them)."""

from __future__ import annotations

from dataclasses import replace

from amazon_ext.amazon.types import Order
from crm_sync.models import StagedRecord
from crm_sync.pipeline.job import SyncJob
from crm_sync.zoho.modules import SALES_ORDERS

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
