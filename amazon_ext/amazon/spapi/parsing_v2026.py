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

Money. The model defines ``OrderProceeds.grandTotal`` as "The total amount that the seller
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

Validation: amounts must match RFC 7159 number syntax (the model's ``Decimal``: "A decimal
number with no loss of precision. Follows RFC 7159"), be finite and below 10^12 with at most
10 decimals; dates must be ISO 8601 date-times; every amount in an order must be in one
currency; a fulfillment status the model does not list is kept as Amazon sent it (never
guessed). An order that fails these checks is set aside in ``OrderPage.unreadable`` (the
pipeline quarantines it) and the rest of the page is read; getOrder raises
:class:`AmazonResponseError` naming the order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from amazon_ext.amazon import values
from amazon_ext.amazon.base import read_each_order
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.spapi.operations import MAX_RESULTS_PER_PAGE
from amazon_ext.amazon.spapi.parsing import MAX_JSON_DEPTH, TOO_DEEP, flatten_deep
from amazon_ext.amazon.types import Address, Money, Order, OrderItem, OrderPage

# FulfillmentStatus enum (definitions/FulfillmentStatus) → the v0 / MWS OrderStatus values.
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

MAX_DIGITS = 12  # amounts below 10^12
MAX_DECIMALS = 10
MAX_QUANTITY = 1_000_000
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")

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


class _Reader:
    """Typed lookups for one answer; every failure names the order and the bad value, and
    collects the currencies seen in the current order."""

    def __init__(self, request_id: str | None, what: str) -> None:
        self.request_id = request_id
        self.what = what
        self.where = "the answer"
        self.currencies: set[str] = set()

    def fail(self, detail: str) -> AmazonResponseError:
        error = AmazonResponseError(
            f"Amazon's {self.what} answer could not be read ({self.where}: {detail}); "
            "nothing from it was saved.",
            code="MalformedResponse",
            request_id=self.request_id,
        )
        error.detail = detail  # what an order quarantined for it records
        return error

    def obj(self, parent: dict, key: str, *, required: bool = False) -> dict | None:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(f"{key} is missing")
            return None
        if not isinstance(value, dict):
            raise self.fail(f"{key} is not an object")
        if TOO_DEEP in value:
            raise self.fail(f"{key} is nested more than {MAX_JSON_DEPTH} levels deep")
        return value

    def items(self, parent: dict, key: str, *, required: bool = False) -> list:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(f"{key} is missing")
            return []
        if not isinstance(value, list):
            raise self.fail(f"{key} is not a list")
        return value

    def objects(self, parent: dict, key: str, *, required: bool = False) -> list[dict]:
        values = self.items(parent, key, required=required)
        if not all(isinstance(v, dict) for v in values):
            raise self.fail(f"an entry of {key} is not an object")
        if any(TOO_DEEP in v for v in values):
            raise self.fail(f"an entry of {key} is nested more than {MAX_JSON_DEPTH} levels deep")
        return values

    def text(self, parent: dict, key: str) -> str | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(f"{key} is not a string")
        return value

    def required(self, parent: dict, key: str) -> str:
        value = self.text(parent, key)
        if value is None:
            raise self.fail(f"{key} is missing")
        return value

    def strings(self, parent: dict, key: str) -> tuple[str, ...]:
        values = self.items(parent, key)
        if not all(isinstance(v, str) for v in values):
            raise self.fail(f"an entry of {key} is not a string")
        return tuple(v for v in values if v)

    def quantity(self, parent: dict, key: str, *, required: bool = False) -> int | None:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(f"{key} is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{key} {str(value)[:20]!r} is not a whole number")
        if not 0 <= value <= MAX_QUANTITY:
            raise self.fail(f"{key} {value} is out of range")
        return value

    def when(self, parent: dict, key: str, *, required: bool) -> datetime | None:
        value = self.required(parent, key) if required else self.text(parent, key)
        if value is None:
            return None
        try:
            return parse_datetime(value)
        except ValueError:
            raise self.fail(f"{key} {value[:40]!r} is not an ISO 8601 date-time") from None

    def money(self, parent: dict, key: str) -> Money | None:
        el = self.obj(parent, key)
        if el is None:
            return None
        currency = self.required(el, "currencyCode")
        if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
            raise self.fail(f"{key}.currencyCode {currency[:10]!r} is not an ISO 4217 code")
        raw = el.get("amount")
        if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
            raise self.fail(f"{key}.amount is missing or not a decimal string")
        try:
            amount = parse_amount(str(raw))
        except ValueError:
            raise self.fail(f"{key}.amount {str(raw)[:24]!r} is not a sane amount") from None
        self.currencies.add(currency.upper())
        if len(self.currencies) > 1:
            raise self.fail(
                "amounts in more than one currency (" + ", ".join(sorted(self.currencies)) + ")"
            )
        return Money(amount, currency.upper())


def parse_amount(text: str) -> Decimal:
    """An RFC 7159 number → a finite Decimal below 10^12 with at most 10 decimals."""
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        raise ValueError(text)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite():
        raise ValueError(text)
    # Size checks without arithmetic: "1e999999999" would overflow the decimal context.
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -MAX_DECIMALS:
        raise ValueError(text)
    if amount.is_zero():
        return Decimal(0)
    if amount.adjusted() >= MAX_DIGITS:
        raise ValueError(text)
    return amount.quantize(Decimal(1)) if exponent > 0 else amount


def parse_datetime(value: str) -> datetime:
    """ISO 8601 date-time → aware UTC (``Z`` or an offset; none means UTC)."""
    if len(value) > 40 or not _DATE_TIME.match(value):
        raise ValueError(value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def load_json(body: bytes, *, request_id: str | None, what: str) -> dict[str, Any]:
    """The answer as a dict; JSON numbers become exact Decimals, NaN / Infinity are refused."""
    reader = _Reader(request_id, what)

    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        try:
            data = json.loads(body, parse_float=Decimal, parse_constant=refuse)
        except RecursionError:
            # Only the order holding the too-deep value becomes unreadable (see flatten_deep).
            data = json.loads(
                flatten_deep(body.decode()), parse_float=Decimal, parse_constant=refuse
            )
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise reader.fail("not JSON") from None
    if not isinstance(data, dict):
        raise reader.fail("not a JSON object")
    return data


@dataclass
class _Sums:
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


def _tax(r: _Reader, sums: _Sums, breakdown: dict, subtotal: Money) -> None:
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


def _discount(r: _Reader, sums: _Sums, breakdown: dict, subtotal: Money) -> None:
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


def _item_money(r: _Reader, proceeds: dict) -> tuple[_Sums, Money | None]:
    total = r.money(proceeds, "proceedsTotal")
    sums = _Sums()
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


def _item(r: _Reader, el: dict, order_id: str) -> tuple[OrderItem, Decimal | None, int | None]:
    """One OrderItem, what the buyer pays for it (None: no proceeds sent) and its
    unfulfilled quantity."""
    item_id = r.required(el, "orderItemId")
    r.where = f"order {order_id}, item {item_id}"
    product = r.obj(el, "product", required=True)
    price = r.obj(product, "price") or {}
    fulfillment = r.obj(el, "fulfillment") or {}
    packing = r.obj(fulfillment, "packing") or {}
    proceeds = r.obj(el, "proceeds")
    sums, total = _item_money(r, proceeds) if proceeds is not None else (_Sums(), None)
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


def _address(r: _Reader, recipient: dict) -> Address | None:
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


def _delivery_tip(
    r: _Reader, order_proceeds: dict, grand: Money | None, items_total: Decimal | None
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


def _marketplace(r: _Reader, channel: dict) -> str | None:
    try:
        return values.check_marketplace_id(r.text(channel, "marketplaceId"), name="marketplaceId")
    except values.UnreadableValueError as exc:
        raise r.fail(str(exc)) from None


def _order(r: _Reader, el: Any, label: str = "the order") -> Order:
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
    shipping_address = _address(r, recipient)

    parsed = [_item(r, item, order_id) for item in r.objects(el, "orderItems", required=True)]
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
        delivery_tip=_delivery_tip(r, order_proceeds, grand, items_total),
        programs=programs,
        order_aliases=aliases,
        associated_orders=associated,
        replaced_order_id=next((v for t, v in associated if t == "REPLACEMENT_ORIGINAL_ID"), None),
        buyer_company_name=r.text(buyer, "buyerCompanyName"),
    )


def parse_search_orders(
    body: bytes, *, request_id: str | None = None, by_created: bool | None = None
) -> OrderPage:
    """searchOrders → one :class:`OrderPage` whose orders carry their items.

    ``next_token`` is ``pagination.nextToken`` (absent on the last page); ``window_end`` is
    the echoed ``createdBefore`` (``by_created``) or ``lastUpdatedBefore``.
    """
    r = _Reader(request_id, "searchOrders")
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
    r = _Reader(request_id, "getOrder")
    data = load_json(body, request_id=request_id, what="getOrder")
    return _order(r, r.obj(data, "order", required=True))
