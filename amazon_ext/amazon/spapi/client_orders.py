"""SpApiClient's reading of orders and items: listing windows page by page (v2026's
paginationToken re-lists a window when Amazon refuses it), getOrder by id, and v0's
getOrderItems. A mixin, so the client's set-up and its choice of Orders API stay in
spapi/client.py; it relies on that class's ``orders_api``, ``_v0`` / ``_v2026``,
``_on_v2026``, ``_served``, ``_restricted``, ``_check`` and ``_buyer_data``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from amazon_ext.amazon.base import (
    MAX_ORDER_PAGES,
    fetch_items_concurrently,
    follow_next_tokens,
    walk_item_pages,
)
from amazon_ext.amazon.errors import AmazonRequestError, AmazonResponseError
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.spapi.orders_v0 import OrdersApi
from amazon_ext.amazon.spapi.transport import AmazonNotFoundError
from amazon_ext.amazon.types import Order, OrderItem, OrderPage

# Amazon serves data no fresher than two minutes and rejects a *Before inside them (spec
# §7.4); the extra seconds absorb clock skew between us and Amazon.
FRESHNESS_LAG = timedelta(minutes=2, seconds=15)
# Times one window may be listed again from its start after a refused paginationToken.
MAX_RELISTS = 3

logger = logging.getLogger("amazon_ext.amazon.spapi")


class SpApiOrders:
    """Orders and items of one seller (mixed into SpApiClient)."""

    def iter_order_pages(
        self,
        *,
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
        before: datetime | None = None,
    ) -> Iterator[OrderPage]:
        """searchOrders (or v0 getOrders) and its next pages until Amazon sends no token.

        ``before`` is clamped to 2¼ minutes ago (Amazon refuses fresher windows). Pages are
        fetched lazily; each page's ``window_end`` is the echoed createdBefore /
        lastUpdatedBefore (the requested one when Amazon echoes none).
        """
        if (created_after is None) == (last_updated_after is None):
            raise ValueError("Pass exactly one of created_after and last_updated_after.")
        by_created = created_after is not None
        after = created_after if by_created else last_updated_after
        for value in (after, before):
            if value is not None and value.tzinfo is None:
                raise ValueError("Amazon dates must be aware datetimes (UTC)")
        latest = (datetime.now(UTC) - FRESHNESS_LAG).replace(microsecond=0)
        until = latest if before is None else min(before, latest)
        self._check()  # credential problems surface before the first page is asked for
        if after >= until:
            return iter(())
        return self._walk_orders(by_created=by_created, after=after, until=until)

    def _page(self, api: OrdersApi, *, by_created, after, until, next_token=None) -> OrderPage:
        page = api.orders_page(
            token=self._restricted,
            marketplace_ids=self.marketplace_ids,
            by_created=by_created,
            after=after,
            before=until,
            next_token=next_token,
        )
        page = page if page.window_end else replace(page, window_end=until)
        if api is self._v0 and self._fill_items and page.orders:
            page = replace(page, orders=tuple(self._with_items(page.orders)))
        return page

    def _with_items(self, orders: Sequence[Order]) -> list[Order]:
        items = self.list_order_items_many([o.amazon_order_id for o in orders])
        return [replace(o, items=items[o.amazon_order_id]) for o in orders]

    def _walk_orders(self, *, by_created: bool, after: datetime, until: datetime):
        window = {"by_created": by_created, "after": after, "until": until}
        if self.orders_api is self._v2026:
            first = self._on_v2026(
                lambda: self._page(self._v2026, **window), lambda: self._page(self._v0, **window)
            )
        else:
            first = self._page(self._v0, **window)
            self._served()
        if self.orders_api is self._v0:
            # A generator: nothing more is fetched until the next page is asked for.
            yield from follow_next_tokens(
                first, lambda token: self._page(self._v0, next_token=token, **window)
            )
            return
        yield from self._walk_v2026(first, window)

    def _walk_v2026(self, page: OrderPage, window: dict) -> Iterator[OrderPage]:
        """Follow paginationTokens. A refused token (expired after 24 h, or Amazon no longer
        knows it) re-lists the window from its start, at most MAX_RELISTS times; orders this
        walk already yielded are left out, so nothing is lost and nothing comes twice."""
        seen: set[str] = set()
        relists = 0
        for _ in range(MAX_ORDER_PAGES):
            fresh = tuple(o for o in page.orders if o.amazon_order_id not in seen)
            seen.update(o.amazon_order_id for o in fresh)
            self._buyer_data.count(fresh)
            yield replace(page, orders=fresh) if len(fresh) != len(page.orders) else page
            token = page.next_token
            if not token:
                return
            try:
                following = self._page(self._v2026, next_token=token, **window)
            except AmazonNotFoundError:
                raise
            except AmazonRequestError as exc:
                if relists >= MAX_RELISTS:
                    raise
                relists += 1
                logger.info(
                    "seller %s: paginationToken refused (%s); listing the window again from %s",
                    self.seller_id,
                    exc.code,
                    window["after"],
                )
                following = self._page(self._v2026, **window)
            if following.next_token and following.next_token == token:
                raise AmazonResponseError(
                    "Amazon returned the same paginationToken twice; the listing stopped.",
                    code="NextTokenLoop",
                    request_id=following.request_id,
                )
            page = following
        raise AmazonResponseError(
            f"Amazon kept sending paginationTokens after {MAX_ORDER_PAGES} pages; stopped.",
            code="NextTokenLoop",
        )

    def get_orders(self, amazon_order_ids: Sequence[str]) -> list[Order]:
        """getOrder per id (v2026: 0.5/s, burst 30; there is no lookup by a list of ids);
        orders come back in the order asked, unknown ids left out."""
        self._check()
        found = []
        for order_id in dict.fromkeys(amazon_order_ids):

            def get(api: OrdersApi, order_id: str = order_id) -> Order | None:
                return api.get_order(token=self._restricted, amazon_order_id=order_id)

            if self.orders_api is self._v2026:
                order = self._on_v2026(
                    lambda get=get: get(self._v2026), lambda get=get: get(self._v0)
                )
            else:
                order = get(self._v0)
                self._served()
            if order is not None:
                if self.orders_api is self._v2026:
                    self._buyer_data.count([order])
                elif self._fill_items:
                    order = self._with_items([order])[0]
                found.append(order)
        return found

    # ---- items ---------------------------------------------------------------------------

    def list_order_items(self, amazon_order_id: str) -> tuple[OrderItem, ...]:
        """getOrderItems (v0), then with NextToken until none is left (base.walk_item_pages);
        on v2026 the items of one getOrder (callers honouring ``items_included`` never ask)."""
        self._check()

        def fetch(token: str | None) -> parsing.OrderItemsPage:
            return self.orders_api.order_items_page(
                token=self._restricted, amazon_order_id=amazon_order_id, next_token=token
            )

        return walk_item_pages(amazon_order_id, fetch)

    def list_order_items_many(
        self, amazon_order_ids: Sequence[str], *, max_workers: int = 4
    ) -> dict[str, tuple[OrderItem, ...]]:
        """Items of several orders, ``max_workers`` calls in flight, all paced by one bucket.
        The first error stops the batch and is raised."""
        return fetch_items_concurrently(
            self.list_order_items,
            amazon_order_ids,
            max_workers=max_workers,
            thread_name="spapi-items",
        )
