"""Replay: chosen orders re-read from Amazon by id and sent through the pipeline again.

Used for a Replay from Order History (one order) or from a run (its failed and quarantined
orders), and by the scheduled runs to re-read the tenant's quarantined orders. A replay has
no cursor: ``hold`` and ``commit`` do nothing, and the listing's cursor is not touched.

Orders are asked for in groups (MWS GetOrder takes 50 ids per call); a group whose answer
holds an order we cannot read is asked for again one id at a time, so the readable ones go
on and the bad one is quarantined again with Amazon's current reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from amazon_ext.amazon.base import AmazonOrdersClient, unreadable_reason
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.types import Order, UnreadableOrder
from crm_sync.sources import FailedOrder, SourceBatch

GROUP = 50
NOT_FOUND = (
    "Amazon did not return this order when asked for it by id (not this seller's, or not "
    "in the connected marketplaces)"
)


class ReplaySource:
    """The given Amazon Order IDs, re-read with the client's ``get_orders``."""

    # A replayed order is brought in whatever schedule first listed it.
    creates_new_orders = True

    def __init__(self, *, amazon: AmazonOrdersClient, amazon_order_ids: Sequence[str]) -> None:
        self.amazon = amazon
        self.amazon_order_ids = list(dict.fromkeys(amazon_order_ids))

    def batches(self) -> Iterator[SourceBatch]:
        items_included = bool(getattr(self.amazon, "items_included", False))
        for start in range(0, len(self.amazon_order_ids), GROUP):
            group = self.amazon_order_ids[start : start + GROUP]
            orders, unreadable = self._read(group)
            yield SourceBatch(
                orders=tuple(orders),
                items_included=items_included,
                unreadable=tuple(unreadable),
                creates_new_orders=True,
            )

    def _read(self, group: list[str]) -> tuple[list[Order], list[UnreadableOrder]]:
        try:
            found = self.amazon.get_orders(group)
        except AmazonResponseError as exc:
            if len(group) == 1:
                return [], [_unreadable(group[0], unreadable_reason(exc))]
            found, unreadable = [], []
            for amazon_order_id in group:
                try:
                    found.extend(self.amazon.get_orders([amazon_order_id]))
                except AmazonResponseError as exc:
                    unreadable.append(_unreadable(amazon_order_id, unreadable_reason(exc)))
            return found, unreadable + self._missing(group, found, unreadable)
        return found, self._missing(group, found, [])

    @staticmethod
    def _missing(
        group: list[str], found: list[Order], unreadable: list[UnreadableOrder]
    ) -> list[UnreadableOrder]:
        seen = {o.amazon_order_id for o in found} | {u.amazon_order_id for u in unreadable}
        return [_unreadable(oid, NOT_FOUND) for oid in group if oid not in seen]

    def hold(self, failed: FailedOrder) -> None:
        """Nothing to hold: a replayed order that fails stays in Order History as failed."""

    def commit(self, position: Any) -> None:
        """No cursor."""


def _unreadable(amazon_order_id: str, reason: str) -> UnreadableOrder:
    return UnreadableOrder(amazon_order_id=amazon_order_id, position=0, reason=reason)
