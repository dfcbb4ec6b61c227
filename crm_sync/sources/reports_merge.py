"""Report orders merged with what polling and live updates already wrote: an order whose
report row is not newer than what we hold (``AmazonOrderState.last_update_date``) is left
out, so an older report never overwrites newer data; one we hold as Pending that the report
shows complete, inside the buyer-data window, is read again with getOrder (v2026, items
included) so its buyer is not lost (reports carry none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.models import AmazonOrderState

BUYER_DATA_WINDOW = timedelta(days=getattr(settings, "BACKFILL_BUYER_DATA_DAYS", 30))


@dataclass(frozen=True)
class Merged:
    orders: list[Order]
    stale_skipped: int
    completed_by_get_order: int


def merge_with_held(orders: list[Order], *, tenant_id: int, amazon, now: datetime) -> Merged:
    """The report orders to write: without what we hold as new or newer, and with the Pending
    orders we hold that the report shows complete read again by getOrder while Amazon still
    gives their buyer."""
    states = {
        s.amazon_order_id: s
        for s in AmazonOrderState.objects.filter(
            tenant_id=tenant_id, amazon_order_id__in=[o.amazon_order_id for o in orders]
        ).only("amazon_order_id", "last_update_date", "complete")
    }
    kept, refetch, stale = [], [], 0
    window_start = now - BUYER_DATA_WINDOW
    for order in orders:
        state = states.get(order.amazon_order_id)
        if state is not None and order.last_update_date <= state.last_update_date:
            stale += 1
            continue
        if (
            state is not None
            and not state.complete
            and mapping.is_complete(order)
            and order.purchase_date >= window_start
            and getattr(amazon, "items_included", False)
        ):
            refetch.append(order)
            continue
        kept.append(order)
    completed = 0
    if refetch:
        fresh = {
            o.amazon_order_id: o for o in amazon.get_orders([o.amazon_order_id for o in refetch])
        }
        completed = len(fresh)
        kept += [fresh.get(o.amazon_order_id, o) for o in refetch]
    return Merged(kept, stale, completed)
