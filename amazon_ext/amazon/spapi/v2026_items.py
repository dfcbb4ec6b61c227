"""Orders API v2026-01-01: one order item and the delivery address (a recipient's
``deliveryAddress``), read into the shared types."""

from __future__ import annotations

from decimal import Decimal

from amazon_ext.amazon.spapi.v2026_money import Sums, item_money
from amazon_ext.amazon.spapi.v2026_reader import Reader
from amazon_ext.amazon.types import Address, OrderItem


def read_item(r: Reader, el: dict, order_id: str) -> tuple[OrderItem, Decimal | None, int | None]:
    """One OrderItem, what the buyer pays for it (None: no proceeds sent) and its
    unfulfilled quantity."""
    item_id = r.required(el, "orderItemId")
    r.where = f"order {order_id}, item {item_id}"
    product = r.obj(el, "product", required=True)
    price = r.obj(product, "price") or {}
    fulfillment = r.obj(el, "fulfillment") or {}
    packing = r.obj(fulfillment, "packing") or {}
    proceeds = r.obj(el, "proceeds")
    sums, total = item_money(r, proceeds) if proceeds is not None else (Sums(), None)
    item = OrderItem(
        order_item_id=item_id,
        asin=r.required(product, "asin"),
        quantity_ordered=r.quantity(el, "quantityOrdered", required=True),
        seller_sku=r.text(product, "sellerSku"),
        title=r.text(product, "title"),
        quantity_shipped=r.quantity(fulfillment, "quantityFulfilled") or 0,
        item_price=sums.money("item_price"),
        item_tax=sums.money("item_tax"),
        shipping_price=sums.money("shipping_price"),
        shipping_tax=sums.money("shipping_tax"),
        shipping_discount=sums.money("shipping_discount"),
        promotion_discount=sums.money("promotion_discount"),
        gift_wrap_price=sums.money("gift_wrap_price"),
        gift_wrap_tax=sums.money("gift_wrap_tax"),
        is_gift=bool(r.obj(packing, "giftOption")),
        cod_fee=sums.money("cod_fee"),
        other_charges=sums.money("other_charges"),
        unit_price=r.money(price, "unitPrice"),
        proceeds_total=total,
        programs=r.strings(el, "programs"),
    )
    paid = sums.total() if proceeds is not None else None
    return item, paid, r.quantity(fulfillment, "quantityUnfulfilled")


def read_address(r: Reader, recipient: dict) -> Address | None:
    el = r.obj(recipient, "deliveryAddress")
    if not el:
        return None
    return Address(
        name=r.text(el, "name"),
        line1=r.text(el, "addressLine1"),
        line2=r.text(el, "addressLine2"),
        line3=r.text(el, "addressLine3"),
        city=r.text(el, "city"),
        state_or_region=r.text(el, "stateOrRegion"),
        postal_code=r.text(el, "postalCode"),
        country_code=r.text(el, "countryCode"),
        phone=r.text(el, "phone"),
    )
