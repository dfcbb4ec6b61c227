"""Orders API v2026-01-01 JSON → the shared types in amazon_ext.amazon.types.

Authority: Amazon's model ``models/orders-api-model/orders_2026-01-01.json`` in
amzn/selling-partner-api-models (read @34dc93fe45f3, 2026-08). Names below are the model's:
``searchOrders`` answers ``{"orders": [...], "pagination": {"nextToken"}, "createdBefore" |
"lastUpdatedBefore"}``, ``getOrder`` answers ``{"order": {...}}``; an Order always carries its
``orderItems`` (required), so no item call is needed.

Vocabulary is translated to what v0 / MWS send, so jobs and mapping see one language:
``fulfillment.fulfillmentStatus`` (UPPER_SNAKE_CASE) → ``OrderStatus`` values,
``fulfillment.fulfilledBy`` MERCHANT / AMAZON → MFN / AFN, ``programs`` PRIME /
AMAZON_BUSINESS / PREORDER → is_prime / is_business_order / order_type.

Money (``proceeds``, the delivery tip) is read in spapi/v2026_money.py, one item and the
address in spapi/v2026_items.py, the values themselves in spapi/v2026_reader.py.

Validation: amounts must match RFC 7159 number syntax (the model's ``Decimal``: "A decimal
number with no loss of precision. Follows RFC 7159"), be finite and below 10^12 with at most
10 decimals; dates must be ISO 8601 date-times in 1995–2100 (as v0 and MWS dates); every amount in an order must be in one
currency; a fulfillment status the model does not list is kept as Amazon sent it (never
guessed). An order that fails these checks is set aside in ``OrderPage.unreadable`` (the
pipeline quarantines it) and the rest of the page is read; getOrder raises
:class:`AmazonResponseError` naming the order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from amazon_ext.amazon import values
from amazon_ext.amazon.base import read_each_order
from amazon_ext.amazon.spapi.json_reader import MAX_JSON_DEPTH, TOO_DEEP
from amazon_ext.amazon.spapi.operations import MAX_RESULTS_PER_PAGE
from amazon_ext.amazon.spapi.v2026_items import read_address, read_item
from amazon_ext.amazon.spapi.v2026_money import delivery_tip
from amazon_ext.amazon.spapi.v2026_reader import (  # noqa: F401  (parse_*: public here too)
    Reader,
    load_json,
    parse_amount,
    parse_datetime,
)
from amazon_ext.amazon.types import Order, OrderPage

ORDER_STATUS = {
    "PENDING_AVAILABILITY": "PendingAvailability",
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
    "UNFULFILLABLE": "Unfulfillable",
}
# OrderFulfillment.fulfilledBy ("Possible values: AMAZON, MERCHANT") → v0 FulfillmentChannel.
FULFILLMENT_CHANNEL = {"MERCHANT": "MFN", "AMAZON": "AFN"}
# Statuses in which Amazon may withhold money (payment not authorised yet).
_MONEY_WITHHELD = frozenset({"PENDING", "PENDING_AVAILABILITY"})


def _marketplace(r: Reader, channel: dict) -> str | None:
    try:
        return values.check_marketplace_id(r.text(channel, "marketplaceId"), name="marketplaceId")
    except values.UnreadableValueError as exc:
        raise r.fail(str(exc)) from None


def _order(r: Reader, el: Any, label: str = "the order") -> Order:
    r.where = label
    r.currencies = set()
    if not isinstance(el, dict):
        raise r.fail("an order is not an object")
    if TOO_DEEP in el:
        raise r.fail(f"the order is nested more than {MAX_JSON_DEPTH} levels deep")
    order_id = r.required(el, "orderId")
    try:
        values.check_order_id(order_id, name="orderId")
    except values.UnreadableValueError as exc:
        raise r.fail(str(exc)) from None
    r.where = f"order {order_id}"
    created = r.when(el, "createdTime", required=True)
    updated = r.when(el, "lastUpdatedTime", required=True)
    channel = r.obj(el, "salesChannel", required=True)
    fulfillment = r.obj(el, "fulfillment")
    if fulfillment is None:
        raise r.fail("no fulfillment (the FULFILLMENT dataset must be in includedData)")
    raw_status = r.required(fulfillment, "fulfillmentStatus")
    try:
        # A status the model does not list is kept as Amazon sent it: the CRM shows it in
        # Amazon Order Status, history flags it, and nothing guesses what it means.
        values.check_order_status(raw_status, name="fulfillmentStatus")
    except values.UnreadableValueError as exc:
        raise r.fail(str(exc)) from None
    fulfilled_by = r.text(fulfillment, "fulfilledBy")
    if fulfilled_by is not None and fulfilled_by not in FULFILLMENT_CHANNEL:
        raise r.fail(f"unknown fulfilledBy {fulfilled_by[:40]!r}")
    programs = r.strings(el, "programs")
    aliases = tuple(
        (r.required(a, "aliasType"), r.required(a, "aliasId"))
        for a in r.objects(el, "orderAliases")
    )
    associated = tuple(
        (r.text(a, "associationType") or "", r.required(a, "orderId"))
        for a in r.objects(el, "associatedOrders")
    )
    buyer = r.obj(el, "buyer") or {}
    recipient = r.obj(el, "recipient") or {}
    payment = r.obj(el, "payment") or {}
    methods = []
    for execution in r.objects(payment, "paymentExecutions"):
        r.money(execution, "paymentAmount")  # currency check only
        method = r.text(execution, "paymentMethod")
        if method and method not in methods:
            methods.append(method)
    order_proceeds = r.obj(el, "proceeds") or {}
    grand = r.money(order_proceeds, "grandTotal")
    shipping_address = read_address(r, recipient)

    parsed = [read_item(r, item, order_id) for item in r.objects(el, "orderItems", required=True)]
    r.where = f"order {order_id}"
    items = tuple(item for item, _, _ in parsed)
    paid = [p for _, p, _ in parsed]
    items_total = None
    if all(p is not None for p in paid):
        items_total = sum((p for p in paid if p is not None), Decimal(0))
    elif raw_status not in _MONEY_WITHHELD and (
        grand is not None or any(p is not None for p in paid)
    ):
        unpriced = ", ".join(i.order_item_id for i, p, _ in parsed if p is None)
        raise r.fail(f"Amazon sent proceeds for the order but not for item(s) {unpriced}")
    unfulfilled = [q for _, _, q in parsed]
    counted = any(q is not None for q in unfulfilled)
    channel_name = r.required(channel, "channelName")
    if channel_name == "NON_AMAZON":
        sales_channel = "Non-Amazon"  # v0's SalesChannel for orders placed off Amazon
    else:
        sales_channel = r.text(channel, "marketplaceName") or channel_name
    return Order(
        amazon_order_id=order_id,
        purchase_date=created,
        last_update_date=updated,
        order_status=ORDER_STATUS.get(raw_status, raw_status),
        marketplace_id=_marketplace(r, channel),
        fulfillment_channel=FULFILLMENT_CHANNEL.get(fulfilled_by or ""),
        sales_channel=sales_channel,
        order_type="Preorder" if "PREORDER" in programs else "StandardOrder",
        seller_order_id=next((v for t, v in aliases if t == "SELLER_ORDER_ID"), None),
        order_total=grand,
        buyer_email=r.text(buyer, "buyerEmail"),
        buyer_name=r.text(buyer, "buyerName"),
        shipping_address=shipping_address,
        number_of_items_shipped=sum(i.quantity_shipped for i in items) if counted else None,
        number_of_items_unshipped=sum(q or 0 for q in unfulfilled) if counted else None,
        payment_method=",".join(methods) or None,
        is_prime="PRIME" in programs,
        is_business_order="AMAZON_BUSINESS" in programs,
        items=items,
        delivery_tip=delivery_tip(r, order_proceeds, grand, items_total),
        programs=programs,
        order_aliases=aliases,
        associated_orders=associated,
        replaced_order_id=next((v for t, v in associated if t == "REPLACEMENT_ORIGINAL_ID"), None),
        buyer_company_name=r.text(buyer, "buyerCompanyName"),
        # OrderFulfillment.deliverByWindow (DateTimeRange): "The promised time period within
        # which the order should be delivered to the customer" (orders_2026-01-01.json @34dc93fe).
        latest_delivery_date=r.when(
            r.obj(fulfillment, "deliverByWindow") or {}, "latestDateTime", required=False
        ),
    )


def parse_search_orders(
    body: bytes, *, request_id: str | None = None, by_created: bool | None = None
) -> OrderPage:
    """searchOrders → one :class:`OrderPage` whose orders carry their items.

    ``next_token`` is ``pagination.nextToken`` (absent on the last page); ``window_end`` is
    the echoed ``createdBefore`` (``by_created``) or ``lastUpdatedBefore``.
    """
    r = Reader(request_id, "searchOrders")
    data = load_json(body, request_id=request_id, what="searchOrders")
    raw_orders = r.items(data, "orders", required=True)
    pagination = r.obj(data, "pagination") or {}
    next_token = r.text(pagination, "nextToken")
    if by_created is None:
        by_created = data.get("createdBefore") is not None
    window_end = r.when(
        data, "createdBefore" if by_created else "lastUpdatedBefore", required=False
    )
    if len(raw_orders) > MAX_RESULTS_PER_PAGE:
        raise r.fail(f"{len(raw_orders)} orders on one page, more than {MAX_RESULTS_PER_PAGE}")
    # One unreadable order is set aside (quarantined), not the page; an order listed twice
    # is kept once, its newest copy.
    orders, unreadable = read_each_order(
        list(enumerate(raw_orders, 1)),
        lambda entry: _order(r, entry[1], f"order #{entry[0]} of the page"),
        id_of=lambda entry: entry[1].get("orderId") if isinstance(entry[1], dict) else None,
        request_id=request_id,
    )
    return OrderPage(
        orders=orders,
        next_token=next_token,
        window_end=window_end,
        request_id=request_id,
        unreadable=unreadable,
    )


def parse_get_order(body: bytes, *, request_id: str | None = None) -> Order:
    """getOrder → one :class:`Order` with its items."""
    r = Reader(request_id, "getOrder")
    data = load_json(body, request_id=request_id, what="getOrder")
    return _order(r, r.obj(data, "order", required=True))
