"""Where orders come from. A *source* yields typed ``Order``s in batches; the pipeline
(``crm_sync.pipeline``) plans, stages, writes and checkpoints them without knowing which
source fed it.

Sources today: ``listing.ListingSource`` (the two scheduled jobs, which also re-read the
tenant's quarantined orders) and ``replay.ReplaySource`` (chosen orders re-read by id).
Later: ORDER_CHANGE notifications, order reports. ``for_run.source_for_run`` picks one for a
run; the caller hands it to ``run_pipeline(job, source)``.

The contract, in the order the pipeline uses it:

1. ``batches()`` yields :class:`SourceBatch` es. A batch's ``position`` (if not None) is
   where the source may resume once this batch and every batch before it is checkpointed.
   A batch may carry only a position (no orders), e.g. "this listing window is done".
2. ``hold(failed)`` is called for every order the pipeline could not write: the source
   must not commit past it, so a later run brings it in again.
3. ``commit(position)`` is called after everything up to ``position`` is checkpointed
   (at the end, and every SYNC_FLUSH_SECONDS); the source persists its cursor.

Orders that could not be read travel in a batch's ``unreadable``: the pipeline quarantines
them and they never hold the cursor (a poison order must not block a tenant).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from amazon_ext.amazon.types import Order, UnreadableOrder


@dataclass(frozen=True)
class SourceBatch:
    """Orders to plan together. ``items_included``: the orders carry their items (Orders
    v2026 does), so the pipeline fetches none; otherwise it fetches them for the orders it
    will write. ``position``: the source's resume point once this batch is checkpointed.
    ``unreadable``: orders of the batch that could not be read (quarantined).
    ``creates_new_orders``: overrides the source's for this batch (a re-read of quarantined
    orders brings in new ones even during Update Order Status); None keeps the source's."""

    orders: tuple[Order, ...] = ()
    items_included: bool = False
    position: Any = None  # opaque to the pipeline; None: nothing to commit yet
    unreadable: tuple[UnreadableOrder, ...] = ()
    creates_new_orders: bool | None = None
    #: Write what is staged now, before the next batch (a backfill ends each report and
    #: each turn this way, so its progress is checkpointed and the tenant free for others).
    flush: bool = False


@dataclass(frozen=True)
class FailedOrder:
    """An order the pipeline could not write (reported in Order History)."""

    amazon_order_id: str
    order_status: str
    purchase_date: datetime
    last_update_date: datetime
    # For its Order History row: where it was sold and its total (no buyer data).
    marketplace_id: str = ""
    currency: str = ""
    order_total: Decimal | None = None


@runtime_checkable
class OrderSource(Protocol):
    """What the pipeline needs from a source."""

    #: False: orders the tenant does not hold yet are left alone (Update Order Status only
    #: moves orders already in Zoho; new ones are Sync Amazon Record's job).
    creates_new_orders: bool

    def batches(self) -> Iterator[SourceBatch]:
        """Batches in the order the source's cursor moves."""
        ...

    def hold(self, failed: FailedOrder) -> None:
        """Do not commit past this order: the next run must see it again."""
        ...

    def commit(self, position: Any) -> None:
        """Everything up to ``position`` is checkpointed: persist the cursor."""
        ...
