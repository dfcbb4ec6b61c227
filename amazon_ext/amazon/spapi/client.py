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

The reading of orders and items is in spapi/client_orders.py; this module sets the client
up, chooses the Orders API and falls back, and verifies credentials.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from amazon_ext.amazon.base import ClientStats
from amazon_ext.amazon.errors import AmazonCredentialError
from amazon_ext.amazon.pacing import QuotaPacer, ReportingPacer, pacer_from_settings
from amazon_ext.amazon.spapi.buyer_data import BuyerDataTally
from amazon_ext.amazon.spapi.client_orders import FRESHNESS_LAG, SpApiOrders
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
from amazon_ext.amazon.spapi.region import region_host
from amazon_ext.amazon.spapi.sellers import SellerCheck, check_seller
from amazon_ext.amazon.spapi.transport import SpApiTransport

__all__ = ["RDT_WITHHELD_NOTE", "SpApiClient"]

# A well-formed Amazon order id no order has (3-7-7 digits): verify() expects a 404 for it.
PROBE_ORDER_ID = "000-0000000-0000000"

logger = logging.getLogger("amazon_ext.amazon.spapi")


class SpApiClient(SpApiOrders):
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
        host, self._config_error = region_host(self.marketplace_ids)
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

    # ---- credentials ---------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Check the credentials without spending searchOrders quota (20 pages, then one per
        179 s, which the first page of the next daily run must find full):

        1. one v2026 getOrder for an order id that cannot exist: a 404 means the LWA client
           and refresh token work and the seller authorized this app in this region with
           the Orders role (a 403 with a fresh token: they did not; if v0 answers, this
           marketplace refuses v2026 and the first run falls back);
        2. while Orders v0 exists, one getOrders of at most one order (its own bucket): Amazon
           names a configured Marketplace ID the seller does not sell in (``check_seller``'s
           getMarketplaceParticipations does so for good, also after v0's shut-off).

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

    def check_seller(self) -> SellerCheck:
        """Bind the Seller ID to the refresh token as far as Amazon lets us (spapi/sellers.py):
        the token must sell in every Marketplace ID, and be this seller's where Amazon says."""
        self._check()
        return check_seller(
            self._transport,
            self._lwa,
            seller_id=self.seller_id,
            marketplace_ids=list(self.marketplace_ids),
        )
