"""MwsClient: one seller's orders over Amazon MWS (Orders 2013-09-01, Sellers 2011-07-01).

The operations of AmazonOrdersClient: NextToken walks, GetOrder batches, concurrent item
fetches and the credentials check. Each call goes through MwsTransport (signing, pacing,
retries, error mapping) and is parsed into the shared types by amazon_ext.amazon.mws.parsing.
Behaviour follows ../shared/specs/amazon-apis.md §1–§3 and §7.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from amazon_ext.amazon.base import (
    ClientStats,
    fetch_items_concurrently,
    follow_next_tokens,
    walk_item_pages,
)
from amazon_ext.amazon.errors import AmazonCredentialError, AmazonResponseError
from amazon_ext.amazon.mws import parsing
from amazon_ext.amazon.mws.operations import GET_ORDER_MAX_IDS, MAX_RESULTS_PER_PAGE
from amazon_ext.amazon.mws.transport import MwsTransport
from amazon_ext.amazon.pacing import QuotaPacer
from amazon_ext.amazon.types import Order, OrderItem, OrderPage
from amazon_ext.amazon.values import iso_z

# Amazon serves data no fresher than two minutes (spec §1, §7.4).
FRESHNESS_LAG = timedelta(minutes=2)
# Bound on the participations walk: far beyond any real account, it only stops a loop.
MAX_PARTICIPATION_PAGES = 100


class MwsClient:
    """Reads one seller's orders through MWS; implements AmazonOrdersClient.

    All marketplaces must be served by one MWS endpoint (the credentials form checks this).
    ``pacer``, ``endpoint_override``, ``time_scale``, ``timeout`` and ``app_name`` default to
    the process pacer and the AMAZON_* settings.
    """

    def __init__(
        self,
        *,
        seller_id: str,
        access_key: str,
        secret_key: str,
        mws_auth_token: str = "",
        marketplace_ids: Sequence[str],
        pacer: QuotaPacer | None = None,
        endpoint_override: str | None = None,
        time_scale: float | None = None,
        timeout: float | None = None,
        app_name: str | None = None,
    ) -> None:
        self.seller_id = seller_id.strip()
        self.marketplace_ids = [m.strip() for m in marketplace_ids if m and m.strip()]
        self.stats = ClientStats()
        self._transport = MwsTransport(
            seller_id=self.seller_id,
            access_key=access_key,
            secret_key=secret_key,
            mws_auth_token=mws_auth_token,
            marketplace_ids=self.marketplace_ids,
            stats=self.stats,
            pacer=pacer,
            endpoint_override=endpoint_override,
            time_scale=time_scale,
            timeout=timeout,
            app_name=app_name,
        )
        self._call = self._transport.call
        self._items_pool: ThreadPoolExecutor | None = None  # made by the first concurrent batch
        self._pool_workers = 0
        self._pool_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<MwsClient seller={self.seller_id} marketplaces={','.join(self.marketplace_ids)}>"

    def close(self) -> None:
        with self._pool_lock:
            pool, self._items_pool = self._items_pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._transport.close()

    def __enter__(self) -> MwsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- orders --------------------------------------------------------------------------

    def iter_order_pages(
        self,
        *,
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
        before: datetime | None = None,
    ) -> Iterator[OrderPage]:
        """ListOrders then ListOrdersByNextToken until Amazon sends no NextToken.

        Pages are fetched lazily, one in memory at a time. The echoed CreatedBefore /
        LastUpdatedBefore is each page's ``window_end``. NextTokenCorrupted raises
        AmazonRequestError(code="NextTokenCorrupted"): restart from the watermark.
        """
        if (created_after is None) == (last_updated_after is None):
            raise ValueError("Pass exactly one of created_after and last_updated_after.")
        by_created = created_after is not None
        after = created_after if by_created else last_updated_after
        for value in (after, before):
            if value is not None and value.tzinfo is None:
                raise ValueError("Amazon dates must be aware datetimes (UTC)")
        latest = datetime.now(UTC) - FRESHNESS_LAG
        until = latest if before is None else min(before, latest)
        after_text, until_text = iso_z(after), iso_z(until)
        self._transport.endpoint()  # credential problems surface before the first page is asked for
        if after >= until:
            return iter(())
        prefix = "Created" if by_created else "LastUpdated"
        params = {
            f"{prefix}After": after_text,
            f"{prefix}Before": until_text,
            "MaxResultsPerPage": str(MAX_RESULTS_PER_PAGE),
            **{f"MarketplaceId.Id.{n}": m for n, m in enumerate(self.marketplace_ids, 1)},
        }
        return self._walk_orders(params)

    def _walk_orders(self, params: dict[str, str]) -> Iterator[OrderPage]:
        def page_of(action: str, call_params: dict[str, str]) -> OrderPage:
            body, request_id = self._call(action, call_params)
            return parsing.parse_orders(body, action=action, request_id=request_id)

        # A generator: nothing is fetched until the first page is asked for.
        yield from follow_next_tokens(
            page_of("ListOrders", params),
            lambda token: page_of("ListOrdersByNextToken", {"NextToken": token}),
        )

    def get_orders(self, amazon_order_ids: Sequence[str]) -> list[Order]:
        """GetOrder in batches of 50; orders come back in the order asked, unknown ids left out."""
        wanted = list(dict.fromkeys(amazon_order_ids))
        found: dict[str, Order] = {}
        for start in range(0, len(wanted), GET_ORDER_MAX_IDS):
            batch = wanted[start : start + GET_ORDER_MAX_IDS]
            params = {f"AmazonOrderId.Id.{n}": oid for n, oid in enumerate(batch, 1)}
            body, request_id = self._call("GetOrder", params)
            page = parsing.parse_orders(body, action="GetOrder", request_id=request_id)
            if page.unreadable:
                # Asked for by id (a replay): an order we cannot read is an error to show,
                # not an order Amazon does not know.
                bad = page.unreadable[0]
                raise AmazonResponseError(
                    f"Amazon's answer for order {bad.amazon_order_id or f'#{bad.position}'} "
                    f"cannot be read: {bad.reason}.",
                    code="MalformedResponse",
                    request_id=request_id,
                )
            found.update((order.amazon_order_id, order) for order in page.orders)
        return [found[oid] for oid in wanted if oid in found]

    # ---- items ---------------------------------------------------------------------------

    def list_order_items(self, amazon_order_id: str) -> tuple[OrderItem, ...]:
        """ListOrderItems then ListOrderItemsByNextToken until no NextToken is left; an item
        repeated on a later page is kept once (see base.walk_item_pages)."""

        def fetch(token: str | None) -> parsing.OrderItemsPage:
            if token is None:
                action, params = "ListOrderItems", {"AmazonOrderId": amazon_order_id}
            else:
                action, params = "ListOrderItemsByNextToken", {"NextToken": token}
            body, request_id = self._call(action, params)
            return parsing.parse_order_items(body, action=action, request_id=request_id)

        return walk_item_pages(amazon_order_id, fetch)

    def list_order_items_many(
        self, amazon_order_ids: Sequence[str], *, max_workers: int = 4
    ) -> dict[str, tuple[OrderItem, ...]]:
        """Items of several orders, ``max_workers`` calls in flight, all paced by one bucket.
        The first error stops the batch and is raised. The worker threads are the client's,
        kept from page to page (a run fetches ~100 pages) until :meth:`close`."""
        return fetch_items_concurrently(
            self.list_order_items,
            amazon_order_ids,
            max_workers=max_workers,
            thread_name="mws-items",
            pool=self._pool_for(max_workers),
        )

    def _pool_for(self, workers: int) -> ThreadPoolExecutor | None:
        """The client's item threads (``workers`` of them, made once); None for a batch
        that wants more threads than the first one did (it then gets a pool of its own)."""
        if workers < 2:
            return None
        with self._pool_lock:
            if self._items_pool is None:
                self._items_pool = ThreadPoolExecutor(workers, thread_name_prefix="mws-items")
                self._pool_workers = workers
            return self._items_pool if workers <= self._pool_workers else None

    # ---- service status and credentials ------------------------------------------------

    def service_status(self) -> parsing.ServiceStatus:
        """GetServiceStatus of the Orders section (GREEN, GREEN_I, YELLOW or RED)."""
        body, request_id = self._call("GetServiceStatus", {})
        return parsing.parse_service_status(body, request_id=request_id)

    def verify(self) -> list[str]:
        """ListMarketplaceParticipations: are the credentials good, and does the seller sell
        in every configured marketplace? Returns the marketplace ids Amazon lists."""
        action = "ListMarketplaceParticipations"
        body, request_id = self._call(action, {})
        page = parsing.parse_participations(body, action=action, request_id=request_id)
        ids = list(page.marketplace_ids)
        token = page.next_token
        for _ in range(MAX_PARTICIPATION_PAGES):
            if not token:
                break
            action = "ListMarketplaceParticipationsByNextToken"
            body, request_id = self._call(action, {"NextToken": token})
            page = parsing.parse_participations(body, action=action, request_id=request_id)
            ids.extend(page.marketplace_ids)
            token = page.next_token
        sold_in = list(dict.fromkeys(ids))
        for position, marketplace_id in enumerate(self.marketplace_ids, 1):
            if marketplace_id not in sold_in:
                raise AmazonCredentialError(
                    f"Marketplace {marketplace_id} is not one this seller sells in "
                    f"(Amazon lists: {', '.join(sold_in) or 'none'}).",
                    field=f"marketplace_id_{position}",
                    code="MarketplaceNotParticipating",
                    request_id=page.request_id,
                )
        return sold_in
