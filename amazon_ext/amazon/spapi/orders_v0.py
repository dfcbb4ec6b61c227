"""The Orders API v0 behind the :class:`OrdersApi` interface.

SpApiClient speaks only OrdersApi, so the Orders API 2026-01-01 (``searchOrders`` with
``paginationToken`` and ``includedData``, no RDT; spec §5) can replace this module without
touching the client, the jobs or the mapping: write an ``Orders20260101`` with the same four
methods and ``restricted_resources() == []``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.spapi.operations import (
    GET_ORDER,
    GET_ORDER_ITEMS,
    GET_ORDERS,
    MAX_RESULTS_PER_PAGE,
    ORDERS_PATH,
)
from amazon_ext.amazon.spapi.transport import AmazonNotFoundError, SpApiTransport, TokenProvider
from amazon_ext.amazon.types import Order, OrderPage
from amazon_ext.amazon.values import iso_z

__all__ = ["OrdersApi", "OrdersV0", "iso_z"]  # iso_z: orders_v2026 imports it from here


class OrdersApi(Protocol):
    """What SpApiClient needs from an Orders API version. ``token`` is the provider of the
    ``x-amz-access-token`` to send (an RDT where the version needs one)."""

    def restricted_resources(self) -> list[dict]:
        """The RDT resources that unlock buyer name, email and address ([] if none needed)."""
        ...

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
    ) -> OrderPage: ...

    def get_order(self, *, token: TokenProvider, amazon_order_id: str) -> Order | None: ...

    def order_items_page(
        self, *, token: TokenProvider, amazon_order_id: str, next_token: str | None = None
    ) -> parsing.OrderItemsPage: ...


class OrdersV0:
    """getOrders, getOrder and getOrderItems of Orders API v0 ([SPM] ordersV0.json)."""

    def __init__(self, transport: SpApiTransport) -> None:
        self._transport = transport

    def restricted_resources(self) -> list[dict]:
        # One RDT covers all three calls; ``{orderId}`` is Amazon's generic path form.
        return [
            {
                "method": "GET",
                "path": ORDERS_PATH,
                "dataElements": ["buyerInfo", "shippingAddress"],
            },
            {
                "method": "GET",
                "path": ORDERS_PATH + "/{orderId}",
                "dataElements": ["buyerInfo", "shippingAddress"],
            },
            {
                "method": "GET",
                "path": ORDERS_PATH + "/{orderId}/orderItems",
                "dataElements": ["buyerInfo"],
            },
        ]

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
        """One getOrders page. Every page sends the same filters — MarketplaceIds, the
        After/Before pair, MaxResultsPerPage — and later pages add the NextToken: Amazon's
        current ordersV0 model says NextToken does not change the filters, and a page
        asked without them is not guaranteed to be of the same listing."""
        prefix = "Created" if by_created else "LastUpdated"
        params = {
            "MarketplaceIds": ",".join(marketplace_ids),
            f"{prefix}After": iso_z(after),
            f"{prefix}Before": iso_z(before),
            "MaxResultsPerPage": str(max_results),
        }
        if next_token:
            params["NextToken"] = next_token
        body, request_id = self._transport.call(GET_ORDERS, ORDERS_PATH, token=token, params=params)
        page = parsing.parse_orders(body, request_id=request_id)
        if len(page.orders) > MAX_RESULTS_PER_PAGE:
            raise AmazonResponseError(
                f"Amazon's getOrders page has {len(page.orders)} orders, more than its maximum "
                f"of {MAX_RESULTS_PER_PAGE}; nothing from it was saved.",
                code="MalformedResponse",
                request_id=request_id,
            )
        return page

    def get_order(self, *, token: TokenProvider, amazon_order_id: str) -> Order | None:
        try:
            body, request_id = self._transport.call(
                GET_ORDER, f"{ORDERS_PATH}/{_segment(amazon_order_id)}", token=token
            )
        except AmazonNotFoundError:
            return None
        return parsing.parse_order(body, request_id=request_id)

    def order_items_page(
        self, *, token: TokenProvider, amazon_order_id: str, next_token: str | None = None
    ) -> parsing.OrderItemsPage:
        params = {"NextToken": next_token} if next_token else None
        body, request_id = self._transport.call(
            GET_ORDER_ITEMS,
            f"{ORDERS_PATH}/{_segment(amazon_order_id)}/orderItems",
            token=token,
            params=params,
        )
        return parsing.parse_order_items(body, request_id=request_id)


def _segment(value: str) -> str:
    return quote(value, safe="")
