"""MWS Orders answers → the shared types in amazon_ext.amazon.types.

Element names follow ../shared/specs/amazon-apis.md §1 and §3 (MWS Orders_Datatypes,
DG_ResponseFormat). The document, its API version and the lookups are
amazon_ext.amazon.mws.xmldoc's; the values (money, dates, counts, flags, addresses) are
amazon_ext.amazon.values', shared with the SP-API parser so both read Amazon's numbers and dates
by the same strict rules. A page that cannot be trusted raises :class:`AmazonResponseError`
carrying the RequestId, so the caller writes nothing from it.

Service status and Sellers answers are in amazon_ext.amazon.mws.status (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element

from amazon_ext.amazon import values
from amazon_ext.amazon.base import read_each_order
from amazon_ext.amazon.mws.operations import MAX_RESULTS_PER_PAGE
from amazon_ext.amazon.mws.status import (
    ParticipationsPage,
    ServiceStatus,
    parse_participations,
    parse_service_status,
)
from amazon_ext.amazon.mws.xmldoc import (
    ORDERS_LEGACY_NS,
    ORDERS_NS,
    Doc,
    MwsErrorBody,
    open_document,
    parse_error,
    parse_xml,
)
from amazon_ext.amazon.types import Address, Money, Order, OrderItem, OrderPage

__all__ = [
    "MwsErrorBody",
    "OrderItemsPage",
    "ParticipationsPage",
    "ServiceStatus",
    "parse_datetime",
    "parse_error",
    "parse_order_items",
    "parse_orders",
    "parse_participations",
    "parse_service_status",
    "parse_xml",
]

_ORDERS_NAMESPACES = (ORDERS_NS,)
_ITEMS_NAMESPACES = (ORDERS_NS, ORDERS_LEGACY_NS)


@dataclass(frozen=True, slots=True)
class OrderItemsPage:
    """One page of ListOrderItems / ListOrderItemsByNextToken."""

    amazon_order_id: str
    items: tuple[OrderItem, ...]
    next_token: str | None
    request_id: str | None


def parse_datetime(value: str) -> datetime:
    """MWS dates (ISO 8601, percent-encoded colons allowed) → aware UTC; see
    :func:`amazon_ext.amazon.values.parse_datetime`."""
    return values.parse_datetime(value, name="date")


def _money(doc: Doc, parent: Element, name: str) -> Money | None:
    el = parent.find(doc.ns + name)
    if el is None:
        return None
    # doc.required of both, inlined: an item has up to eight amounts, an order one.
    currency = (el.findtext(doc.ns + "CurrencyCode") or "").strip()
    if not currency:
        raise doc.fail(f"{name} has no CurrencyCode")
    amount = (el.findtext(doc.ns + "Amount") or "").strip()
    if not amount:
        raise doc.fail(f"{name} has no Amount")
    try:
        return values.parse_money(amount, currency, name=name)
    except values.UnreadableValueError as exc:
        raise doc.fail(str(exc)) from None


def _address(doc: Doc, parent: Element) -> Address | None:
    el = doc.child(parent, "ShippingAddress")
    if el is None:
        return None
    return values.parse_address(lambda name: doc.text(el, name))


def _flag(doc: Doc, parent: Element, name: str) -> bool:
    return bool(doc.convert(doc.text(parent, name), values.parse_flag, name))


def _date(doc: Doc, parent: Element, name: str, where: str) -> datetime:
    return _read_date(doc, doc.required(parent, name, where), name)


def _optional_date(doc: Doc, parent: Element, name: str) -> datetime | None:
    value = doc.text(parent, name)
    return None if value is None else _read_date(doc, value, name)


def _read_date(doc: Doc, value: str, name: str) -> datetime:
    try:
        return values.parse_datetime(value, name=name)
    except values.UnreadableValueError as exc:
        raise doc.fail(str(exc)) from None


# ---- orders ------------------------------------------------------------------------------


def _order(doc: Doc, el: Element) -> Order:
    order_id = doc.convert(
        doc.required(el, "AmazonOrderId", "an Order"), values.check_order_id, "AmazonOrderId"
    )
    where = f"order {order_id}"
    return Order(
        amazon_order_id=order_id,
        purchase_date=_date(doc, el, "PurchaseDate", where),
        last_update_date=_date(doc, el, "LastUpdateDate", where),
        order_status=doc.convert(
            doc.required(el, "OrderStatus", where), values.check_order_status, "OrderStatus"
        ),
        marketplace_id=doc.convert(
            doc.text(el, "MarketplaceId"), values.check_marketplace_id, "MarketplaceId"
        ),
        fulfillment_channel=doc.text(el, "FulfillmentChannel"),
        sales_channel=doc.text(el, "SalesChannel"),
        order_type=doc.text(el, "OrderType"),
        seller_order_id=doc.text(el, "SellerOrderId"),
        order_total=_money(doc, el, "OrderTotal"),
        buyer_email=doc.text(el, "BuyerEmail"),
        buyer_name=doc.text(el, "BuyerName"),
        shipping_address=_address(doc, el),
        number_of_items_shipped=doc.convert(
            doc.text(el, "NumberOfItemsShipped"), values.parse_count, "NumberOfItemsShipped"
        ),
        number_of_items_unshipped=doc.convert(
            doc.text(el, "NumberOfItemsUnshipped"), values.parse_count, "NumberOfItemsUnshipped"
        ),
        payment_method=doc.text(el, "PaymentMethod"),
        is_prime=_flag(doc, el, "IsPrime"),
        is_business_order=_flag(doc, el, "IsBusinessOrder"),
        latest_delivery_date=_optional_date(doc, el, "LatestDeliveryDate"),
    )


def parse_orders(body: bytes, *, action: str, request_id: str | None = None) -> OrderPage:
    """ListOrders, ListOrdersByNextToken or GetOrder → one :class:`OrderPage`.

    ``window_end`` is the echoed CreatedBefore / LastUpdatedBefore (None for GetOrder). An
    order that cannot be read is in ``unreadable`` (the rest of the page is read); a page of
    more than MaxResultsPerPage orders is not a page of this API and is refused whole.
    """
    doc = open_document(
        body, root=f"{action}Response", namespaces=_ORDERS_NAMESPACES, request_id=request_id
    )
    result = doc.result(f"{action}Result")
    orders_el = doc.child(result, "Orders")
    elements = [] if orders_el is None else doc.children(orders_el, "Order")
    if len(elements) > MAX_RESULTS_PER_PAGE:
        raise doc.fail(
            f"{len(elements)} orders on one page, more than Amazon's maximum of "
            f"{MAX_RESULTS_PER_PAGE}"
        )
    orders, unreadable = read_each_order(
        elements,
        lambda el: _order(doc, el),
        id_of=lambda el: doc.text(el, "AmazonOrderId"),
        request_id=doc.request_id,
    )
    before = doc.text(result, "CreatedBefore") or doc.text(result, "LastUpdatedBefore")
    return OrderPage(
        orders=orders,
        unreadable=unreadable,
        next_token=doc.text(result, "NextToken"),
        window_end=doc.convert(before, values.parse_datetime, "CreatedBefore/LastUpdatedBefore"),
        request_id=doc.request_id,
    )


# ---- order items -------------------------------------------------------------------------


def _item(doc: Doc, el: Element, order_id: str) -> OrderItem:
    item_id = doc.required(el, "OrderItemId", f"an OrderItem of order {values.clip(order_id, 60)}")
    where = f"order item {values.clip(item_id, 60)}"
    return OrderItem(
        order_item_id=item_id,
        asin=doc.required(el, "ASIN", where),
        quantity_ordered=doc.convert(
            doc.required(el, "QuantityOrdered", where), values.parse_count, "QuantityOrdered"
        ),
        seller_sku=doc.text(el, "SellerSKU"),
        title=doc.text(el, "Title"),
        quantity_shipped=doc.convert(
            doc.text(el, "QuantityShipped"), values.parse_count, "QuantityShipped"
        )
        or 0,
        item_price=_money(doc, el, "ItemPrice"),
        item_tax=_money(doc, el, "ItemTax"),
        shipping_price=_money(doc, el, "ShippingPrice"),
        shipping_tax=_money(doc, el, "ShippingTax"),
        shipping_discount=_money(doc, el, "ShippingDiscount"),
        promotion_discount=_money(doc, el, "PromotionDiscount"),
        gift_wrap_price=_money(doc, el, "GiftWrapPrice"),
        gift_wrap_tax=_money(doc, el, "GiftWrapTax"),
        is_gift=_flag(doc, el, "IsGift"),
    )


def parse_order_items(body: bytes, *, action: str, request_id: str | None = None) -> OrderItemsPage:
    """ListOrderItems or ListOrderItemsByNextToken → one :class:`OrderItemsPage`."""
    doc = open_document(
        body, root=f"{action}Response", namespaces=_ITEMS_NAMESPACES, request_id=request_id
    )
    result = doc.result(f"{action}Result")
    order_id = doc.required(result, "AmazonOrderId", f"<{action}Result>")
    items_el = doc.child(result, "OrderItems")
    items = (
        ()
        if items_el is None
        else tuple(_item(doc, el, order_id) for el in doc.children(items_el, "OrderItem"))
    )
    return OrderItemsPage(
        amazon_order_id=order_id,
        items=items,
        next_token=doc.text(result, "NextToken"),
        request_id=doc.request_id,
    )
