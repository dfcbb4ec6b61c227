"""Amazon orders → Zoho CRM records. Pure functions: no I/O, no database, no clock.

Field API names of the manual's custom fields differ per organisation, so every function
takes ``names`` (ZohoConnection.field_api_names) and never assumes one.

Totals: Zoho computes each line's total as List_Price × Quantity − Discount + the line's tax,
and the order's Grand_Total as the sum of lines − Discount + Tax + Adjustment. We put item
prices on the lines (unit price rounded up to the currency's precision, the rounding added back
as line discount so the line equals Amazon's ItemPrice exactly) and every other amount the
buyer pays (item tax, shipping, gift wrap, COD fee, other charges, delivery tip, less shipping
discounts) in Adjustment, so Grand_Total equals Amazon's OrderTotal to the cent.

Why item tax is not on the line: Zoho has no line field for an *amount* of tax. A line's tax
is ``Line_Tax``, a list of the org's named taxes with percentages
(``[{"name": "VAT", "percentage": 10}]``), from which Zoho computes the line's ``Tax`` on the
amount after discount ("the cumulative tax … is automatically calculated based on the amount
(after the discount)", Zoho's Kaizen #9, Handling Product Line Items in the Inventory Modules;
``LineTax`` has only name and percentage in Zoho's SDK, zohocrm-python-sdk-8.0
samples/record/create_records.py). A ``Tax`` amount sent on a line is recalculated away, and
the order-level ``Tax`` is derived the same way from ``$line_tax``. Amazon gives an amount,
usually not a whole percentage of the line, and the taxes would have to exist by name in every
org; ``Adjustment`` is the one order field Zoho takes as an amount.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from amazon_ext.amazon.types import Money, Order, OrderItem
from crm_sync.buyer_keys import PER_ORDER_PREFIX, BuyerKeyer, anonymous_name, is_hashed

# Before buyer keys (crm_sync.buyer_keys), Contacts were keyed by the lower-cased email and
# withheld buyers shared one contact under this key; kept for the move to the new keys.
WITHHELD_BUYER_KEY = "amazon-customer@withheld.invalid"
WITHHELD_BUYER_NAME = "Amazon Customer"

# Amazon OrderStatus → Zoho Sales Order "Status" picklist (Zoho's default values).
ZOHO_STATUS = {
    "PendingAvailability": "Created",
    "Pending": "Created",
    "Unshipped": "Approved",
    "PartiallyShipped": "Approved",
    "InvoiceUnconfirmed": "Approved",
    "Shipped": "Delivered",
    "Canceled": "Cancelled",
    "Unfulfillable": "Cancelled",
}
INCOMPLETE_STATUSES = frozenset({"Pending", "PendingAvailability"})
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "VND", "ISK", "HUF"})


@dataclass(frozen=True)
class ZohoRecord:
    """A record ready to write, with the Amazon key it belongs to and a fingerprint of its
    content (equal fingerprint = nothing to write)."""

    amazon_key: str
    data: dict
    fingerprint: str


class UnmappableOrderError(Exception):
    """An order that cannot be written to Zoho as Amazon sent it; ``reason`` says why and what
    to do, in the user's words, with no buyer data in it. Raised by ``check_mappable`` (and so
    by every function that maps an order's money)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fingerprint(data: dict) -> str:
    encoded = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def is_complete(order: Order) -> bool:
    """Amazon withholds money and buyer until payment clears (Pending)."""
    return order.order_status not in INCOMPLETE_STATUSES


def _exponent(currency: str) -> Decimal:
    return Decimal("1") if currency in _ZERO_DECIMAL_CURRENCIES else Decimal("0.01")


def _amount(money: Money | None) -> Decimal:
    return money.amount if money is not None else Decimal("0")


def unit_price(item: OrderItem) -> Decimal:
    """ItemPrice is for the whole quantity; Zoho wants a unit price."""
    if item.item_price is None or item.quantity_ordered <= 0:
        return Decimal("0")
    exact = item.item_price.amount / item.quantity_ordered
    return exact.quantize(_exponent(item.item_price.currency_code), rounding=ROUND_CEILING)


def _text(value: str | None, limit: int = 255) -> str:
    return (value or "").strip()[:limit]


# --- Products -------------------------------------------------------------------------


def product_record(item: OrderItem, currency: str, names: dict) -> ZohoRecord:
    """One Zoho product per ASIN. Price is the unit price of the order that introduced it."""
    fields = names["Products"]
    data = {
        "Product_Name": _text(item.title) or item.asin,
        "Product_Code": _text(item.seller_sku, 100),
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


# --- Contacts -------------------------------------------------------------------------


def buyer_key(order: Order, keyer: BuyerKeyer) -> str:
    """The order's Contact key (``crm_sync.buyer_keys``): a keyed hash of the relay alias,
    never the email itself."""
    return keyer.key(order)


def split_name(full_name: str | None) -> tuple[str, str]:
    """("Jane Q.", "Doe") from "Jane Q. Doe"; a single word is the last name; nothing at
    all is "Amazon Customer" (Zoho requires Last_Name)."""
    parts = (full_name or "").split()
    if not parts:
        return "", WITHHELD_BUYER_NAME
    if len(parts) == 1:
        return "", parts[0][:80]
    return " ".join(parts[:-1])[:40], parts[-1][:80]


def contact_record(order: Order, names: dict, keyer: BuyerKeyer) -> ZohoRecord:
    """The order's buyer as a Contact, keyed by ``Amazon Buyer Key``. *Amazon Buyer Email*
    and *Buyer Name* are display fields, filled while the data may be kept. A buyer without
    an identity gets the anonymous contact of the marketplace, which carries no buyer data
    at all (it is shared), or, by the seller's choice, a contact of its own order."""
    fields = names["Contacts"]
    key = buyer_key(order, keyer)
    address = order.shipping_address
    if not is_hashed(key) and not key.startswith(PER_ORDER_PREFIX):
        label = anonymous_name(key)
        data = {
            "First_Name": "",
            "Last_Name": label[:80],
            fields["Buyer Name"]: label,
            fields["Amazon Buyer Key"]: key,
        }
        return ZohoRecord(amazon_key=key, data=data, fingerprint=fingerprint(data))
    name = order.buyer_name or (address.name if address else None)
    first, last = split_name(name)
    if not name and not is_hashed(key):
        first, last = "", anonymous_name(key)[:80]
    email = (order.buyer_email or "").strip()
    data = {
        "First_Name": first,
        "Last_Name": last,
        "Email": email,
        fields["Buyer Name"]: _text(name) or last,
        fields["Amazon Order ID"]: order.amazon_order_id,
        fields["Amazon Buyer Email"]: email.lower(),
        fields["Amazon Buyer Key"]: key,
    }
    if address is not None:
        street = ", ".join(p for p in (address.line1, address.line2, address.line3) if p)
        data.update(
            {
                "Mailing_Street": _text(street),
                "Mailing_City": _text(address.city),
                "Mailing_State": _text(address.state_or_region),
                "Mailing_Zip": _text(address.postal_code, 30),
                "Mailing_Country": _text(address.country_code),
            }
        )
        if address.phone:
            data["Phone"] = _text(address.phone, 30)
    return ZohoRecord(amazon_key=key, data=data, fingerprint=fingerprint(data))


def contact_without_buyer_data(names: dict) -> dict:
    """What removing a buyer's data writes onto their Contact: name, email, street and
    phone emptied (the key, city, state, postal code and country stay), so a later order
    of the same buyer still finds the contact by its key."""
    fields = names["Contacts"]
    return {
        "First_Name": "",
        "Last_Name": WITHHELD_BUYER_NAME,
        "Email": "",
        "Phone": "",
        "Mailing_Street": "",
        fields["Buyer Name"]: WITHHELD_BUYER_NAME,
        fields["Amazon Buyer Email"]: "",
    }


def sales_order_without_buyer_data() -> dict:
    """What removing a buyer's data writes onto their Sales Order: the street emptied; the
    order, its money and city, state, postal code and country stay."""
    return {"Shipping_Street": ""}


def latest_order_per_buyer(orders: list[Order], keyer: BuyerKeyer) -> dict[str, Order]:
    """The buyer's latest order (by purchase date) describes the buyer."""
    latest: dict[str, Order] = {}
    for order in orders:
        key = buyer_key(order, keyer)
        current = latest.get(key)
        if current is None or order.purchase_date >= current.purchase_date:
            latest[key] = order
    return latest


def contacts_for_orders(orders: list[Order], names: dict, keyer: BuyerKeyer) -> list[ZohoRecord]:
    """One contact per buyer, described by the buyer's latest order."""
    latest = latest_order_per_buyer(orders, keyer)
    return [contact_record(order, names, keyer) for order in latest.values()]


# --- Sales Orders ---------------------------------------------------------------------


def order_lines(order: Order, product_ids: dict[str, str]) -> list[dict]:
    """One line per item: its price only (see the module docstring for where tax goes)."""
    check_mappable(order)
    lines = []
    for item in order.items:
        price = unit_price(item)
        item_price = _amount(item.item_price)
        rounding = price * item.quantity_ordered - item_price if item.item_price else Decimal(0)
        lines.append(
            {
                "Product_Name": {"id": product_ids[item.asin]},
                "Quantity": item.quantity_ordered,
                "List_Price": price,
                "Discount": _amount(item.promotion_discount) + rounding,
                "Description": _text(
                    f"{item.asin} {item.seller_sku or ''} {item.title or ''}", 2000
                ),
            }
        )
    return lines


def _order_money(order: Order) -> list[tuple[str, Money]]:
    """Every amount Amazon gave for the order, named as Amazon names it."""
    found = [("OrderTotal", order.order_total), ("DeliveryTip", order.delivery_tip)]
    for item in order.items:
        found += [
            ("ItemPrice", item.item_price),
            ("ItemTax", item.item_tax),
            ("ShippingPrice", item.shipping_price),
            ("ShippingTax", item.shipping_tax),
            ("ShippingDiscount", item.shipping_discount),
            ("PromotionDiscount", item.promotion_discount),
            ("GiftWrapPrice", item.gift_wrap_price),
            ("GiftWrapTax", item.gift_wrap_tax),
            ("CODFee", item.cod_fee),
            ("OtherCharges", item.other_charges),
        ]
    return [(name, money) for name, money in found if money is not None]


def check_mappable(order: Order) -> None:
    """Raise ``UnmappableOrderError`` if the order's money cannot be written as one Zoho
    order: a Sales Order has one currency, and adding a JPY price to a GBP gift wrap (Amazon's
    own example) would be a wrong total, so mixed currencies are refused, never summed."""
    currencies: dict[str, str] = {}
    for name, money in _order_money(order):
        currencies.setdefault(money.currency_code, name)
    if len(currencies) > 1:
        listed = ", ".join(f"{code} ({name})" for code, name in sorted(currencies.items()))
        raise UnmappableOrderError(
            f"Amazon gave this order's amounts in more than one currency: {listed}. A Zoho "
            "sales order has one currency, so the order was not written. Check it in Seller "
            "Central, then replay it from Order History."
        )


def order_adjustment(order: Order) -> Decimal:
    """Everything the buyer pays beyond the lines' prices (after promotions): item tax,
    shipping and gift wrap with their tax, COD fees and other charges (signed nets, Orders
    v2026), less shipping discounts, plus the delivery tip, which is per order."""
    check_mappable(order)
    per_items = sum(
        (
            _amount(i.item_tax)
            + _amount(i.shipping_price)
            + _amount(i.shipping_tax)
            + _amount(i.gift_wrap_price)
            + _amount(i.gift_wrap_tax)
            - _amount(i.shipping_discount)
            + _amount(i.cod_fee)
            + _amount(i.other_charges)
            for i in order.items
        ),
        Decimal("0"),
    )
    return per_items + _amount(order.delivery_tip)


def expected_grand_total(order: Order) -> Decimal:
    """What Zoho will compute from our record; equals Amazon's OrderTotal for complete
    orders (by construction: ``record_grand_total`` of ``sales_order_record``)."""
    lines = sum(
        (_amount(i.item_price) - _amount(i.promotion_discount) for i in order.items),
        Decimal("0"),
    )
    return lines + order_adjustment(order)


def record_grand_total(data: dict) -> Decimal:
    """Zoho's Grand_Total for a sales order record we map (lines without tax, no order-level
    Discount or Tax): Σ (Quantity × List_Price − Discount) + Adjustment. How a write is
    verified against what Zoho computed."""
    lines = sum(
        (
            Decimal(str(line["Quantity"])) * Decimal(str(line["List_Price"]))
            - Decimal(str(line.get("Discount") or 0))
            for line in data["Ordered_Items"]
        ),
        Decimal("0"),
    )
    return lines + Decimal(str(data.get("Adjustment") or 0))


def status_fields(order: Order, names: dict) -> dict:
    fields = names["Sales_Orders"]
    data = {fields["Amazon Order Status"]: order.order_status}
    if order.order_status in ZOHO_STATUS:  # an unknown status is shown, never guessed
        data["Status"] = ZOHO_STATUS[order.order_status]
    return data


def order_currency(order: Order) -> str:
    """The one currency of the order's amounts (check_mappable refuses mixed ones)."""
    return next((money.currency_code for _, money in _order_money(order)), "")


def currency_fields(order: Order, names: dict) -> dict:
    """In a multi-currency org (its Currency field was read back at field set-up), the
    order's currency; Zoho then takes that currency's exchange rate from the org's table,
    as it does for a record entered by hand. Nothing is converted: the amounts stay
    Amazon's. A single-currency org has no such field and gets none."""
    api_name = names["Sales_Orders"].get("Currency")
    currency = order_currency(order)
    return {api_name: currency} if api_name and currency else {}


def sales_order_record(
    order: Order, *, contact_id: str, product_ids: dict[str, str], names: dict
) -> ZohoRecord:
    fields = names["Sales_Orders"]
    data = {
        "Subject": f"Amazon order {order.amazon_order_id}",
        fields["Amazon Order ID"]: order.amazon_order_id,
        fields["Order Type"]: order.order_type or "",
        fields["Sales Channel"]: order.sales_channel or "",
        "Contact_Name": {"id": contact_id},
        "Purchase_Order": order.seller_order_id or "",
        "Customer_No": order.marketplace_id or "",
        "Adjustment": order_adjustment(order),
        "Ordered_Items": order_lines(order, product_ids),
        **status_fields(order, names),
        **currency_fields(order, names),
    }
    address = order.shipping_address
    if address is not None:
        street = ", ".join(p for p in (address.line1, address.line2, address.line3) if p)
        data.update(
            {
                "Shipping_Street": _text(street),
                "Shipping_City": _text(address.city),
                "Shipping_State": _text(address.state_or_region),
                "Shipping_Code": _text(address.postal_code, 30),
                "Shipping_Country": _text(address.country_code),
            }
        )
    return ZohoRecord(amazon_key=order.amazon_order_id, data=data, fingerprint=fingerprint(data))


def to_json_ready(data):
    """Decimals become JSON numbers only at the edge (exact for 2-decimal amounts)."""
    if isinstance(data, dict):
        return {k: to_json_ready(v) for k, v in data.items()}
    if isinstance(data, list):
        return [to_json_ready(v) for v in data]
    if isinstance(data, Decimal):
        return float(data) if data != data.to_integral_value() else int(data)
    return data
