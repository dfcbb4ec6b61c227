"""ORDER_CHANGE notifications as a source: the orders behind a live-update run's receipts.

The consumer (crm_sync.services.live_consumer) attaches the receipts of the messages it
received to a live-update run; this source reads them from the database, so a run resumed
after its consumer died (the watchdog, or the next consumer) knows them too.

* Coalesced: several notifications of one order are one ``getOrder`` (the client's
  ``get_orders``, whichever Orders API version serves the tenant).
* Stale ones cost nothing: a change no newer than what we already checkpointed for the order
  (``AmazonOrderState.last_update_date``) needs no call; Amazon's current state is what
  getOrder returns anyway, so reordered notifications cannot make us write an older state.
* A status change of an order we already hold in full needs no call either: its newest
  notification's Summary carries the status, marketplace and purchase date
  (OrderChangeNotification.json, amzn/selling-partner-api-models @e56ecc2c: MarketplaceId,
  OrderStatus "The current order status", PurchaseDate are required), and a status write is
  all the pipeline does for such an order (``pipeline.plan``: never its money or buyer
  again). New orders, Pending ones (money and buyer still to come) and notifications
  without a readable Summary are fetched. LIVE_UPDATES_STATUS_FROM_SUMMARY off fetches all.
* ``commit`` marks the receipts written only after the pipeline checkpointed their orders;
  an order the pipeline could not write is held and its receipts stay waiting, so its
  message is not deleted and comes back (and ends in the dead-letter queue if it keeps
  failing). An order Amazon cannot answer is quarantined by the pipeline, as for any
  source, and its receipts are done: the scheduled runs re-read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.utils import timezone

from amazon_ext.amazon.base import AmazonOrdersClient
from amazon_ext.amazon.types import Order
from crm_sync import mapping
from crm_sync.models import AmazonOrderState, NotificationReceipt
from crm_sync.sources import FailedOrder, SourceBatch
from crm_sync.sources.replay import GROUP, ReplaySource


class NotificationSource:
    """The changed orders of ``run_id``'s waiting receipts: status changes of orders we hold
    read from the notifications, the rest fetched in groups of 50."""

    # An ORDER_CHANGE for an order we do not hold yet is a new order: bring it in.
    creates_new_orders = True

    def __init__(self, *, amazon: AmazonOrdersClient, tenant_id: int, run_id: int) -> None:
        self.amazon = amazon
        self.tenant_id = tenant_id
        self.run_id = run_id
        self._held: set[str] = set()
        self._from_summary: list[Order] = []
        self._groups: list[list[str]] = []  # group 0: the orders read from their Summary
        self._stale: list[str] = []
        self.fetched = 0

    def _plan(self) -> None:
        newest: dict[str, NotificationReceipt] = {}
        for receipt in self._receipts().only(*_SUMMARY_FIELDS).order_by("change_time", "pk"):
            newest[receipt.amazon_order_id] = receipt  # the latest change wins
        seen = {
            s.amazon_order_id: s
            for s in AmazonOrderState.objects.filter(
                tenant_id=self.tenant_id, amazon_order_id__in=list(newest)
            ).only("amazon_order_id", "last_update_date", "complete")
        }
        to_fetch = []
        for order_id, receipt in sorted(newest.items()):
            state = seen.get(order_id)
            if state is not None and receipt.change_time <= state.last_update_date:
                self._stale.append(order_id)
            elif state is not None and state.complete and (order := _from_summary(receipt)):
                self._from_summary.append(order)
            else:
                to_fetch.append(order_id)
        self._groups = [[o.amazon_order_id for o in self._from_summary]]
        self._groups += [to_fetch[i : i + GROUP] for i in range(0, len(to_fetch), GROUP)]

    def _receipts(self):
        return NotificationReceipt.objects.filter(
            run_id=self.run_id, state=NotificationReceipt.State.PENDING
        )

    def batches(self) -> Iterator[SourceBatch]:
        self._plan()
        # Position 1: the Summary group (and every stale notification) is through.
        yield SourceBatch(orders=tuple(self._from_summary), creates_new_orders=True, position=1)
        for position, group in enumerate(self._groups[1:], 2):
            self.fetched += len(group)
            for batch in ReplaySource(amazon=self.amazon, amazon_order_ids=group).batches():
                yield SourceBatch(
                    orders=batch.orders,
                    items_included=batch.items_included,
                    unreadable=batch.unreadable,
                    creates_new_orders=True,
                    position=position,
                )

    def hold(self, failed: FailedOrder) -> None:
        """Its receipts stay waiting: the message is not deleted and comes back."""
        self._held.add(failed.amazon_order_id)

    def commit(self, position: Any) -> None:
        """Everything in the first ``position`` groups (and every stale notification) is
        checkpointed: mark those receipts written."""
        done = set(self._stale)
        for group in self._groups[: int(position or 0)]:
            done.update(group)
        done -= self._held
        if done:
            self._receipts().filter(amazon_order_id__in=sorted(done)).update(
                state=NotificationReceipt.State.DONE, done_at=timezone.now(), reason=""
            )


_SUMMARY_FIELDS = (
    "amazon_order_id",
    "change_time",
    "change_type",
    "order_status",
    "marketplace_id",
    "purchase_date",
    "latest_delivery_date",
)


def _from_summary(receipt: NotificationReceipt) -> Order | None:
    """The order as its notification's Summary tells it, for a status write; None when the
    notification cannot stand in for getOrder."""
    if not settings.LIVE_UPDATES_STATUS_FROM_SUMMARY:
        return None
    if not (receipt.order_status and receipt.marketplace_id and receipt.purchase_date):
        return None
    order = Order(
        amazon_order_id=receipt.amazon_order_id,
        purchase_date=receipt.purchase_date,
        last_update_date=receipt.change_time,
        order_status=receipt.order_status,
        marketplace_id=receipt.marketplace_id,
        latest_delivery_date=receipt.latest_delivery_date,
    )
    # Pending again (never seen, but not ours to guess): fetch it.
    return order if mapping.is_complete(order) else None
