"""SpApiClient: one seller's orders over the Selling Partner API; implements
AmazonOrdersClient exactly like MwsClient, so the jobs never know which one they hold.

* Access: LWA access tokens (amazon_ext.amazon.spapi.lwa), plus one Restricted Data Token per
  client for the buyer's name, email and address (spec §5 "PII and the RDT"). If Amazon
  refuses the RDT (the app has no restricted role) the client carries on with the plain LWA
  token: Amazon then leaves BuyerInfo empty, the mapping files those orders under the
  anonymous "Amazon Customer" contact, and ``run_notes`` says why (spapi/rdt.py).
* Orders: through an :class:`OrdersApi` (v0 today, see orders_v0.py).
* Every call: SpApiTransport (pacing by usage plan, 429 / 5xx / 403 handling).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from amazon_ext.amazon.base import (
    ClientStats,
    fetch_items_concurrently,
    follow_next_tokens,
    walk_item_pages,
)
from amazon_ext.amazon.errors import AmazonCredentialError
from amazon_ext.amazon.marketplaces import SPAPI_ENDPOINTS, marketplace_for
from amazon_ext.amazon.pacing import QuotaPacer
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.spapi.lwa import LwaTokens
from amazon_ext.amazon.spapi.orders_v0 import OrdersApi, OrdersV0
from amazon_ext.amazon.spapi.rdt import RDT_WITHHELD_NOTE, RestrictedTokens
from amazon_ext.amazon.spapi.transport import SpApiTransport
from amazon_ext.amazon.types import Order, OrderItem, OrderPage

__all__ = ["RDT_WITHHELD_NOTE", "SpApiClient"]

# Amazon serves data no fresher than two minutes and rejects a *Before inside them (spec
# §7.4); the extra seconds absorb clock skew between us and Amazon.
FRESHNESS_LAG = timedelta(minutes=2, seconds=15)


class SpApiClient:
    """Reads one seller's orders through SP-API; implements AmazonOrdersClient.

    All marketplaces must be in one SP-API region (the credentials form checks this).
    ``pacer``, ``endpoint_override``, ``time_scale``, ``timeout``, ``app_name`` and
    ``token_url`` default to the process pacer and the AMAZON_* settings; ``orders_api``
    builds the Orders API adapter (v0 by default).
    """

    def __init__(
        self,
        *,
        seller_id: str,
        marketplace_ids: Sequence[str],
        lwa_client_id: str,
        lwa_client_secret: str,
        lwa_refresh_token: str,
        pacer: QuotaPacer | None = None,
        endpoint_override: str | None = None,
        time_scale: float | None = None,
        timeout: float | None = None,
        app_name: str | None = None,
        token_url: str | None = None,
        orders_api: Callable[[SpApiTransport], OrdersApi] = OrdersV0,
    ) -> None:
        self.seller_id = seller_id.strip()
        self.marketplace_ids = [m.strip() for m in marketplace_ids if m and m.strip()]
        self.stats = ClientStats()
        self.run_notes: list[str] = []
        self._tokens = LwaTokens(
            client_id=lwa_client_id,
            client_secret=lwa_client_secret,
            refresh_token=lwa_refresh_token,
            token_url=token_url,
        )
        host, self._config_error = self._region_host()
        client_digest = hashlib.sha256(lwa_client_id.strip().encode()).hexdigest()[:12]
        self._transport = SpApiTransport(
            seller_id=self.seller_id,
            host=host,
            bucket_prefix=f"spapi:{self.seller_id}:{client_digest}",
            stats=self.stats,
            secrets=self._tokens.secrets(),
            pacer=pacer,
            endpoint_override=endpoint_override,
            time_scale=time_scale,
            timeout=timeout,
            app_name=app_name,
            marketplace_ids=self.marketplace_ids,
        )
        self.orders_api: OrdersApi = orders_api(self._transport)
        self._rdt = RestrictedTokens(
            transport=self._transport,
            lwa=self._lwa,
            resources=self.orders_api.restricted_resources,
            run_notes=self.run_notes,
        )

    def __repr__(self) -> str:
        return (
            f"<SpApiClient seller={self.seller_id} marketplaces={','.join(self.marketplace_ids)}>"
        )

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> SpApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- configuration -------------------------------------------------------------------

    def _region_host(self) -> tuple[str, AmazonCredentialError | None]:
        """The SP-API host of the marketplaces' region, or the error to raise on first use."""
        default = SPAPI_ENDPOINTS["na"].removeprefix("https://")
        if not self.marketplace_ids:
            return default, AmazonCredentialError(
                "Enter at least one Marketplace ID, e.g. ATVPDKIKX0DER.", field="marketplace_id_1"
            )
        region = None
        for position, marketplace_id in enumerate(self.marketplace_ids, 1):
            marketplace = marketplace_for(marketplace_id)
            if marketplace is None:
                return default, AmazonCredentialError(
                    f"{marketplace_id} is not an Amazon Marketplace ID.",
                    field=f"marketplace_id_{position}",
                )
            if region is not None and marketplace.spapi_region != region:
                return default, AmazonCredentialError(
                    f"Marketplace {marketplace_id} is in the SP-API "
                    f"{marketplace.spapi_region.upper()} region, the first one in "
                    f"{region.upper()}; one connection serves one region.",
                    field=f"marketplace_id_{position}",
                )
            region = marketplace.spapi_region
        return SPAPI_ENDPOINTS[region].removeprefix("https://"), None

    def _check(self) -> None:
        if self._config_error is not None:
            raise self._config_error

    # ---- tokens --------------------------------------------------------------------------

    def _lwa(self, rejected: str | None = None) -> str:
        return self._tokens.access_token(rejected=rejected)

    def _restricted(self, rejected: str | None = None) -> str:
        """An RDT for the order calls, or the LWA token when the app may not have one."""
        return self._rdt(rejected)

    # ---- orders --------------------------------------------------------------------------

    def iter_order_pages(
        self,
        *,
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
        before: datetime | None = None,
    ) -> Iterator[OrderPage]:
        """getOrders, then getOrders with NextToken until Amazon sends none.

        ``before`` is clamped to 2¼ minutes ago (Amazon refuses fresher windows). Pages are
        fetched lazily; each page's ``window_end`` is the echoed CreatedBefore /
        LastUpdatedBefore (the requested one when Amazon echoes none).
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

    def _walk_orders(self, *, by_created: bool, after: datetime, until: datetime):
        def fetch(next_token: str | None) -> OrderPage:
            page = self.orders_api.orders_page(
                token=self._restricted,
                marketplace_ids=self.marketplace_ids,
                by_created=by_created,
                after=after,
                before=until,
                next_token=next_token,
            )
            return page if page.window_end else replace(page, window_end=until)

        # A generator: nothing is fetched until the first page is asked for.
        yield from follow_next_tokens(fetch(None), fetch)

    def get_orders(self, amazon_order_ids: Sequence[str]) -> list[Order]:
        """getOrder per id (0.5/s, burst 30: cheaper than getOrders' 1/min for a few ids);
        orders come back in the order asked, unknown ids left out."""
        self._check()
        found = []
        for order_id in dict.fromkeys(amazon_order_ids):
            order = self.orders_api.get_order(token=self._restricted, amazon_order_id=order_id)
            if order is not None:
                found.append(order)
        return found

    # ---- items ---------------------------------------------------------------------------

    def list_order_items(self, amazon_order_id: str) -> tuple[OrderItem, ...]:
        """getOrderItems, then with NextToken until none is left (base.walk_item_pages)."""
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

    # ---- credentials ---------------------------------------------------------------------

    def verify(self) -> list[str]:
        """One cheap getOrders (last day, one result, plain LWA token): the LWA client and
        refresh token work, the seller authorized the app in this region and sells in every
        configured marketplace. Returns the configured marketplace ids (Orders v0 cannot
        list a seller's marketplaces)."""
        self._check()
        until = (datetime.now(UTC) - FRESHNESS_LAG).replace(microsecond=0)
        self.orders_api.orders_page(
            token=self._lwa,
            marketplace_ids=self.marketplace_ids,
            by_created=True,
            after=until - timedelta(days=1),
            before=until,
            max_results=1,
        )
        return list(self.marketplace_ids)
