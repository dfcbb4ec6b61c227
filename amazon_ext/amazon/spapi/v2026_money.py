"""Orders API v2026-01-01 money → the OrderItem money fields and the order's delivery tip.

The model defines ``OrderProceeds.grandTotal`` as "The total amount that the seller
receives from the sale of the order" and its ``breakdowns`` as "either aggregated across all
order items (such as `ITEM`, `SHIPPING`, and `TAX`) or applied at the order level (such as
`DELIVERY_TIP`)", noting "`DELIVERY_TIP` is charged separately and not attributed to a
specific item". So ``grandTotal`` = Σ items' ``proceeds.proceedsTotal`` ("The total monetary
amount for this order item") + the order-level DELIVERY_TIP, which is what Amazon's own
examples show (154.99 = 100.00 + 49.99 + 5.00). ``grandTotal`` becomes ``order_total``, and
each item's breakdowns are spread over the OrderItem money fields so that
crm_sync.mapping.expected_grand_total(order) (+ the new cod_fee / other_charges / delivery_tip
terms) equals it exactly. We check both equalities and refuse the order when they fail.

* Item breakdown types ITEM, SHIPPING, GIFT_WRAP, COD_FEE, OTHER, TAX, DISCOUNT. TAX and
  DISCOUNT carry ``detailedBreakdowns`` by ``subtype`` ("only available for TAX and DISCOUNT
  proceeds types"): TAX/ITEM → item_tax, TAX/SHIPPING → shipping_tax, TAX/GIFT_WRAP →
  gift_wrap_tax, DISCOUNT/ITEM → promotion_discount, DISCOUNT/SHIPPING → shipping_discount.
  A TAX without details is item tax; a DISCOUNT without details is a promotion discount.
* The model does not say whether a DISCOUNT is sent negative or as a positive size. A
  discount always lowers proceeds, so we take its size (|amount|) and subtract it, and check
  the result against ``proceedsTotal``. Discounts are stored positive, as v0 sends them.
* COD_FEE (+ its tax − its discount) → cod_fee; OTHER, GIFT_WRAP discounts, and any type or
  subtype the model does not list → other_charges (signed nets, new OrderItem fields).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from amazon_ext.amazon.spapi.v2026_reader import Reader
from amazon_ext.amazon.types import Money

_CHARGE_FIELDS = {
    "ITEM": "item_price",
    "SHIPPING": "shipping_price",
    "GIFT_WRAP": "gift_wrap_price",
    "COD_FEE": "cod_fee",
    "OTHER": "other_charges",
}
_TAX_FIELDS = {
    "ITEM": "item_tax",
    "SHIPPING": "shipping_tax",
    "GIFT_WRAP": "gift_wrap_tax",
    "COD_FEE": "cod_fee",
    "OTHER": "other_charges",
    "DISCOUNT": "item_tax",  # tax on a discount: part of the item's net tax
}
# Discount subtypes → (field, sign applied to the discount's size).
_DISCOUNT_FIELDS = {
    "ITEM": ("promotion_discount", 1),
    "DISCOUNT": ("promotion_discount", 1),
    "SHIPPING": ("shipping_discount", 1),
    "COD_FEE": ("cod_fee", -1),
    "GIFT_WRAP": ("other_charges", -1),
    "OTHER": ("other_charges", -1),
}
# Sign of each OrderItem money field in the buyer's total (discounts are stored positive).
_TOTAL_SIGNS = {
    "item_price": 1,
    "item_tax": 1,
    "shipping_price": 1,
    "shipping_tax": 1,
    "gift_wrap_price": 1,
    "gift_wrap_tax": 1,
    "cod_fee": 1,
    "other_charges": 1,
    "promotion_discount": -1,
    "shipping_discount": -1,
}


@dataclass
class Sums:
    """Money of one item, by OrderItem field; only fields Amazon sent end up set."""

    currency: str | None = None
    values: dict[str, Decimal] = field(default_factory=dict)

    def add(self, name: str, money: Money, sign: int = 1) -> None:
        self.currency = money.currency_code
        self.values[name] = self.values.get(name, Decimal(0)) + sign * money.amount

    def money(self, name: str) -> Money | None:
        if name not in self.values or self.currency is None:
            return None
        return Money(self.values[name], self.currency)

    def total(self) -> Decimal:
        return sum(
            (_TOTAL_SIGNS[name] * amount for name, amount in self.values.items()), Decimal(0)
        )


def _tax(r: Reader, sums: Sums, breakdown: dict, subtotal: Money) -> None:
    details = r.objects(breakdown, "detailedBreakdowns")
    if not details:
        sums.add("item_tax", subtotal)
        return
    parts = []
    for detail in details:
        value = r.money(detail, "value")
        if value is None:
            raise r.fail("a TAX detailedBreakdown has no value")
        parts.append((r.text(detail, "subtype") or "", value))
    as_sent = sum((v.amount for _, v in parts), Decimal(0))
    # Tax on a discount lowers the tax; accept it negative, or positive as a size.
    lowered = sum((-abs(v.amount) if s == "DISCOUNT" else v.amount for s, v in parts), Decimal(0))
    if as_sent == subtotal.amount:
        signs = dict.fromkeys(range(len(parts)), 1)
    elif lowered == subtotal.amount:
        signs = {i: -1 if s == "DISCOUNT" and v.amount > 0 else 1 for i, (s, v) in enumerate(parts)}
    else:
        raise r.fail(f"TAX details add up to {as_sent}, not to the TAX subtotal {subtotal.amount}")
    for i, (subtype, value) in enumerate(parts):
        sums.add(_TAX_FIELDS.get(subtype, "other_charges"), value, signs[i])


def _discount(r: Reader, sums: Sums, breakdown: dict, subtotal: Money) -> None:
    size = abs(subtotal.amount)
    details = r.objects(breakdown, "detailedBreakdowns")
    if not details:
        sums.add("promotion_discount", Money(size, subtotal.currency_code))
        return
    parts = []
    for detail in details:
        value = r.money(detail, "value")
        if value is None:
            raise r.fail("a DISCOUNT detailedBreakdown has no value")
        parts.append(
            (r.text(detail, "subtype") or "", Money(abs(value.amount), value.currency_code))
        )
    if sum((v.amount for _, v in parts), Decimal(0)) != size:
        raise r.fail(f"DISCOUNT details do not add up to the DISCOUNT subtotal {subtotal.amount}")
    for subtype, value in parts:
        name, sign = _DISCOUNT_FIELDS.get(subtype, ("other_charges", -1))
        sums.add(name, value, sign)


def item_money(r: Reader, proceeds: dict) -> tuple[Sums, Money | None]:
    total = r.money(proceeds, "proceedsTotal")
    sums = Sums()
    for breakdown in r.objects(proceeds, "breakdowns"):
        kind = r.required(breakdown, "type")
        subtotal = r.money(breakdown, "subtotal")
        if subtotal is None:
            raise r.fail(f"the {kind} breakdown has no subtotal")
        if kind == "TAX":
            _tax(r, sums, breakdown, subtotal)
        elif kind == "DISCOUNT":
            _discount(r, sums, breakdown, subtotal)
        else:
            sums.add(_CHARGE_FIELDS.get(kind, "other_charges"), subtotal)
    if total is not None and sums.total() != total.amount:
        raise r.fail(
            f"the proceeds breakdowns add up to {sums.total()} {total.currency_code}, "
            f"not to proceedsTotal {total.amount}"
        )
    return sums, total


def delivery_tip(
    r: Reader, order_proceeds: dict, grand: Money | None, items_total: Decimal | None
) -> Money | None:
    """The order-level DELIVERY_TIP. A tip still PENDING may not be in grandTotal yet: it
    counts only if grandTotal says so."""
    tips = []
    for breakdown in r.objects(order_proceeds, "breakdowns"):
        kind = r.required(breakdown, "type")
        subtotal = r.money(breakdown, "subtotal")
        if subtotal is None:
            raise r.fail(f"the order's {kind} breakdown has no subtotal")
        if kind == "DELIVERY_TIP":
            tips.append((r.text(breakdown, "status"), subtotal))
    if not tips:
        tip = None
    else:
        tip = Money(sum((m.amount for _, m in tips), Decimal(0)), tips[0][1].currency_code)
    if grand is None or items_total is None:
        return tip
    if items_total + (tip.amount if tip else 0) == grand.amount:
        return tip
    final = [m for status, m in tips if status != "PENDING"]
    if len(final) < len(tips) and items_total + sum(m.amount for m in final) == grand.amount:
        return (
            Money(sum((m.amount for m in final), Decimal(0)), grand.currency_code)
            if final
            else None
        )
    raise r.fail(
        f"the items' proceeds ({items_total}) and delivery tips do not add up to grandTotal "
        f"{grand.amount} {grand.currency_code}"
    )
