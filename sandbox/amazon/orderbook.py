"""A deterministic, seeded, mutable, thread-safe order store shared by the MWS and SP-API fakes.

Dates are aware UTC with whole seconds. Windows are half-open: ``after <= date < before``.

Orders are replaced, never mutated in place: ``set_status`` stores a new :class:`BookOrder`,
so a reader that holds an order always sees a consistent snapshot. The records and money rules
are in :mod:`sandbox.amazon.records`, generation in :mod:`sandbox.amazon.generator`.
"""

from __future__ import annotations

import bisect
import dataclasses
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sandbox.amazon import regions
from sandbox.amazon.generator import Generator
from sandbox.amazon.records import (
    HIDDEN_STATUSES,
    ITEMS_PAGE_SIZE,
    OPEN_STATUSES,
    STATUSES,
    BookItem,
    BookOrder,
    epoch_seconds,
    iso_z,
    iso_z_ms,
    money_str,
    order_filter,
    shipped_quantity,
)
from sandbox.common.clock import SandboxClock

__all__ = [
    "HIDDEN_STATUSES",
    "ITEMS_PAGE_SIZE",
    "OPEN_STATUSES",
    "STATUSES",
    "BookItem",
    "BookOrder",
    "OrderBook",
    "iso_z",
    "iso_z_ms",
    "money_str",
    "order_filter",
]


class OrderBook:
    """Orders of one or more sellers, indexed by seller and by PurchaseDate / LastUpdateDate."""

    def __init__(self, clock: SandboxClock | None = None) -> None:
        self.clock = clock or SandboxClock()
        self._lock = threading.RLock()
        self._orders: dict[str, BookOrder] = {}
        self._item_ids: set[str] = set()
        # seller -> sorted keys (purchase ts, id) and the parallel list of order ids
        self._created_keys: dict[str, list[tuple[float, str]]] = {}
        # seller -> sorted keys (last update ts, id)
        self._updated_keys: dict[str, list[tuple[float, str]]] = {}
        self._open: set[str] = set()
        self.version = 0
        # Called with each order added or changed (the ORDER_CHANGE publisher listens).
        self.listeners: list[Callable[[BookOrder], None]] = []

    # ------------------------------------------------------------------ generation
    @classmethod
    def generate(
        cls,
        *,
        seed: int,
        seller_id: str,
        marketplace_ids: list[str],
        orders: int,
        buyers: int,
        products: int,
        start: datetime,
        end: datetime,
    ) -> OrderBook:
        book = cls()
        book.add_generated(
            seed=seed,
            seller_id=seller_id,
            marketplace_ids=marketplace_ids,
            orders=orders,
            buyers=buyers,
            products=products,
            start=start,
            end=end,
        )
        return book

    def add_generated(
        self,
        *,
        seed: int,
        seller_id: str,
        marketplace_ids: list[str],
        orders: int,
        buyers: int,
        products: int,
        start: datetime,
        end: datetime,
    ) -> list[str]:
        """Generate ``orders`` orders for ``seller_id``; returns their ids (generation order)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be aware datetimes")
        if not marketplace_ids:
            raise ValueError("at least one marketplace id is needed")
        for mp in marketplace_ids:
            if mp not in regions.MARKETPLACES:
                raise ValueError(f"unknown marketplace id {mp}")
        if orders < 0 or buyers < 1 or products < 1 or end <= start:
            raise ValueError("need orders >= 0, buyers >= 1, products >= 1 and start < end")
        gen = Generator(
            self._orders.keys(),
            self._item_ids,
            seed,
            seller_id,
            list(marketplace_ids),
            buyers,
            products,
            start,
            end,
        )
        new = [gen.order(i) for i in range(orders)]
        self._insert(new)
        return [o.amazon_order_id for o in new]

    def add_orders(self, orders: Iterable[BookOrder]) -> None:
        """Add hand-built orders (ids must be new)."""
        self._insert(list(orders))

    def _insert(self, new: list[BookOrder]) -> None:
        with self._lock:
            for o in new:
                if o.amazon_order_id in self._orders:
                    raise ValueError(f"duplicate order id {o.amazon_order_id}")
            touched: set[str] = set()
            for o in new:
                self._orders[o.amazon_order_id] = o
                self._created_keys.setdefault(o.seller_id, []).append(
                    (epoch_seconds(o.purchase_date), o.amazon_order_id)
                )
                self._updated_keys.setdefault(o.seller_id, []).append(
                    (epoch_seconds(o.last_update_date), o.amazon_order_id)
                )
                if o.status in OPEN_STATUSES:
                    self._open.add(o.amazon_order_id)
                touched.add(o.seller_id)
            for seller in touched:
                self._created_keys[seller].sort()
                self._updated_keys[seller].sort()
            self.version += 1
        for o in new:
            self._changed(o)

    def _changed(self, order: BookOrder) -> None:
        for listener in list(self.listeners):
            listener(order)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, amazon_order_id: object) -> bool:
        return amazon_order_id in self._orders

    def sellers(self) -> list[str]:
        with self._lock:
            return sorted(self._created_keys)

    def orders(self, seller_id: str) -> list[BookOrder]:
        """All orders of a seller sorted by (PurchaseDate, AmazonOrderId)."""
        with self._lock:
            return [self._orders[oid] for _, oid in self._created_keys.get(seller_id, [])]

    def all_orders(self) -> list[BookOrder]:
        with self._lock:
            return [self._orders[oid] for s in sorted(self._created_keys) for _, oid in
                    self._created_keys[s]]  # fmt: skip

    def get(self, amazon_order_id: str) -> BookOrder:
        """The order, or KeyError."""
        return self._orders[amazon_order_id]

    def find(self, amazon_order_id: str) -> BookOrder | None:
        return self._orders.get(amazon_order_id)

    def scan(
        self,
        seller_id: str,
        *,
        by: str,
        after: datetime,
        before: datetime,
        limit: int,
        cursor: tuple[float, str] | None = None,
        predicate: Callable[[BookOrder], bool] | None = None,
    ) -> tuple[list[BookOrder], tuple[float, str] | None]:
        """One page of a seller's orders with ``after <= date < before``.

        ``by`` is ``"created"`` (PurchaseDate) or ``"updated"`` (LastUpdateDate); results are
        ordered by (date, AmazonOrderId). ``cursor`` is the key of the last order already
        returned. Returns the page and the cursor for the next page (None when no further
        order matches). Work is O(page) plus any orders skipped by ``predicate``.
        """
        if by not in ("created", "updated"):
            raise ValueError("by must be 'created' or 'updated'")
        lo_ts, hi_ts = epoch_seconds(after), epoch_seconds(before)
        page: list[BookOrder] = []
        with self._lock:
            keys = (self._created_keys if by == "created" else self._updated_keys).get(
                seller_id, []
            )
            if cursor is not None and cursor >= (lo_ts, ""):
                pos = bisect.bisect_right(keys, cursor)
            else:
                pos = bisect.bisect_left(keys, (lo_ts, ""))
            n = len(keys)
            while pos < n:
                key = keys[pos]
                if key[0] >= hi_ts:
                    break
                order = self._orders[key[1]]
                if predicate is None or predicate(order):
                    if len(page) == limit:
                        last = page[-1]
                        date = last.purchase_date if by == "created" else last.last_update_date
                        return page, (epoch_seconds(date), last.amazon_order_id)
                    page.append(order)
                pos += 1
        return page, None

    # ------------------------------------------------------------------ mutation
    def set_status(
        self, amazon_order_id: str, status: str, *, at: datetime | None = None
    ) -> BookOrder:
        """Change an order's status and bump LastUpdateDate to ``at`` (default: clock now)."""
        if status not in STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        when = (at or self.clock.now()).astimezone(UTC).replace(microsecond=0)
        with self._lock:
            old = self._orders[amazon_order_id]
            if status == "PendingAvailability" and old.marketplace_id != regions.JP_MARKETPLACE:
                raise ValueError("PendingAvailability exists only for Amazon.co.jp orders")
            items = [dataclasses.replace(i, quantity_shipped=shipped_quantity(i, status, n))
                     for n, i in enumerate(old.items)]  # fmt: skip
            new = dataclasses.replace(old, status=status, last_update_date=when, items=items)
            keys = self._updated_keys[old.seller_id]
            old_key = (epoch_seconds(old.last_update_date), amazon_order_id)
            pos = bisect.bisect_left(keys, old_key)
            if pos < len(keys) and keys[pos] == old_key:
                del keys[pos]
            bisect.insort(keys, (epoch_seconds(when), amazon_order_id))
            self._orders[amazon_order_id] = new
            if status in OPEN_STATUSES:
                self._open.add(amazon_order_id)
            else:
                self._open.discard(amazon_order_id)
            self.version += 1
        self._changed(new)
        return new

    def advance(self, count: int, *, at: datetime | None = None) -> list[str]:
        """Move up to ``count`` open orders (oldest purchase first) one step along
        PendingAvailability → Pending → Unshipped → Shipped (PartiallyShipped → Shipped).
        About one Pending order in ten is Canceled instead. Returns the ids moved."""
        moved: list[str] = []
        with self._lock:
            candidates = sorted(
                (self._orders[oid] for oid in self._open),
                key=lambda o: (o.purchase_date, o.amazon_order_id),
            )[: max(0, count)]
            for o in candidates:
                if o.status == "PendingAvailability":
                    nxt = "Pending"
                elif o.status == "Pending":
                    nxt = "Canceled" if o.amazon_order_id.endswith("0") else "Unshipped"
                else:
                    nxt = "Shipped"
                self.set_status(o.amazon_order_id, nxt, at=at)
                moved.append(o.amazon_order_id)
        return moved

    def to_json(self, seller_id: str | None = None) -> list[dict]:
        orders = self.orders(seller_id) if seller_id else self.all_orders()
        return [o.to_dict() for o in orders]
