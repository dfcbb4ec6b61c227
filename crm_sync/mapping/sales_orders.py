"""Amazon orders → Zoho Sales Orders: the lines, status and currency fields, the shipping
address, and the amounts as money.py sets them so Grand_Total is Amazon's OrderTotal.
"""

from __future__ import annotations

from decimal import Decimal

from amazon_ext.amazon.types import Order
from crm_sync.mapping.money import (
    check_mappable,
    checked_adjustment,
    checked_currency,
    money_amount,
    order_currency,
    unit_price,
)
from crm_sync.mapping.records import ZOHO_STATUS, ZohoRecord, zoho_text


def sales_order_without_buyer_data() -> dict:
    """What removing a buyer's data writes onto their Sales Order: the street emptied; the
    order, its money and city, state, postal code and country stay."""
    return {"Shipping_Street": ""}


def order_lines(order: Order, product_ids: dict[str, str]) -> list[dict]:
    """One line per item: its price only (see the module docstring for where tax goes)."""
    check_mappable(order)
    return _lines(order, product_ids)


def _lines(order: Order, product_ids: dict[str, str]) -> list[dict]:
    lines = []
    for item in order.items:
        price = unit_price(item)
        item_price = money_amount(item.item_price)
        rounding = price * item.quantity_ordered - item_price if item.item_price else Decimal(0)
        lines.append(
            {
                "Product_Name": {"id": product_ids[item.asin]},
                "Quantity": item.quantity_ordered,
                "List_Price": price,
                "Discount": money_amount(item.promotion_discount) + rounding,
                "Description": zoho_text(
                    f"{item.asin} {item.seller_sku or ''} {item.title or ''}", 2000
                ),
            }
        )
    return lines


def status_fields(order: Order, names: dict) -> dict:
    fields = names["Sales_Orders"]
    data = {fields["Amazon Order Status"]: order.order_status}
    if order.order_status in ZOHO_STATUS:  # an unknown status is shown, never guessed
        data["Status"] = ZOHO_STATUS[order.order_status]
    return data


def currency_fields(order: Order, names: dict) -> dict:
    """In a multi-currency org (its Currency field was read back at field set-up), the
    order's currency; Zoho then takes that currency's exchange rate from the org's table,
    as it does for a record entered by hand. Nothing is converted: the amounts stay
    Amazon's. A single-currency org has no such field and gets none."""
    return _currency_fields(order_currency(order), names)


def _currency_fields(currency: str, names: dict) -> dict:
    api_name = names["Sales_Orders"].get("Currency")
    return {api_name: currency} if api_name and currency else {}


def sales_order_record(
    order: Order, *, contact_id: str, product_ids: dict[str, str], names: dict
) -> ZohoRecord:
    fields = names["Sales_Orders"]
    currency = checked_currency(order)  # the one check of the order's money
    data = {
        "Subject": f"Amazon order {order.amazon_order_id}",
        fields["Amazon Order ID"]: order.amazon_order_id,
        fields["Order Type"]: order.order_type or "",
        fields["Sales Channel"]: order.sales_channel or "",
        "Contact_Name": {"id": contact_id},
        "Purchase_Order": order.seller_order_id or "",
        "Customer_No": order.marketplace_id or "",
        "Adjustment": checked_adjustment(order),
        "Ordered_Items": _lines(order, product_ids),
        **status_fields(order, names),
        **_currency_fields(currency, names),
    }
    address = order.shipping_address
    if address is not None:
        street = ", ".join(p for p in (address.line1, address.line2, address.line3) if p)
        data.update(
            {
                "Shipping_Street": zoho_text(street),
                "Shipping_City": zoho_text(address.city),
                "Shipping_State": zoho_text(address.state_or_region),
                "Shipping_Code": zoho_text(address.postal_code, 30),
                "Shipping_Country": zoho_text(address.country_code),
            }
        )
    return ZohoRecord(amazon_key=order.amazon_order_id, data=data, content=data)
