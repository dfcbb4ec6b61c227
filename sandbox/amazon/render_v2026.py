"""Book orders as Orders API v2026-01-01 ``Order`` objects (``definitions/Order`` of
``models/orders-api-model/orders_2026-01-01.json`` in amzn/selling-partner-api-models).

What each ``includedData`` dataset adds:

* always: ``orderId``, ``orderAliases`` (SELLER_ORDER_ID), ``createdTime``, ``lastUpdatedTime``,
  ``programs`` (PRIME, AMAZON_BUSINESS), ``salesChannel`` and ``orderItems`` (``orderItemId``,
  ``quantityOrdered``, ``product``; the required fields of ``Order`` / ``OrderItem``).
* ``FULFILLMENT``: ``fulfillment`` (``fulfillmentStatus`` in UPPER_SNAKE_CASE, ``fulfilledBy``
  MERCHANT / AMAZON, service level, ship-by window) and each item's ``fulfillment``
  (quantities, ``packing.giftOption``).
* ``PROCEEDS``: ``proceeds.grandTotal`` with ``breakdowns`` aggregated over the items, and
  each item's ``proceeds.proceedsTotal`` with ``breakdowns`` (below).
* ``BUYER`` / ``RECIPIENT``: ``buyer`` and ``recipient.deliveryAddress``, gated by the
  application's roles (:mod:`sandbox.amazon.roles`).
* ``PROMOTION``: each discounted item's ``promotion.breakdowns[].promotionId``.
* EXPENSE, CANCELLATION, PACKAGES, TAX, PAYMENT, FULFILLMENT_ORDERS are accepted; the book
  holds nothing for them, so they add nothing.

Money (the book's item money, see :mod:`sandbox.amazon.records`), per item:
ITEM = ItemPrice; SHIPPING; GIFT_WRAP; TAX = item + shipping + gift-wrap tax with
``detailedBreakdowns`` ITEM / SHIPPING / GIFT_WRAP; DISCOUNT = −(promotion + shipping
discount) with ``detailedBreakdowns`` ITEM / SHIPPING. A category whose amount is zero is left
out (ITEM never is). ``proceedsTotal`` = the sum of the breakdown subtotals = the line's share
of OrderTotal, and ``grandTotal`` = Σ ``proceedsTotal`` = the v0 / MWS OrderTotal. The model
does not say which sign a DISCOUNT carries; it is sent negative, so every subtotal adds up as
written. Pending orders (payment not authorised) carry neither proceeds nor unit prices.
"""

from __future__ import annotations

from decimal import Decimal

from sandbox.amazon import roles as r
from sandbox.amazon.records import ZERO, BookItem, BookOrder, iso_z, money_str

FULFILLMENT_STATUS = {
    "PendingAvailability": "PENDING_AVAILABILITY",
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "Canceled": "CANCELLED",
    "Unfulfillable": "UNFULFILLABLE",
}
FULFILLED_BY = {"MFN": "MERCHANT", "AFN": "AMAZON"}
SERVICE_LEVEL = {"Standard": "STANDARD", "Expedited": "EXPEDITED", "NextDay": "NEXT_DAY"}
# Statuses in which an order has a delivery address (as the v0 stand-in shows ShippingAddress).
RECIPIENT_STATUSES = frozenset({"Unshipped", "PartiallyShipped", "Shipped"})


def _money(amount: Decimal, o: BookOrder) -> dict:
    return {"amount": money_str(amount, o.decimals), "currencyCode": o.currency}


def _entry(kind: str, amount: Decimal, o: BookOrder, details=None) -> dict:
    out: dict = {"type": kind, "subtotal": _money(amount, o)}
    if details:
        out["detailedBreakdowns"] = [
            {"subtype": sub, "value": _money(value, o)} for sub, value in details
        ]
    return out


def item_breakdowns(i: BookItem) -> list[tuple[str, Decimal, list[tuple[str, Decimal]]]]:
    """(type, subtotal, detailed breakdowns) of one line; zero categories left out."""
    out: list[tuple[str, Decimal, list[tuple[str, Decimal]]]] = [("ITEM", i.item_price, [])]
    if i.shipping_price:
        out.append(("SHIPPING", i.shipping_price, []))
    if i.gift_wrap_price:
        out.append(("GIFT_WRAP", i.gift_wrap_price, []))
    taxes = [("ITEM", i.item_tax), ("SHIPPING", i.shipping_tax), ("GIFT_WRAP", i.gift_wrap_tax)]
    taxes = [(sub, v) for sub, v in taxes if v or sub == "ITEM"]
    if any(v for _, v in taxes):
        out.append(("TAX", sum((v for _, v in taxes), ZERO), taxes))
    discounts = [(s, -v) for s, v in (("ITEM", i.promotion_discount),
                                      ("SHIPPING", i.shipping_discount)) if v]  # fmt: skip
    if discounts:
        out.append(("DISCOUNT", sum((v for _, v in discounts), ZERO), discounts))
    return out


def _item_proceeds(o: BookOrder, i: BookItem) -> dict:
    parts = item_breakdowns(i)
    total = sum((amount for _, amount, _ in parts), ZERO)
    if total != i.total:  # the book's money rule and this rendering must agree
        raise AssertionError(f"item {i.order_item_id}: breakdowns {total} != {i.total}")
    return {
        "proceedsTotal": _money(total, o),
        "breakdowns": [_entry(kind, amount, o, details) for kind, amount, details in parts],
    }


def _order_proceeds(o: BookOrder) -> dict:
    sums: dict[str, Decimal] = {}
    for i in o.items:
        for kind, amount, _ in item_breakdowns(i):
            sums[kind] = sums.get(kind, ZERO) + amount
    return {
        "grandTotal": _money(o.order_total, o),
        "breakdowns": [_entry(kind, amount, o) for kind, amount in sums.items()],
    }


def _item(o: BookOrder, i: BookItem, datasets: frozenset[str], grants: frozenset[str]) -> dict:
    product: dict = {
        "asin": i.asin,
        "title": i.title,
        "sellerSku": i.seller_sku,
        "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
    }
    if o.details_visible:
        product["price"] = {"unitPrice": _money(i.unit_price, o)}
    d: dict = {"orderItemId": i.order_item_id, "quantityOrdered": i.quantity, "product": product}
    if "PROCEEDS" in datasets and o.details_visible:
        d["proceeds"] = _item_proceeds(o, i)
    if "PROMOTION" in datasets and i.promotion_id:
        d["promotion"] = {"breakdowns": [{"promotionId": i.promotion_id}]}
    if "FULFILLMENT" in datasets:
        f: dict = {
            "quantityFulfilled": i.quantity_shipped,
            "quantityUnfulfilled": i.quantity - i.quantity_shipped,
        }
        gift: dict = {}
        if i.gift_message and r.GIFT_MESSAGE in grants:
            gift["giftMessage"] = i.gift_message
        if i.gift_wrap_level:
            gift["giftWrapLevel"] = i.gift_wrap_level.upper()
        if i.is_gift and gift:
            f["packing"] = {"giftOption": gift}
        d["fulfillment"] = f
    return d


def _address(o: BookOrder, grants: frozenset[str]) -> dict:
    a = o.shipping_address
    out: dict = {}
    if r.ADDRESS_LINES in grants:
        out["name"] = a.name
        out["addressLine1"] = a.line1
        if a.line2:
            out["addressLine2"] = a.line2
    out["city"] = a.city
    if a.state_or_region:
        out["stateOrRegion"] = a.state_or_region
    out["postalCode"] = a.postal_code
    out["countryCode"] = a.country_code
    # "The buyer phone number will be suppressed in some cases, including … All FBA orders."
    if r.ADDRESS_LINES in grants and a.phone and o.fulfillment_channel == "MFN":
        out["phone"] = a.phone
    if a.address_type:
        out["addressType"] = a.address_type.upper()
    return out


def render_order(o: BookOrder, datasets: frozenset[str], app_roles: frozenset[str]) -> dict:
    """One ``Order`` for the ``includedData`` ``datasets``, as an app with ``app_roles`` sees
    it."""
    grants = r.grants(o, app_roles)
    programs = [p for p, on in (("PRIME", o.is_prime), ("AMAZON_BUSINESS", o.is_business_order))
                if on]  # fmt: skip
    d: dict = {
        "orderId": o.amazon_order_id,
        "orderAliases": [{"aliasId": o.seller_order_id, "aliasType": "SELLER_ORDER_ID"}],
        "createdTime": iso_z(o.purchase_date),
        "lastUpdatedTime": iso_z(o.last_update_date),
        "programs": programs,
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": o.marketplace_id,
            "marketplaceName": o.sales_channel,
        },
    }
    if "BUYER" in datasets:
        buyer: dict = {}
        if r.BUYER_NAME in grants:
            buyer["buyerName"] = o.buyer_name
        if r.BUYER_EMAIL in grants and o.buyer_email:
            buyer["buyerEmail"] = o.buyer_email
        d["buyer"] = buyer
    if "RECIPIENT" in datasets and o.status in RECIPIENT_STATUSES:
        d["recipient"] = {"deliveryAddress": _address(o, grants)}
    if "PROCEEDS" in datasets and o.details_visible:
        d["proceeds"] = _order_proceeds(o)
    if "FULFILLMENT" in datasets:
        level = SERVICE_LEVEL.get(o.shipment_service_level_category, "STANDARD")
        d["fulfillment"] = {
            "fulfillmentStatus": FULFILLMENT_STATUS[o.status],
            "fulfilledBy": FULFILLED_BY[o.fulfillment_channel],
            "fulfillmentServiceLevel": level,
            "shipByWindow": {
                "earliestDateTime": iso_z(o.earliest_ship_date),
                "latestDateTime": iso_z(o.latest_ship_date),
            },
        }
        if o.delivery_window_visible:
            d["fulfillment"]["deliverByWindow"] = {
                "earliestDateTime": iso_z(o.earliest_delivery_date),
                "latestDateTime": iso_z(o.latest_delivery_date),
            }
    d["orderItems"] = [_item(o, i, datasets, grants) for i in o.items]
    return d
