"""SpApiClient: one seller's orders over the Selling Partner API; implements
AmazonOrdersClient exactly like MwsClient, so the jobs never know which one they hold.

* Orders: Orders API v2026-01-01 (orders_v2026.py: searchOrders / getOrder, items inside
  the order, no RDT) by default; Orders v0 (orders_v0.py) behind the same OrdersApi only
  for a marketplace that refuses v2026, or when pinned, and never after the shut-off date
  (orders_choice.py). ``run_notes`` says which API served the run.
* Access: LWA access tokens (amazon_ext.amazon.spapi.lwa). On v0, one Restricted Data Token
  per client for the buyer's name, email and address; if Amazon refuses it the client goes
  on with the LWA token and ``run_notes`` says why (spapi/rdt.py). On v2026 the app's roles
  gate buyer data, and ``run_notes`` says what was withheld and why (spapi/buyer_data.py).
* Paging on v2026: ``pagination.nextToken`` goes back as ``paginationToken`` with every other
  parameter unchanged. A token Amazon refuses (they expire after 24 h, so a long, quota-paced
  run can outlive one) re-lists the window from its start; orders already yielded in this
  window are not yielded again.
* Every call: SpApiTransport (pacing by usage plan and x-amzn-RateLimit-Limit, 429 / 5xx /
  403 handling). With ``report_quota_wait`` the pacer says when a call waits for quota.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from amazon_ext.amazon.base import (
    MAX_ORDER_PAGES,
    ClientStats,
    fetch_items_concurrently,
    follow_next_tokens,
    walk_item_pages,
)
from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonResponseError,
)
from amazon_ext.amazon.marketplaces import SPAPI_ENDPOINTS, marketplace_for
from amazon_ext.amazon.pacing import QuotaPacer, ReportingPacer, pacer_from_settings
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.spapi.buyer_data import BuyerDataTally
from amazon_ext.amazon.spapi.lwa import LwaTokens
from amazon_ext.amazon.spapi.orders_choice import (
    V0,
    V2026,
    OrdersApiChoice,
    api_note,
    is_orders_refusal,
    refused_after_shutoff,
    v0_allowed,
)
from amazon_ext.amazon.spapi.orders_v0 import OrdersApi, OrdersV0
from amazon_ext.amazon.spapi.orders_v2026 import Orders20260101
from amazon_ext.amazon.spapi.rdt import RDT_WITHHELD_NOTE, RestrictedTokens
from amazon_ext.amazon.spapi.transport import AmazonNotFoundError, SpApiTransport
from amazon_ext.amazon.types import Order, OrderItem, OrderPage

__all__ = ["RDT_WITHHELD_NOTE", "SpApiClient"]

# Amazon serves data no fresher than two minutes and rejects a *Before inside them (spec
# §7.4); the extra seconds absorb clock skew between us and Amazon.
FRESHNESS_LAG = timedelta(minutes=2, seconds=15)
# Times one window may be listed again from its start after a refused paginationToken.
MAX_RELISTS = 3
# A well-formed Amazon order id no order has (3-7-7 digits): verify() expects a 404 for it.
PROBE_ORDER_ID = "000-0000000-0000000"

logger = logging.getLogger("amazon_ext.amazon.spapi")


class SpApiClient:
    """Reads one seller's orders through SP-API; implements AmazonOrdersClient.

    All marketplaces must be in one SP-API region (the credentials form checks this).
    ``pacer``, ``endpoint_override``, ``time_scale``, ``timeout``, ``app_name`` and
    ``token_url`` default to the process pacer and the AMAZON_* settings.

    Orders API: ``orders_version`` ("2026-01-01" or "v0"; default
    settings.AMAZON_SPAPI_ORDERS_API); ``v2026_refused_at`` / ``v2026_refused_reason`` are
    what the credentials remember of an earlier refusal, and ``remember_v2026(reason)`` is
    called with the reason when v2026 is refused now, or with None when it works again.
    ``report_quota_wait(operation, until)`` hears of every long quota wait (pacing.py).
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
        orders_version: str | None = None,
        v2026_refused_at: datetime | None = None,
        v2026_refused_reason: str = "",
        remember_v2026: Callable[[str | None], None] | None = None,
        report_quota_wait: Callable[[str, float | None], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.seller_id = seller_id.strip()
        self.marketplace_ids = [m.strip() for m in marketplace_ids if m and m.strip()]
        self.stats = ClientStats()
        self._notes: list[str] = []  # RDT and fallback notes, in the order they happened
        self._tokens = LwaTokens(
            client_id=lwa_client_id,
            client_secret=lwa_client_secret,
            refresh_token=lwa_refresh_token,
            token_url=token_url,
        )
        host, self._config_error = self._region_host()
        client_digest = hashlib.sha256(lwa_client_id.strip().encode()).hexdigest()[:12]
        pacer = pacer or pacer_from_settings()
        if report_quota_wait is not None:
            pacer = ReportingPacer(pacer, report_quota_wait)
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
        self._now = now
        self._choice = OrdersApiChoice.decide(
            now=now(),
            requested=orders_version,
            refused_at=v2026_refused_at,
            refused_reason=v2026_refused_reason,
        )
        self._remember = remember_v2026
        self._v2026 = Orders20260101(self._transport)
        self._v0 = OrdersV0(self._transport)
        self.orders_api: OrdersApi = self._v2026 if self._choice.start == V2026 else self._v0
        self._api_note = ""  # set once an orders call went through
        self._fill_items = False  # fell back to v0 after promising orders with items
        self._buyer_data = BuyerDataTally()
        self._rdt = RestrictedTokens(
            transport=self._transport,
            lwa=self._lwa,
            resources=lambda: self.orders_api.restricted_resources(),
            run_notes=self._notes,
        )

    @property
    def orders_version(self) -> str:
        return V2026 if self.orders_api is self._v2026 else V0

    @property
    def items_included(self) -> bool:
        """Every order this client returns carries its items (v2026): the pipeline fetches
        none. Read before the first page, so a client that falls back to v0 in the middle
        keeps its word and fetches v0's items itself (``_fill_items``); the next runs start
        on v0 and let the pipeline fetch only the items it needs."""
        return self._fill_items or bool(getattr(self.orders_api, "items_included", False))

    @property
    def run_notes(self) -> list[str]:
        """For the run's history: which API served it, then what Amazon withheld and why."""
        head = [self._api_note] if self._api_note else []
        return head + list(self._notes) + self._buyer_data.notes()

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

    # ---- which Orders API -----------------------------------------------------------

    def _served(self) -> None:
        if not self._api_note:
            self._api_note = api_note(self.orders_version, choice=self._choice)

    def _on_v2026(self, call: Callable[[], object], v0_call: Callable[[], object]):
        """``call`` on v2026; if Amazon refuses v2026 for this seller (403 with a fresh
        token) and v0 is still allowed, ``v0_call`` on v0 for the rest of this client's
        life. v0 refusing too means the credentials are at fault: the first error stands."""
        try:
            result = call()
        except AmazonCredentialError as exc:
            if not is_orders_refusal(exc):
                raise
            if not v0_allowed(self._now()):
                raise refused_after_shutoff(exc) from exc
            if not self._choice.may_fall_back:
                raise
            self._fill_items = self.items_included
            self.orders_api = self._v0
            try:
                result = v0_call()
            except AmazonCredentialError:
                self.orders_api, self._fill_items = self._v2026, False
                raise exc from None
            reason = f"{exc.code}, Amazon RequestId {exc.request_id or 'none'}"
            logger.warning("seller %s: Orders v2026 refused (%s); using v0", self.seller_id, reason)
            self._api_note = api_note(V0, choice=self._choice, reason=reason)
            self._tell(reason)
            return result
        if self.orders_api is self._v2026:
            self._tell(None)  # v2026 works (again): forget an old refusal
        self._served()
        return result

    def _tell(self, reason: str | None) -> None:
        remember, self._remember = self._remember, None  # once per client
        if remember is not None:
            try:
                remember(reason)
            except Exception:  # remembering saves a call next time; the run goes on
                logger.warning("could not remember the Orders API choice", exc_info=True)

    # ---- orders --------------------------------------------------------------------------

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

    # ---- credentials ---------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Check the credentials without spending searchOrders quota (20 pages, then one per
        179 s, which the first page of the next daily run must find full):

        1. one v2026 getOrder for an order id that cannot exist: a 404 means the LWA client
           and refresh token work and the seller authorized this app in this region with
           the Orders role (a 403 with a fresh token: they did not; if v0 answers, this
           marketplace refuses v2026 and the first run falls back);
        2. while Orders v0 exists, one getOrders of at most one order (its own bucket): Amazon
           names a configured Marketplace ID the seller does not sell in. After v0's
           shut-off the first listing names it instead. (The Sellers API's
           getMarketplaceParticipations would do this for good; see the README.)

        Returns the configured marketplace ids."""
        self._check()

        def probe(api: OrdersApi) -> Callable[[], object]:
            return lambda: api.get_order(token=self._lwa, amazon_order_id=PROBE_ORDER_ID)

        if self.orders_api is self._v2026:
            self._on_v2026(probe(self._v2026), probe(self._v0))
        else:
            probe(self._v0)()
        if v0_allowed(self._now()):
            until = (datetime.now(UTC) - FRESHNESS_LAG).replace(microsecond=0)
            self._v0.orders_page(
                token=self._lwa,
                marketplace_ids=self.marketplace_ids,
                by_created=True,
                after=until - timedelta(days=1),
                before=until,
                max_results=1,
            )
        return list(self.marketplace_ids)
