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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from amazon_ext.amazon import values
from amazon_ext.amazon.base import read_each_order
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.types import Address, Money, Order, OrderItem, OrderPage

T = TypeVar("T")


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


class _Reader:
    """Typed lookups that fail with a message naming where the bad value was; the values
    themselves are read by amazon_ext.amazon.values (the rules MWS uses too)."""

    def __init__(self, request_id: str | None, what: str) -> None:
        self.request_id = request_id
        self.what = what

    def fail(self, detail: str) -> AmazonResponseError:
        error = AmazonResponseError(
            f"Amazon's {self.what} answer could not be read ({detail}); nothing from it was saved.",
            code="MalformedResponse",
            request_id=self.request_id,
        )
        error.detail = detail  # what an order quarantined for it records
        return error

    def obj(self, parent: dict, key: str) -> dict | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or TOO_DEEP in value:
            raise self.fail(f"{key} is {_not_what(value, 'an object')}")
        return value

    def text(self, parent: dict, key: str) -> str | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(f"{key} is {_not_what(value, 'a string')}")
        return str(value)

    def check(self, value: str | None, check: Callable[..., T], key: str) -> T | None:
        """``check(value, name=key)`` (an amazon_ext.amazon.values checker) or None."""
        return None if value is None else self._read(check, value, key)

    def required(self, parent: dict, key: str, where: str) -> str:
        value = self.text(parent, key)
        if value is None:
            raise self.fail(f"{key} missing in {where}")
        return value

    def _read(self, read: Callable[..., T], text: str, key: str) -> T:
        try:
            return read(text, name=key)
        except values.UnreadableValueError as exc:
            raise self.fail(str(exc)) from None

    def integer(self, parent: dict, key: str) -> int | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(f"{key} {values.quote(value, 40)} is not a whole number")
        return self._read(values.parse_count, str(value), key)

    def flag(self, parent: dict, key: str) -> bool:
        """JSON booleans, and the strings "true"/"false" (``IsGift`` is a string)."""
        value = parent.get(key)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            raise self.fail(f"{key} {values.quote(value, 40)} is not true or false")
        return self._read(values.parse_flag, value, key)

    def when(self, parent: dict, key: str, where: str, *, required: bool) -> datetime | None:
        value = self.required(parent, key, where) if required else self.text(parent, key)
        if value is None:
            return None
        return self._read(parse_datetime, value, key)

    def money(self, parent: dict, key: str) -> Money | None:
        el = self.obj(parent, key)
        if not el:
            return None
        currency = self.required(el, "CurrencyCode", key)
        amount = self.required(el, "Amount", key)
        try:
            return values.parse_money(amount, currency, name=key)
        except values.UnreadableValueError as exc:
            raise self.fail(str(exc)) from None


# A value nested deeper than this is replaced by {TOO_DEEP: true} before decoding: Python's
# decoder would raise RecursionError for the whole page, and only the order holding it is
# unreadable. No Amazon answer nests more than about ten levels.
MAX_JSON_DEPTH = 64
TOO_DEEP = "\u0000nested too deeply"


def _not_what(value: object, expected: str) -> str:
    """Why a value is refused; only called on the error path."""
    if _holds_too_deep(value):
        return f"nested more than {MAX_JSON_DEPTH} levels deep"
    return f"not {expected}"


def _holds_too_deep(value: object, depth: int = 0) -> bool:
    if depth > MAX_JSON_DEPTH + 1:
        return False
    if isinstance(value, dict):
        return TOO_DEEP in value or any(_holds_too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_holds_too_deep(v, depth + 1) for v in value)
    return False


def flatten_deep(body: str, limit: int = MAX_JSON_DEPTH) -> str:
    """``body`` with every array or object that opens deeper than ``limit`` replaced by a
    marker object; strings are copied untouched (brackets inside them do not count)."""
    marker = json.dumps({TOO_DEEP: True})
    out: list[str] = []
    depth = 0
    skip_from = 0  # depth at which the part being skipped opened; 0: not skipping
    in_string = escaped = False
    start = 0  # first character not yet copied
    for index, char in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit and not skip_from:
                out.append(body[start:index])
                skip_from = depth
        elif char in "]}":
            if skip_from and depth == skip_from:
                out.append(marker)
                start = index + 1
                skip_from = 0
            depth -= 1
    out.append(body[start:] if not skip_from else "")
    return "".join(out)


# Amazon's own static sandbox answers carry 1970-01-19 dates (epoch milliseconds printed as
# seconds); real orders are far later, but a date that early is not garbage, only early.
EARLIEST_YEAR = 1970


def parse_datetime(value: str, *, name: str = "date") -> datetime:
    """ISO 8601 → aware UTC (``Z`` or an offset; no offset means UTC). Amazon's static
    sandbox also echoes epoch seconds such as ``1.569521782042E9``; those are read too.
    1970–2100; raises :class:`amazon_ext.amazon.values.UnreadableValueError` (a ValueError)."""
    return values.parse_datetime(value, name=name, epoch_seconds=True, earliest_year=EARLIEST_YEAR)


def load_json(body: bytes, *, request_id: str | None, what: str) -> dict[str, Any]:
    """The JSON object of an answer. Values nested past :data:`MAX_JSON_DEPTH` become a
    marker the readers refuse, so they make one order unreadable, not the page."""
    reader = _Reader(request_id, what)
    try:
        data = json.loads(body)
    except RecursionError:
        try:
            data = json.loads(flatten_deep(body.decode()))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise reader.fail("not JSON") from None
    except (ValueError, UnicodeDecodeError):
        raise reader.fail("not JSON") from None
    if not isinstance(data, dict):
        raise reader.fail("not a JSON object")
    return data


def _payload(body: bytes, request_id: str | None, what: str) -> tuple[_Reader, dict]:
    reader = _Reader(request_id, what)
    data = load_json(body, request_id=request_id, what=what)
    payload = reader.obj(data, "payload")
    if payload is None:
        raise reader.fail("no payload")
    return reader, payload


def _address(r: _Reader, order: dict) -> Address | None:
    el = r.obj(order, "ShippingAddress")
    if not el:
        return None
    return values.parse_address(lambda key: r.text(el, key))


def _order(r: _Reader, el: Any) -> Order:
    if not isinstance(el, dict) or TOO_DEEP in el:
        raise r.fail(f"an order is {_not_what(el, 'an object')}")
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


def _item(r: _Reader, el: Any, order_id: str) -> OrderItem:
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
