"""SpApiClient: one seller's orders over the Selling Partner API; implements
AmazonOrdersClient exactly like MwsClient, so the jobs never know which one they hold.

* Access: LWA access tokens (amazon_ext.amazon.spapi.lwa), plus one Restricted Data Token per
  client for the buyer's name, email and address (spec §5 "PII and the RDT"). If Amazon
  refuses the RDT (the app has no restricted role) the client carries on with the plain LWA
  token: Amazon then leaves BuyerInfo empty, the mapping files those orders under the
  anonymous "Amazon Customer" contact, and ``run_notes`` says why.
* Orders: through an :class:`OrdersApi` (v0 today, see orders_v0.py).
* Every call: SpApiTransport (pacing by usage plan, 429 / 5xx / 403 handling).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from amazon_ext.amazon.base import (
    ClientStats,
    fetch_items_concurrently,
    follow_next_tokens,
)
from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonResponseError,
)
from amazon_ext.amazon.marketplaces import SPAPI_ENDPOINTS, marketplace_for
from amazon_ext.amazon.pacing import QuotaPacer
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.spapi.lwa import AccessToken, LwaTokens, refresh_margin
from amazon_ext.amazon.spapi.operations import CREATE_RDT, RDT_PATH
from amazon_ext.amazon.spapi.orders_v0 import OrdersApi, OrdersV0
from amazon_ext.amazon.spapi.transport import SpApiTransport
from amazon_ext.amazon.types import Order, OrderItem, OrderPage

# Amazon serves data no fresher than two minutes and rejects a *Before inside them (spec
# §7.4); the extra seconds absorb clock skew between us and Amazon.
FRESHNESS_LAG = timedelta(minutes=2, seconds=15)
MAX_ITEM_PAGES = 1_000
RDT_WITHHELD_NOTE = (
    "buyer data withheld: the app has no Restricted Data Token role, so Amazon sent no buyer "
    "name, email or street address; these orders use the anonymous Amazon Customer contact."
)


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
        self._rdt: AccessToken | None = None
        self._rdt_refused = False
        self._rdt_lock = threading.Lock()

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
        with self._rdt_lock:
            if not self._rdt_refused:
                rdt = self._rdt
                if rdt is not None and rdt.usable() and rdt.value != rejected:
                    return rdt.value
                resources = self.orders_api.restricted_resources()
                if resources:
                    self._rdt = self._request_rdt(resources)
                    if self._rdt is not None:
                        return self._rdt.value
        return self._lwa(rejected)

    def _request_rdt(self, resources: list[dict]) -> AccessToken | None:
        started = time.time()
        try:
            body, request_id = self._transport.call(
                CREATE_RDT,
                RDT_PATH,
                token=self._lwa,
                json_body=json.dumps({"restrictedResources": resources}),
            )
        except AmazonCredentialError as exc:
            if exc.field != "lwa_refresh_token" or exc.code != "Unauthorized":
                raise  # the LWA credentials themselves are wrong
            return self._withheld()
        except AmazonRequestError:
            # Amazon also answers 400 when a data element is not granted to the app.
            return self._withheld()
        data = parsing.load_json(body, request_id=request_id, what=CREATE_RDT)
        token = data.get("restrictedDataToken")
        if not isinstance(token, str) or not token:
            raise AmazonResponseError(
                "Amazon's Restricted Data Token answer had no token.",
                code="MalformedResponse",
                request_id=request_id,
            )
        try:
            expires_in = float(data.get("expiresIn") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        return AccessToken(token, started + expires_in - refresh_margin(expires_in))

    def _withheld(self) -> None:
        self._rdt_refused = True
        if RDT_WITHHELD_NOTE not in self.run_notes:
            self.run_notes.append(RDT_WITHHELD_NOTE)
        return None

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
        """getOrderItems, then with NextToken until none is left."""
        self._check()
        items: list[OrderItem] = []
        token: str | None = None
        for _ in range(MAX_ITEM_PAGES):
            page = self.orders_api.order_items_page(
                token=self._restricted, amazon_order_id=amazon_order_id, next_token=token
            )
            if page.amazon_order_id != amazon_order_id:
                raise AmazonResponseError(
                    f"Amazon answered items of {page.amazon_order_id} when asked for "
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
            items.extend(page.items)
            token = page.next_token
            if not token:
                return tuple(items)
        raise AmazonResponseError(
            f"Order {amazon_order_id} has more than {MAX_ITEM_PAGES} item pages; stopped.",
            code="NextTokenLoop",
        )

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
