"""The Orders API v2026-01-01 behind the :class:`~amazon_ext.amazon.spapi.orders_v0.OrdersApi`
interface (the replacement for v0's getOrders / getOrder / getOrderItems, which Amazon
removes on 27 March 2027).

Authority: ``models/orders-api-model/orders_2026-01-01.json`` in amzn/selling-partner-api-models
(read @34dc93fe45f3). Two operations:

* ``searchOrders`` ``GET /orders/2026-01-01/orders`` (0.0056 requests/s, burst 20): camelCase
  query, exactly one of ``createdAfter`` / ``lastUpdatedAfter`` with the matching ``…Before``,
  ``marketplaceIds`` (≤ 50), ``maxResultsPerPage`` 1–100, arrays comma-separated (Swagger 2
  ``csv``). The next page: ``pagination.nextToken`` sent back as ``paginationToken``, and "All
  other parameters must be provided with the same values that were provided with the request
  that generated this token, with the exception of `maxResultsPerPage` and `includedData`"
  (``definitions/Pagination``; "The token will expire after 24 hours").
* ``getOrder`` ``GET /orders/2026-01-01/orders/{orderId}`` (0.5/s, burst 30).

No Restricted Data Token: ``restricted_resources()`` is ``[]``, so SpApiClient sends the LWA
token; the app's roles decide which buyer fields come back.

**Items come with the order.** ``Order.orderItems`` is required in the model, so every
:class:`Order` this adapter returns already has ``items``; ``items_included = True`` tells the
caller it need not call :meth:`order_items_page` per order. That method still works (one
``getOrder``, its items, never a next token) for callers that ask anyway.

``includedData`` (:data:`INCLUDED_DATA`) names the datasets the CRM mapping reads:

* ``FULFILLMENT``: ``fulfillment.fulfillmentStatus`` and ``fulfilledBy`` (the order status
  and channel: the parser refuses an order without them), items' ``quantityFulfilled`` and
  gift options.
* ``PROCEEDS``: ``proceeds.grandTotal`` and the item money breakdowns.
* ``BUYER``: buyer name, anonymised email (FBM only), company. Roles gate the fields (spec
  amazon-2027 §3, developer docs "Access Orders PII"): email with Direct-to-Consumer
  Delivery, name with Tax Invoicing / Tax Remittance or Direct-to-Consumer Shipping.
* ``RECIPIENT``: ``recipient.deliveryAddress``; name, lines and phone need
  Direct-to-Consumer Shipping, city / state / postal code / country do not.

Not requested (the mapping uses none of it): EXPENSE, PROMOTION (promotion ids only; the
money is in PROCEEDS), CANCELLATION, PACKAGES, TAX (registrations / invoicing), PAYMENT,
FULFILLMENT_ORDERS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.spapi import parsing_v2026
from amazon_ext.amazon.spapi.operations import (
    GET_ORDER_2026,
    MAX_RESULTS_PER_PAGE,
    ORDERS_2026_PATH,
    SEARCH_ORDERS_2026,
)
from amazon_ext.amazon.spapi.orders_v0 import iso_z
from amazon_ext.amazon.spapi.parsing import OrderItemsPage
from amazon_ext.amazon.spapi.transport import AmazonNotFoundError, SpApiTransport, TokenProvider
from amazon_ext.amazon.types import Order, OrderPage

INCLUDED_DATA: tuple[str, ...] = ("BUYER", "RECIPIENT", "PROCEEDS", "FULFILLMENT")
MAX_MARKETPLACES = 50


class Orders20260101:
    """searchOrders and getOrder of Orders API v2026-01-01."""

    version = "2026-01-01"
    # Orders from orders_page / get_order carry their items; no per-order item calls.
    items_included = True
    search_operation = SEARCH_ORDERS_2026
    get_operation = GET_ORDER_2026

    def __init__(
        self, transport: SpApiTransport, *, included_data: Sequence[str] = INCLUDED_DATA
    ) -> None:
        self._transport = transport
        self.included_data = tuple(dict.fromkeys(included_data))
        if "FULFILLMENT" not in self.included_data:
            raise ValueError("includedData must contain FULFILLMENT (the order status)")

    def restricted_resources(self) -> list[dict]:
        return []  # v2026-01-01 needs no RDT; roles gate buyer data

    def search_params(
        self,
        *,
        marketplace_ids: Sequence[str],
        by_created: bool,
        after: datetime,
        before: datetime,
        next_token: str | None = None,
        max_results: int = MAX_RESULTS_PER_PAGE,
    ) -> dict[str, str]:
        """The searchOrders query. With a ``next_token`` every other parameter stays what
        it was on the first page, as the model requires."""
        if not 1 <= max_results <= MAX_RESULTS_PER_PAGE:
            raise ValueError(f"maxResultsPerPage must be 1–{MAX_RESULTS_PER_PAGE}")
        if len(marketplace_ids) > MAX_MARKETPLACES:
            raise ValueError(f"at most {MAX_MARKETPLACES} marketplaceIds")
        if before < after:
            raise ValueError("the window ends before it starts")
        prefix = "created" if by_created else "lastUpdated"
        params = {
            f"{prefix}After": iso_z(after),
            f"{prefix}Before": iso_z(before),
            "maxResultsPerPage": str(max_results),
            "includedData": ",".join(self.included_data),
        }
        if marketplace_ids:
            params["marketplaceIds"] = ",".join(marketplace_ids)
        if next_token:
            params["paginationToken"] = next_token
        return params

    def orders_page(
        self,
        *,
        token: TokenProvider,
        marketplace_ids: Sequence[str],
        by_created: bool,
        after: datetime,
        before: datetime,
        next_token: str | None = None,
        max_results: int = MAX_RESULTS_PER_PAGE,
    ) -> OrderPage:
        params = self.search_params(
            marketplace_ids=marketplace_ids,
            by_created=by_created,
            after=after,
            before=before,
            next_token=next_token,
            max_results=max_results,
        )
        body, request_id = self._transport.call(
            SEARCH_ORDERS_2026, ORDERS_2026_PATH, token=token, params=params
        )
        return parsing_v2026.parse_search_orders(body, request_id=request_id, by_created=by_created)

    def _get(self, token: TokenProvider, amazon_order_id: str) -> Order:
        """getOrder; a 404 raises AmazonNotFoundError."""
        body, request_id = self._transport.call(
            GET_ORDER_2026,
            f"{ORDERS_2026_PATH}/{quote(amazon_order_id, safe='')}",
            token=token,
            params={"includedData": ",".join(self.included_data)},
        )
        order = parsing_v2026.parse_get_order(body, request_id=request_id)
        if order.amazon_order_id != amazon_order_id:
            raise AmazonResponseError(
                f"Amazon answered order {order.amazon_order_id} when asked for "
                f"{amazon_order_id}; nothing was saved.",
                code="MalformedResponse",
                request_id=request_id,
            )
        return order

    def get_order(self, *, token: TokenProvider, amazon_order_id: str) -> Order | None:
        try:
            return self._get(token, amazon_order_id)
        except AmazonNotFoundError:
            return None

    def order_items_page(
        self, *, token: TokenProvider, amazon_order_id: str, next_token: str | None = None
    ) -> OrderItemsPage:
        """The order's items from one getOrder (v2026 has no item operation and no item
        pages). Not needed when the caller honours ``items_included``."""
        if next_token:
            raise ValueError("Orders API 2026-01-01 has no item pages")
        order = self._get(token, amazon_order_id)
        return OrderItemsPage(
            amazon_order_id=order.amazon_order_id,
            items=order.items,
            next_token=None,
            request_id=None,
        )
