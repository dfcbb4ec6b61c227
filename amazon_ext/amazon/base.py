"""What every Amazon orders client offers, whichever API (MWS today, SP-API later) it speaks.

The sync job depends only on this protocol and on the shared types and errors, so switching
a tenant from MWS to SP-API changes nothing downstream.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from amazon_ext.amazon import values
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.types import Order, OrderItem, OrderPage, UnreadableOrder

# What reading one hostile order can raise: our own refusal, a value error, Decimal / float
# overflow (``1e999999999``, ``1e300`` seconds) and a value nested past the stack.
UNREADABLE_ORDER_ERRORS = (AmazonResponseError, ValueError, ArithmeticError, RecursionError)
REASON_LIMIT = 300


@dataclass
class ClientStats:
    """What one client sent and received; the sync job reports it in Amazon Sync History.

    ``calls`` counts HTTP requests per operation (retries included), ``throttled`` the
    throttling answers Amazon gave despite pacing, ``retries`` the requests sent again.
    """

    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_call(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def count_throttled(self) -> None:
        with self._lock:
            self.throttled += 1

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def as_dict(self) -> dict:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "throttled": self.throttled,
                "retries": self.retries,
            }


@runtime_checkable
class AmazonOrdersClient(Protocol):
    """Reads one seller's orders and order items. Every method may raise
    :class:`amazon_ext.amazon.errors.AmazonError` subclasses; none returns partial data."""

    stats: ClientStats

    def iter_order_pages(
        self,
        *,
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
        before: datetime | None = None,
    ) -> Iterator[OrderPage]:
        """Orders created (or last updated) in ``[after, before)``, one page at a time.

        Exactly one of ``created_after`` / ``last_updated_after``. ``before`` is clamped to
        two minutes ago; the last page's ``window_end`` is the next run's watermark.
        """
        ...

    def list_order_items(self, amazon_order_id: str) -> tuple[OrderItem, ...]:
        """All items of one order (every items page)."""
        ...

    def list_order_items_many(
        self, amazon_order_ids: Sequence[str], *, max_workers: int = 4
    ) -> dict[str, tuple[OrderItem, ...]]:
        """Items for several orders, fetched concurrently within the quota."""
        ...

    def get_orders(self, amazon_order_ids: Sequence[str]) -> list[Order]:
        """The current state of the given orders (unknown ids are left out)."""
        ...

    def verify(self) -> list[str]:
        """Check the credentials and marketplaces; return the seller's marketplace ids.

        Raises AmazonCredentialError whose ``field`` names the credential to fix.
        """
        ...


def read_each_order(
    elements: Sequence[object],
    read: Callable[[object], Order],
    *,
    id_of: Callable[[object], str | None],
    request_id: str | None,
) -> tuple[tuple[Order, ...], tuple[UnreadableOrder, ...]]:
    """Read a page's orders one by one: an order that cannot be read is set aside as an
    :class:`UnreadableOrder` (to be quarantined) and the others are kept, so one poison order
    never blocks a tenant. An order listed twice (pages shift while Amazon answers) is kept
    once, the copy with the newest LastUpdateDate."""
    orders: list[Order] = []
    unreadable: list[UnreadableOrder] = []
    for position, element in enumerate(elements, 1):
        try:
            orders.append(read(element))
        except UNREADABLE_ORDER_ERRORS as exc:
            unreadable.append(
                UnreadableOrder(
                    amazon_order_id=_readable_id(id_of, element),
                    position=position,
                    reason=unreadable_reason(exc),
                    request_id=request_id,
                )
            )
    return newest_per_order(orders), tuple(unreadable)


def unreadable_reason(exc: BaseException) -> str:
    """Why one order could not be read, in a line (field and clipped value, no buyer data)."""
    if isinstance(exc, RecursionError):
        return "a value in it is nested too deeply to be read"
    detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
    if isinstance(exc, ArithmeticError) and not isinstance(exc, AmazonResponseError):
        detail = f"a number in it is out of range ({type(exc).__name__})"
    return values.clip(str(detail), REASON_LIMIT)


def _readable_id(id_of: Callable[[object], str | None], element: object) -> str | None:
    try:
        raw = id_of(element)
        return values.check_order_id(raw) if isinstance(raw, str) else None
    except UNREADABLE_ORDER_ERRORS:
        return None


def newest_per_order(orders: Sequence[Order]) -> tuple[Order, ...]:
    """One order per AmazonOrderId, the newest LastUpdateDate winning, in first-seen order:
    two copies would make staging touch one row twice (PostgreSQL refuses that)."""
    kept: dict[str, Order] = {}
    for order in orders:
        seen = kept.get(order.amazon_order_id)
        if seen is None or order.last_update_date > seen.last_update_date:
            kept[order.amazon_order_id] = order  # an overwritten key keeps its place
    return tuple(kept.values())


# A listing longer than this is a loop on Amazon's side, not a backlog (20 million orders).
MAX_ORDER_PAGES = 200_000


def follow_next_tokens(
    first_page: OrderPage, fetch_next: Callable[[str], OrderPage]
) -> Iterator[OrderPage]:
    """Yield ``first_page`` and every page its NextTokens lead to, one at a time. A token
    that comes back unchanged would loop forever: stop with a clear error instead."""
    yield first_page
    token = first_page.next_token
    for _ in range(MAX_ORDER_PAGES):
        if not token:
            return
        page = fetch_next(token)
        if page.next_token == token:
            raise AmazonResponseError(
                "Amazon returned the same NextToken twice; the listing stopped.",
                code="NextTokenLoop",
                request_id=page.request_id,
            )
        yield page
        token = page.next_token
    raise AmazonResponseError(
        f"Amazon kept sending NextTokens after {MAX_ORDER_PAGES} pages; stopped.",
        code="NextTokenLoop",
    )


# Bounds on item NextToken walks: far beyond any real order, they only stop a looping server.
MAX_ITEM_PAGES = 1_000


class ItemsPage(Protocol):
    """One page of an order's items, as both parsers return it."""

    amazon_order_id: str
    items: tuple[OrderItem, ...]
    next_token: str | None
    request_id: str | None


def walk_item_pages(
    amazon_order_id: str, fetch: Callable[[str | None], ItemsPage]
) -> tuple[OrderItem, ...]:
    """Every item of one order: ``fetch(None)``, then ``fetch(token)`` until no NextToken.

    Each page must be of the order asked for (else nothing is saved); a NextToken that comes
    back unchanged would loop and stops with an error. An item Amazon repeats on a later page
    (same OrderItemId: pages shifted while we walked) is kept once, where it first came, so
    the CRM never gets a line twice.
    """
    items: dict[str, OrderItem] = {}
    token: str | None = None
    for _ in range(MAX_ITEM_PAGES):
        page = fetch(token)
        if page.amazon_order_id != amazon_order_id:
            raise AmazonResponseError(
                f"Amazon answered items of {page.amazon_order_id[:60]} when asked for "
                f"{amazon_order_id}; nothing was saved.",
                code="MalformedResponse",
                request_id=page.request_id,
            )
        if token is not None and page.next_token == token:
            raise AmazonResponseError(
                "Amazon returned the same items NextToken twice.",
                code="NextTokenLoop",
                request_id=page.request_id,
            )
        for item in page.items:
            items.setdefault(item.order_item_id, item)
        token = page.next_token
        if not token:
            return tuple(items.values())
    raise AmazonResponseError(
        f"Order {amazon_order_id} has more than {MAX_ITEM_PAGES} item pages; stopped.",
        code="NextTokenLoop",
    )


def fetch_items_concurrently(
    list_order_items: Callable[[str], tuple[OrderItem, ...]],
    amazon_order_ids: Sequence[str],
    *,
    max_workers: int,
    thread_name: str,
    pool: ThreadPoolExecutor | None = None,
) -> dict[str, tuple[OrderItem, ...]]:
    """Items of several orders, ``max_workers`` calls in flight (the client's pacer keeps
    them within Amazon's quota). The first error stops the batch and is raised. ``pool``
    (the client's, at least ``max_workers`` threads) saves starting and joining threads
    for every page; without it the batch has a pool of its own."""
    wanted = list(dict.fromkeys(amazon_order_ids))
    workers = max(1, min(max_workers, len(wanted)))
    if workers == 1:
        return {oid: list_order_items(oid) for oid in wanted}
    results: dict[str, tuple[OrderItem, ...]] = {}
    stop = threading.Event()

    def walk(share: Sequence[str]) -> None:
        # One task per worker walking its share, not one per order: 100 futures a page
        # cost more CPU in queue hand-offs and wake-ups than the calls' own client work.
        for oid in share:
            if stop.is_set():
                return
            try:
                results[oid] = list_order_items(oid)
            except BaseException:
                stop.set()
                raise

    own = pool is None
    if pool is None:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name)
    futures = []
    try:
        futures = [pool.submit(walk, wanted[n::workers]) for n in range(workers)]
        for future in as_completed(futures):
            future.result()
    finally:
        stop.set()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
        else:
            wait(futures)  # no walk of this batch goes on after it returned or raised
    return {oid: results[oid] for oid in wanted}
