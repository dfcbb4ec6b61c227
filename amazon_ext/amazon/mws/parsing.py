"""MWS XML responses → the shared types in amazon_ext.amazon.types.

Untrusted XML goes through defusedxml with DTDs forbidden (so no entity expansion, no external
references). Lookups are namespace-aware: every element is looked up in the namespace of the
document element (Orders answers in ``https://mws.amazonservices.com/Orders/2013-09-01``,
Sellers in ``…/Sellers/2011-07-01``); an element in another namespace is not ours.

A page that cannot be trusted — not XML, the wrong document, a required element missing or
unreadable — raises :class:`AmazonResponseError` carrying the RequestId, so the caller writes
nothing from it. Element names follow ../shared/specs/amazon-apis.md §1 and §3 (MWS
Orders_Datatypes, DG_ResponseFormat); Sellers element names follow the MWS Sellers API
reference (ListMarketplaceParticipations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.types import Address, Money, Order, OrderItem, OrderPage

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MwsErrorBody:
    """The parts of an ``ErrorResponse`` the client acts on; empty strings when absent."""

    type: str
    code: str
    message: str
    request_id: str | None


@dataclass(frozen=True, slots=True)
class OrderItemsPage:
    """One page of ListOrderItems / ListOrderItemsByNextToken."""

    amazon_order_id: str
    items: tuple[OrderItem, ...]
    next_token: str | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """GetServiceStatus: GREEN, GREEN_I, YELLOW or RED, with Amazon's message texts."""

    status: str
    timestamp: datetime | None
    messages: tuple[str, ...]
    request_id: str | None


@dataclass(frozen=True, slots=True)
class ParticipationsPage:
    """ListMarketplaceParticipations: the marketplaces this seller takes part in."""

    marketplace_ids: tuple[str, ...]
    suspended_marketplace_ids: tuple[str, ...]
    next_token: str | None
    request_id: str | None


class _Doc:
    """The parsed document plus what an error message needs (RequestId, where we are)."""

    __slots__ = ("ns", "request_id", "root", "what")

    def __init__(self, root: Element, request_id: str | None, what: str) -> None:
        self.root = root
        self.ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        self.request_id = request_id
        self.what = what

    def fail(self, detail: str) -> AmazonResponseError:
        return AmazonResponseError(
            f"Amazon sent a {self.what} response we cannot read: {detail}. "
            "Nothing from it was saved.",
            code="MalformedResponse",
            request_id=self.request_id,
        )

    def child(self, parent: Element, name: str) -> Element | None:
        return parent.find(self.ns + name)

    def children(self, parent: Element, name: str) -> list[Element]:
        return parent.findall(self.ns + name)

    def text(self, parent: Element, name: str) -> str | None:
        el = parent.find(self.ns + name)
        if el is None or el.text is None:
            return None
        value = el.text.strip()
        return value or None

    def required(self, parent: Element, name: str, where: str) -> str:
        value = self.text(parent, name)
        if value is None:
            raise self.fail(f"{where} has no {name}")
        return value

    def convert(self, value: str | None, convert: Callable[[str], T], name: str) -> T | None:
        if value is None:
            return None
        try:
            return convert(value)
        except (ValueError, ArithmeticError):
            raise self.fail(f"{name} {value[:40]!r} is not valid") from None


def parse_xml(body: bytes, *, request_id: str | None, what: str) -> Element:
    """Parse untrusted XML safely; anything unreadable becomes AmazonResponseError."""
    try:
        return SafeET.fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise AmazonResponseError(
            f"Amazon sent a {what} response that is not well-formed XML ({type(exc).__name__}). "
            "Nothing from it was saved.",
            code="MalformedResponse",
            request_id=request_id,
        ) from None


def _open(body: bytes, *, root: str, request_id: str | None) -> _Doc:
    what = root.removesuffix("Response")
    element = parse_xml(body, request_id=request_id, what=what)
    doc = _Doc(element, request_id, what)
    if element.tag != doc.ns + root:
        raise doc.fail(f"expected <{root}>, got <{_local(element.tag)}>")
    if doc.request_id is None:
        meta = doc.child(element, "ResponseMetadata")
        if meta is not None:
            doc.request_id = doc.text(meta, "RequestId") or doc.text(meta, "RequestID")
    return doc


def _result(doc: _Doc, name: str) -> Element:
    result = doc.child(doc.root, name)
    if result is None:
        raise doc.fail(f"no <{name}>")
    return result


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# ---- value converters --------------------------------------------------------------------


def parse_datetime(value: str) -> datetime:
    """ISO 8601 → aware UTC. Accepts ``Z`` or an offset, fractional seconds, and the
    percent-encoded colons of Amazon's own doc samples; a value without offset is UTC."""
    if "%" in value:
        value = unquote(value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ValueError(value)
    return lowered == "true"


def _decimal(value: str) -> Decimal:
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidOperation(value)
    return amount


def _money(doc: _Doc, parent: Element, name: str) -> Money | None:
    el = doc.child(parent, name)
    if el is None:
        return None
    currency = doc.required(el, "CurrencyCode", name)
    amount = doc.convert(doc.required(el, "Amount", name), _decimal, f"{name}/Amount")
    if len(currency) != 3 or not currency.isalpha():
        raise doc.fail(f"{name}/CurrencyCode {currency[:10]!r} is not an ISO 4217 code")
    return Money(amount, currency.upper())


def _address(doc: _Doc, parent: Element) -> Address | None:
    el = doc.child(parent, "ShippingAddress")
    if el is None:
        return None
    return Address(
        name=doc.text(el, "Name"),
        line1=doc.text(el, "AddressLine1"),
        line2=doc.text(el, "AddressLine2"),
        line3=doc.text(el, "AddressLine3"),
        city=doc.text(el, "City"),
        state_or_region=doc.text(el, "StateOrRegion"),
        postal_code=doc.text(el, "PostalCode"),
        country_code=doc.text(el, "CountryCode"),
        phone=doc.text(el, "Phone"),
    )


# ---- orders ------------------------------------------------------------------------------


def _order(doc: _Doc, el: Element) -> Order:
    order_id = doc.required(el, "AmazonOrderId", "an Order")
    where = f"order {order_id}"
    return Order(
        amazon_order_id=order_id,
        purchase_date=doc.convert(
            doc.required(el, "PurchaseDate", where), parse_datetime, "PurchaseDate"
        ),
        last_update_date=doc.convert(
            doc.required(el, "LastUpdateDate", where), parse_datetime, "LastUpdateDate"
        ),
        order_status=doc.required(el, "OrderStatus", where),
        marketplace_id=doc.text(el, "MarketplaceId"),
        fulfillment_channel=doc.text(el, "FulfillmentChannel"),
        sales_channel=doc.text(el, "SalesChannel"),
        order_type=doc.text(el, "OrderType"),
        seller_order_id=doc.text(el, "SellerOrderId"),
        order_total=_money(doc, el, "OrderTotal"),
        buyer_email=doc.text(el, "BuyerEmail"),
        buyer_name=doc.text(el, "BuyerName"),
        shipping_address=_address(doc, el),
        number_of_items_shipped=doc.convert(
            doc.text(el, "NumberOfItemsShipped"), int, "NumberOfItemsShipped"
        ),
        number_of_items_unshipped=doc.convert(
            doc.text(el, "NumberOfItemsUnshipped"), int, "NumberOfItemsUnshipped"
        ),
        payment_method=doc.text(el, "PaymentMethod"),
        is_prime=bool(doc.convert(doc.text(el, "IsPrime"), _bool, "IsPrime")),
        is_business_order=bool(
            doc.convert(doc.text(el, "IsBusinessOrder"), _bool, "IsBusinessOrder")
        ),
    )


def parse_orders(body: bytes, *, action: str, request_id: str | None = None) -> OrderPage:
    """ListOrders, ListOrdersByNextToken or GetOrder → one :class:`OrderPage`.

    ``window_end`` is the echoed CreatedBefore / LastUpdatedBefore (None for GetOrder).
    """
    doc = _open(body, root=f"{action}Response", request_id=request_id)
    result = _result(doc, f"{action}Result")
    orders_el = doc.child(result, "Orders")
    orders = (
        ()
        if orders_el is None
        else tuple(_order(doc, el) for el in doc.children(orders_el, "Order"))
    )
    before = doc.text(result, "CreatedBefore") or doc.text(result, "LastUpdatedBefore")
    return OrderPage(
        orders=orders,
        next_token=doc.text(result, "NextToken"),
        window_end=doc.convert(before, parse_datetime, "CreatedBefore/LastUpdatedBefore"),
        request_id=doc.request_id,
    )


# ---- order items -------------------------------------------------------------------------


def _item(doc: _Doc, el: Element, order_id: str) -> OrderItem:
    item_id = doc.required(el, "OrderItemId", f"an OrderItem of order {order_id}")
    where = f"order item {item_id}"
    return OrderItem(
        order_item_id=item_id,
        asin=doc.required(el, "ASIN", where),
        quantity_ordered=doc.convert(
            doc.required(el, "QuantityOrdered", where), int, "QuantityOrdered"
        ),
        seller_sku=doc.text(el, "SellerSKU"),
        title=doc.text(el, "Title"),
        quantity_shipped=doc.convert(doc.text(el, "QuantityShipped"), int, "QuantityShipped") or 0,
        item_price=_money(doc, el, "ItemPrice"),
        item_tax=_money(doc, el, "ItemTax"),
        shipping_price=_money(doc, el, "ShippingPrice"),
        shipping_tax=_money(doc, el, "ShippingTax"),
        shipping_discount=_money(doc, el, "ShippingDiscount"),
        promotion_discount=_money(doc, el, "PromotionDiscount"),
        gift_wrap_price=_money(doc, el, "GiftWrapPrice"),
        gift_wrap_tax=_money(doc, el, "GiftWrapTax"),
        is_gift=bool(doc.convert(doc.text(el, "IsGift"), _bool, "IsGift")),
    )


def parse_order_items(body: bytes, *, action: str, request_id: str | None = None) -> OrderItemsPage:
    """ListOrderItems or ListOrderItemsByNextToken → one :class:`OrderItemsPage`."""
    doc = _open(body, root=f"{action}Response", request_id=request_id)
    result = _result(doc, f"{action}Result")
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


# ---- service status and sellers ----------------------------------------------------------


def parse_service_status(body: bytes, *, request_id: str | None = None) -> ServiceStatus:
    doc = _open(body, root="GetServiceStatusResponse", request_id=request_id)
    result = _result(doc, "GetServiceStatusResult")
    messages_el = doc.child(result, "Messages")
    messages = ()
    if messages_el is not None:
        messages = tuple(
            text
            for el in doc.children(messages_el, "Message")
            if (text := doc.text(el, "Text")) is not None
        )
    return ServiceStatus(
        status=doc.required(result, "Status", "GetServiceStatusResult"),
        timestamp=doc.convert(doc.text(result, "Timestamp"), parse_datetime, "Timestamp"),
        messages=messages,
        request_id=doc.request_id,
    )


def parse_participations(
    body: bytes, *, action: str, request_id: str | None = None
) -> ParticipationsPage:
    """ListMarketplaceParticipations(ByNextToken) → the seller's marketplace ids."""
    doc = _open(body, root=f"{action}Response", request_id=request_id)
    result = _result(doc, f"{action}Result")
    ids: list[str] = []
    suspended: list[str] = []
    participations = doc.child(result, "ListParticipations")
    if participations is not None:
        for el in doc.children(participations, "Participation"):
            marketplace_id = doc.required(el, "MarketplaceId", "a Participation")
            ids.append(marketplace_id)
            if (doc.text(el, "HasSellerSuspendedListings") or "").lower() == "yes":
                suspended.append(marketplace_id)
    return ParticipationsPage(
        marketplace_ids=tuple(ids),
        suspended_marketplace_ids=tuple(suspended),
        next_token=doc.text(result, "NextToken"),
        request_id=doc.request_id,
    )


# ---- errors ------------------------------------------------------------------------------


def parse_error(body: bytes, *, request_id: str | None = None) -> MwsErrorBody:
    """Read an ``ErrorResponse`` (RequestId or RequestID, any namespace); never raises.

    Error bodies come from several front ends, so elements are matched by local name.
    """
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException):
        return MwsErrorBody(type="", code="", message="", request_id=request_id)
    found: dict[str, str] = {}
    for el in root.iter():
        name = _local(el.tag)
        if name in ("Type", "Code", "Message", "RequestId", "RequestID") and name not in found:
            found[name] = (el.text or "").strip()
    return MwsErrorBody(
        type=found.get("Type", ""),
        code=found.get("Code", ""),
        message=found.get("Message", ""),
        request_id=request_id or found.get("RequestId") or found.get("RequestID") or None,
    )
