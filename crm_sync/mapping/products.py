"""Amazon order items → Zoho Products, one per ASIN.

A product has one Unit_Price, so it is kept in the organisation's home currency
(``names["Org"]["Home Currency"]``, read from Zoho's ``GET /org`` at field set-up): an order
in another currency never changes it; its Sales Order lines carry their own List_Price in
the order's currency. A product first seen in an order in another currency (or a Pending
order without prices) is created without a Unit_Price or Currency Code rather than with a
foreign price Zoho would show as a home-currency one (a BRL 199.90 read as $199.90 in quotes
and reports); its first home-currency order fills them in. Never converted: we do not know
the rate the seller would want, and Zoho keeps its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from amazon_ext.amazon.types import Order, OrderItem
from crm_sync.mapping.money import unit_price
from crm_sync.mapping.records import ZohoRecord, zoho_text


def home_currency(names: dict) -> str:
    """The Zoho organisation's home currency ("" when not known yet)."""
    return (names.get("Org") or {}).get("Home Currency", "")


def product_record(item: OrderItem, currency: str, names: dict) -> ZohoRecord:
    """One Zoho product per ASIN, priced by ``item`` when its price is in the home currency
    (any currency while the home currency is not known)."""
    fields = names["Products"]
    home = home_currency(names)
    priced = item.item_price is not None and currency != "" and currency == (home or currency)
    data = {
        "Product_Name": zoho_text(item.title) or item.asin,
        "Product_Code": zoho_text(item.seller_sku, 100),
        fields["ASIN No"]: item.asin,
        "Product_Active": True,
    }
    if priced:
        data[fields["Currency Code"]] = currency
    # Price changes with every promotion; it is not part of "has this product changed".
    content = dict(data)
    if priced:
        data["Unit_Price"] = unit_price(item)
        if fields.get("Currency"):  # multi-currency org: the price is in the home currency
            data[fields["Currency"]] = currency
    return ZohoRecord(amazon_key=item.asin, data=data, content=content, create_only=not priced)


def order_products(order: Order, names: dict) -> list[ZohoRecord]:
    """The distinct products of one order (``products_for_orders`` of it alone)."""
    return merge_products([_item_products(order, names)])


def _item_products(order: Order, names: dict) -> Iterable[ZohoRecord]:
    currency = order.order_total.currency_code if order.order_total else ""
    for item in order.items:
        item_currency = item.item_price.currency_code if item.item_price else currency
        yield product_record(item, item_currency, names)


def merge_products(per_order: Iterable[Iterable[ZohoRecord]]) -> list[ZohoRecord]:
    """Distinct products of several orders' records, in order: the first priced occurrence
    wins, else the first one. Merging each order's ``order_products`` gives what mapping all
    the orders' items in one pass gives (the rule only ever looks at earlier records)."""
    seen: dict[str, ZohoRecord] = {}
    for records in per_order:
        for record in records:
            found = seen.get(record.amazon_key)
            if found is None or (found.create_only and not record.create_only):
                seen[record.amazon_key] = record
    return list(seen.values())


def products_for_orders(orders: list[Order], names: dict) -> list[ZohoRecord]:
    """Distinct products of a page of orders: the first priced occurrence wins, else the
    first one."""
    return merge_products(_item_products(order, names) for order in orders)
