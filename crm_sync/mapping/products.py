"""Amazon order items → Zoho Products, one per ASIN."""

from __future__ import annotations

from amazon_ext.amazon.types import Order, OrderItem
from crm_sync.mapping.money import unit_price
from crm_sync.mapping.records import ZohoRecord, fingerprint, zoho_text


def product_record(item: OrderItem, currency: str, names: dict) -> ZohoRecord:
    """One Zoho product per ASIN. Price is the unit price of the order that introduced it."""
    fields = names["Products"]
    data = {
        "Product_Name": zoho_text(item.title) or item.asin,
        "Product_Code": zoho_text(item.seller_sku, 100),
        fields["ASIN No"]: item.asin,
        fields["Currency Code"]: currency,
        "Product_Active": True,
    }
    # Price changes with every promotion; it is not part of "has this product changed".
    content = fingerprint(data)
    if item.item_price is not None:
        data["Unit_Price"] = unit_price(item)
    return ZohoRecord(amazon_key=item.asin, data=data, fingerprint=content)


def products_for_orders(orders: list[Order], names: dict) -> list[ZohoRecord]:
    """Distinct products of a page of orders, first occurrence wins."""
    seen: dict[str, ZohoRecord] = {}
    for order in orders:
        currency = order.order_total.currency_code if order.order_total else ""
        for item in order.items:
            if item.asin in seen:
                continue
            item_currency = item.item_price.currency_code if item.item_price else currency
            seen[item.asin] = product_record(item, item_currency, names)
    return list(seen.values())
