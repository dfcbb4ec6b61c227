"""SP-API Orders v0 JSON → the shared types in amazon_ext.amazon.types.

Shapes from ../shared/specs/amazon-apis.md §5 ([SPM] ordersV0.json): the order keeps the MWS
element names as JSON keys, but the buyer moved under ``BuyerInfo`` and an item's gift wrap
under the item's ``BuyerInfo``; ``Amount`` and ``IsGift`` are strings. Fields Amazon withholds
(no RDT, Pending orders) are simply missing or empty and come out as None.

A payload that cannot be trusted (not JSON, no ``payload``, a required key missing or
unreadable) raises :class:`AmazonResponseError` with the RequestId, so nothing from it is
written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from amazon_ext.amazon import values
from amazon_ext.amazon.base import read_each_order
from amazon_ext.amazon.spapi.json_reader import (  # noqa: F401  (public here too)
    EARLIEST_YEAR,
    MAX_JSON_DEPTH,
    TOO_DEEP,
    JsonReader,
    flatten_deep,
    load_json,
    not_what,
    parse_datetime,
)
from amazon_ext.amazon.types import Address, Order, OrderItem, OrderPage


@dataclass(frozen=True, slots=True)
class OrderItemsPage:
    """One page of getOrderItems."""

    amazon_order_id: str
    items: tuple[OrderItem, ...]
    next_token: str | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class SpErrorBody:
    """The first entry of ``{"errors": [...]}``; empty strings when absent."""

    code: str
    message: str


def _payload(body: bytes, request_id: str | None, what: str) -> tuple[JsonReader, dict]:
    reader = JsonReader(request_id, what)
    data = load_json(body, request_id=request_id, what=what)
    payload = reader.obj(data, "payload")
    if payload is None:
        raise reader.fail("no payload")
    return reader, payload


def _address(r: JsonReader, order: dict) -> Address | None:
    el = r.obj(order, "ShippingAddress")
    if not el:
        return None
    return values.parse_address(lambda key: r.text(el, key))


def _order(r: JsonReader, el: Any) -> Order:
    if not isinstance(el, dict) or TOO_DEEP in el:
        raise r.fail(f"an order is {not_what(el, 'an object')}")
    order_id = r.check(
        r.required(el, "AmazonOrderId", "an order"), values.check_order_id, "AmazonOrderId"
    )
    where = f"order {order_id}"
    buyer = r.obj(el, "BuyerInfo") or {}
    return Order(
        amazon_order_id=order_id,
        purchase_date=r.when(el, "PurchaseDate", where, required=True),
        last_update_date=r.when(el, "LastUpdateDate", where, required=True),
        order_status=r.check(
            r.required(el, "OrderStatus", where), values.check_order_status, "OrderStatus"
        ),
        marketplace_id=r.check(
            r.text(el, "MarketplaceId"), values.check_marketplace_id, "MarketplaceId"
        ),
        fulfillment_channel=r.text(el, "FulfillmentChannel"),
        sales_channel=r.text(el, "SalesChannel"),
        order_type=r.text(el, "OrderType"),
        seller_order_id=r.text(el, "SellerOrderId"),
        order_total=r.money(el, "OrderTotal"),
        buyer_email=r.text(buyer, "BuyerEmail"),
        buyer_name=r.text(buyer, "BuyerName"),
        shipping_address=_address(r, el),
        number_of_items_shipped=r.integer(el, "NumberOfItemsShipped"),
        number_of_items_unshipped=r.integer(el, "NumberOfItemsUnshipped"),
        payment_method=r.text(el, "PaymentMethod"),
        is_prime=r.flag(el, "IsPrime"),
        is_business_order=r.flag(el, "IsBusinessOrder"),
        latest_delivery_date=r.when(el, "LatestDeliveryDate", where, required=False),
    )


def parse_orders(body: bytes, *, request_id: str | None = None) -> OrderPage:
    """getOrders → one :class:`OrderPage`; ``window_end`` is the echoed CreatedBefore /
    LastUpdatedBefore. An order that cannot be read is in ``unreadable``; the others are
    read."""
    r, payload = _payload(body, request_id, "getOrders")
    elements = payload.get("Orders")
    if elements is None:
        elements = []
    if not isinstance(elements, list):
        raise r.fail("Orders is not a list")
    orders, unreadable = read_each_order(
        elements,
        lambda el: _order(r, el),
        id_of=lambda el: el.get("AmazonOrderId") if isinstance(el, dict) else None,
        request_id=request_id,
    )
    before = "CreatedBefore" if payload.get("CreatedBefore") else "LastUpdatedBefore"
    return OrderPage(
        orders=orders,
        unreadable=unreadable,
        next_token=r.text(payload, "NextToken"),
        window_end=r.when(payload, before, "the page", required=False),
        request_id=request_id,
    )


def parse_order(body: bytes, *, request_id: str | None = None) -> Order:
    """getOrder → one :class:`Order`."""
    r, payload = _payload(body, request_id, "getOrder")
    return _order(r, payload)


def _item(r: JsonReader, el: Any, order_id: str) -> OrderItem:
    if not isinstance(el, dict):
        raise r.fail(f"an item of order {values.clip(order_id, 60)} is not an object")
    item_id = r.required(el, "OrderItemId", f"an item of order {values.clip(order_id, 60)}")
    where = f"order item {values.clip(item_id, 60)}"
    gift = r.obj(el, "BuyerInfo") or {}
    quantity = r.integer(el, "QuantityOrdered")
    if quantity is None:
        raise r.fail(f"QuantityOrdered missing in {where}")
    return OrderItem(
        order_item_id=item_id,
        asin=r.required(el, "ASIN", where),
        quantity_ordered=quantity,
        seller_sku=r.text(el, "SellerSKU"),
        title=r.text(el, "Title"),
        quantity_shipped=r.integer(el, "QuantityShipped") or 0,
        item_price=r.money(el, "ItemPrice"),
        item_tax=r.money(el, "ItemTax"),
        shipping_price=r.money(el, "ShippingPrice"),
        shipping_tax=r.money(el, "ShippingTax"),
        shipping_discount=r.money(el, "ShippingDiscount"),
        promotion_discount=r.money(el, "PromotionDiscount"),
        # Moved under the item's BuyerInfo in SP-API (and restricted); older payloads
        # carried them at the top like MWS.
        gift_wrap_price=r.money(gift, "GiftWrapPrice") or r.money(el, "GiftWrapPrice"),
        gift_wrap_tax=r.money(gift, "GiftWrapTax") or r.money(el, "GiftWrapTax"),
        is_gift=r.flag(el, "IsGift"),
    )


def parse_order_items(body: bytes, *, request_id: str | None = None) -> OrderItemsPage:
    """getOrderItems → one :class:`OrderItemsPage`."""
    r, payload = _payload(body, request_id, "getOrderItems")
    order_id = r.required(payload, "AmazonOrderId", "the items page")
    items = payload.get("OrderItems")
    if not isinstance(items, list):
        raise r.fail("OrderItems is not a list")
    return OrderItemsPage(
        amazon_order_id=order_id,
        items=tuple(_item(r, el, order_id) for el in items),
        next_token=r.text(payload, "NextToken"),
        request_id=request_id,
    )


def parse_error(body: bytes) -> SpErrorBody:
    """The first error of an SP-API error body; a body we cannot read gives empty strings."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return SpErrorBody("", "")
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return SpErrorBody(
            values.clip(str(first.get("code") or "")),
            values.clip(str(first.get("message") or "")),
        )
    return SpErrorBody("", "")
