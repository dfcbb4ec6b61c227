"""ORDER_CHANGE notifications as a source: the orders behind a live-update run's receipts.

The consumer (crm_sync.services.live_consumer) attaches the receipts of the messages it
received to a live-update run; this source reads them from the database, so a run resumed
after its consumer died (the watchdog, or the next consumer) knows them too.

* Coalesced: several notifications of one order are one ``getOrder`` (the client's
  ``get_orders``, whichever Orders API version serves the tenant).
* Stale ones cost nothing: a change no newer than what we already checkpointed for the order
  (``AmazonOrderState.last_update_date``) needs no call; Amazon's current state is what
  getOrder returns anyway, so reordered notifications cannot make us write an older state.
* ``commit`` marks the receipts written only after the pipeline checkpointed their orders;
  an order the pipeline could not write is held and its receipts stay waiting, so its
  message is not deleted and comes back (and ends in the dead-letter queue if it keeps
  failing). An order Amazon cannot answer is quarantined by the pipeline, as for any
  source, and its receipts are done: the scheduled runs re-read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Max
from django.utils import timezone

from amazon_ext.amazon.base import AmazonOrdersClient
from crm_sync.models import AmazonOrderState, NotificationReceipt
from crm_sync.sources import FailedOrder, SourceBatch
from crm_sync.sources.replay import GROUP, ReplaySource


class NotificationSource:
    """The changed orders of ``run_id``'s waiting receipts, fetched in groups of 50."""

    # An ORDER_CHANGE for an order we do not hold yet is a new order: bring it in.
    creates_new_orders = True

    def __init__(self, *, amazon: AmazonOrdersClient, tenant_id: int, run_id: int) -> None:
        self.amazon = amazon
        self.tenant_id = tenant_id
        self.run_id = run_id
        self._held: set[str] = set()
        self._groups: list[list[str]] = []
        self._stale: list[str] = []
        self.fetched = 0

    def _plan(self) -> None:
        newest = dict(
            self._receipts()
            .values("amazon_order_id")
            .annotate(latest=Max("change_time"))
            .values_list("amazon_order_id", "latest")
        )
        seen = dict(
            AmazonOrderState.objects.filter(
                tenant_id=self.tenant_id, amazon_order_id__in=list(newest)
            ).values_list("amazon_order_id", "last_update_date")
        )
        to_fetch = []
        for order_id, latest in sorted(newest.items()):
            if order_id in seen and latest <= seen[order_id]:
                self._stale.append(order_id)
            else:
                to_fetch.append(order_id)
        self._groups = [to_fetch[i : i + GROUP] for i in range(0, len(to_fetch), GROUP)]

    def _receipts(self):
        return NotificationReceipt.objects.filter(
            run_id=self.run_id, state=NotificationReceipt.State.PENDING
        )

    def batches(self) -> Iterator[SourceBatch]:
        self._plan()
        if not self._groups:
            yield SourceBatch(position=0)  # only stale notifications: commit them
            return
        for position, group in enumerate(self._groups, 1):
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
