"""The money of an order in Zoho's terms: line prices, Adjustment, Grand_Total.

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

from decimal import ROUND_CEILING, Decimal

from amazon_ext.amazon.types import Money, Order, OrderItem
from crm_sync.mapping.records import UnmappableOrderError

_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "VND", "ISK", "HUF"})


def _exponent(currency: str) -> Decimal:
    return Decimal("1") if currency in _ZERO_DECIMAL_CURRENCIES else Decimal("0.01")


def money_amount(money: Money | None) -> Decimal:
    return money.amount if money is not None else Decimal("0")


def unit_price(item: OrderItem) -> Decimal:
    """ItemPrice is for the whole quantity; Zoho wants a unit price."""
    if item.item_price is None or item.quantity_ordered <= 0:
        return Decimal("0")
    exact = item.item_price.amount / item.quantity_ordered
    return exact.quantize(_exponent(item.item_price.currency_code), rounding=ROUND_CEILING)


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
    checked_currency(order)


def checked_currency(order: Order) -> str:
    """``check_mappable``, returning the order's one currency ("" when it has no amounts)."""
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
    return next(iter(currencies), "")


def order_adjustment(order: Order) -> Decimal:
    """Everything the buyer pays beyond the lines' prices (after promotions): item tax,
    shipping and gift wrap with their tax, COD fees and other charges (signed nets, Orders
    v2026), less shipping discounts, plus the delivery tip, which is per order."""
    check_mappable(order)
    return checked_adjustment(order)


def checked_adjustment(order: Order) -> Decimal:
    """``order_adjustment`` of an order ``check_mappable`` has passed."""
    per_items = sum(
        (
            money_amount(i.item_tax)
            + money_amount(i.shipping_price)
            + money_amount(i.shipping_tax)
            + money_amount(i.gift_wrap_price)
            + money_amount(i.gift_wrap_tax)
            - money_amount(i.shipping_discount)
            + money_amount(i.cod_fee)
            + money_amount(i.other_charges)
            for i in order.items
        ),
        Decimal("0"),
    )
    return per_items + money_amount(order.delivery_tip)


def expected_grand_total(order: Order) -> Decimal:
    """What Zoho will compute from our record; equals Amazon's OrderTotal for complete
    orders (by construction: ``record_grand_total`` of ``sales_order_record``)."""
    lines = sum(
        (money_amount(i.item_price) - money_amount(i.promotion_discount) for i in order.items),
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


def order_currency(order: Order) -> str:
    """The one currency of the order's amounts (check_mappable refuses mixed ones)."""
    return next((money.currency_code for _, money in _order_money(order)), "")
