"""Order report rows → the same typed ``Order``s the listing returns, streamed.

``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL`` is tab-separated text: a header line
of column names, then **one row per order item** (../shared/specs/amazon-2027.md §5):
amazon-order-id, merchant-order-id, purchase-date, last-updated-date, order-status,
fulfillment-channel, sales-channel, product-name, sku, asin, item-status, quantity, currency,
item-price, item-tax, shipping-price, shipping-tax, gift-wrap-price, gift-wrap-tax,
item-promotion-discount, ship-promotion-discount, ship-city, ship-state, ship-postal-code,
ship-country, is-business-order, … Columns are found by name (Amazon adds columns).

What differs from the Orders API, and what we do:

* **No buyer identity** (name, email, street): the orders go to the anonymous contact.
* **Statuses** are the Seller Central words: "Pending", "Shipped", "Shipped - Delivered to
  Buyer", "Shipping", "Cancelled", "Unshipped", … mapped to the Orders API enum
  (:data:`STATUS_WORDS`); an unknown one is kept as sent (history flags it).
* **Discounts** are written as negative amounts; the Orders API gives them positive.
* **No order item id**: each line gets ``<asin>:<n>`` (stable for a given report row order).
* ``fulfillment-channel`` is "Amazon" / "Merchant" → AFN / MFN.
* Rows of one order are adjacent: an order is complete when the next order id starts, so
  only one order is held in memory at a time. An order whose rows come back later in the
  file is unreadable (quarantined; a Replay re-reads it by id), never merged half.
* Rows of another sales channel ("Non-Amazon": multi-channel fulfilment orders) are not
  Amazon orders of this marketplace and are skipped, as the Orders API does.

The text is UTF-8; a line that is not is read as Windows-1252 (older European reports).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from amazon_ext.amazon import values
from amazon_ext.amazon.types import Address, Money, Order, OrderItem, UnreadableOrder

STATUS_WORDS = {
    "pending": "Pending",
    "pending - waiting for pick up": "Pending",
    "pending availability": "PendingAvailability",
    "pendingavailability": "PendingAvailability",
    "unshipped": "Unshipped",
    "shipping": "PartiallyShipped",
    "partiallyshipped": "PartiallyShipped",
    "shipped": "Shipped",
    "shipped - delivered to buyer": "Shipped",
    "shipped - returned to seller": "Shipped",
    "shipped - rejected by buyer": "Shipped",
    "shipped - out for delivery": "Shipped",
    "shipped - picked up": "Shipped",
    "complete": "Shipped",
    "cancelled": "Canceled",
    "canceled": "Canceled",
    "unfulfillable": "Unfulfillable",
    "invoice unconfirmed": "InvoiceUnconfirmed",
    "invoiceunconfirmed": "InvoiceUnconfirmed",
}
CHANNELS = {"amazon": "AFN", "afn": "AFN", "merchant": "MFN", "mfn": "MFN"}
NOT_AMAZON_CHANNEL = "non-amazon"
REQUIRED = ("amazon-order-id", "purchase-date", "last-updated-date", "order-status", "asin")
MONEY_COLUMNS = {
    "item_price": "item-price",
    "item_tax": "item-tax",
    "shipping_price": "shipping-price",
    "shipping_tax": "shipping-tax",
    "gift_wrap_price": "gift-wrap-price",
    "gift_wrap_tax": "gift-wrap-tax",
    "promotion_discount": "item-promotion-discount",
    "shipping_discount": "ship-promotion-discount",
}
DISCOUNTS = frozenset({"promotion_discount", "shipping_discount"})


class ReportFormatError(ValueError):
    """The document is not an order report (no header, a required column missing)."""


@dataclass
class ReportTally:
    """What one document held: rows read, orders produced, rows skipped (other channels)."""

    rows: int = 0
    orders: int = 0
    unreadable: int = 0
    skipped_rows: int = 0
    seen: set[str] = field(default_factory=set)


def _decode(line: bytes) -> str:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("cp1252", errors="replace")
    return text.rstrip("\r\n")


def parse_order_report(
    lines: Iterable[bytes], *, marketplace_id: str, tally: ReportTally | None = None
) -> Iterator[Order | UnreadableOrder]:
    """Orders (items included) and unreadable orders, in the report's row order."""
    tally = tally if tally is not None else ReportTally()
    rows = iter(lines)
    header = None
    for raw in rows:
        text = _decode(raw).lstrip("\ufeff")
        if text.strip():
            header = text.split("\t")
            break
    if header is None:
        return  # an empty document: no orders (Amazon sends CANCELLED for that, usually)
    index = {name.strip().lower(): n for n, name in enumerate(header)}
    missing = [name for name in REQUIRED if name not in index]
    if missing:
        raise ReportFormatError(f"the order report has no column {', '.join(missing)}")

    current_id: str | None = None
    group: list[list[str]] = []
    for raw in rows:
        text = _decode(raw)
        if not text.strip():
            continue
        cells = text.split("\t")
        tally.rows += 1
        order_id = _cell(cells, index, "amazon-order-id")
        if (_cell(cells, index, "sales-channel") or "").lower() == NOT_AMAZON_CHANNEL:
            tally.skipped_rows += 1
            continue
        if order_id != current_id and group:
            yield from _finish(current_id, group, index, marketplace_id, tally)
            group = []
        current_id = order_id
        group.append(cells)
    if group:
        yield from _finish(current_id, group, index, marketplace_id, tally)


def _finish(order_id, group, index, marketplace_id, tally) -> Iterator[Order | UnreadableOrder]:
    position = tally.orders + tally.unreadable + 1
    if order_id in tally.seen:
        tally.unreadable += 1
        yield UnreadableOrder(
            amazon_order_id=order_id,
            position=position,
            reason=(
                "the order report lists this order's items apart from each other; replay "
                "the order to read it by id"
            ),
        )
        return
    tally.seen.add(order_id)
    try:
        order = _order(group, index, marketplace_id)
    except values.UnreadableValueError as exc:
        tally.unreadable += 1
        safe_id = order_id if order_id and len(order_id) <= 40 else None
        yield UnreadableOrder(
            amazon_order_id=safe_id, position=position, reason=f"order report: {exc}"
        )
        return
    tally.orders += 1
    yield order


def _cell(cells: list[str], index: dict[str, int], name: str) -> str | None:
    n = index.get(name)
    if n is None or n >= len(cells):
        return None
    value = cells[n].strip()
    return value or None


def _status(text: str) -> str:
    mapped = STATUS_WORDS.get(text.strip().lower())
    if mapped is not None:
        return mapped
    # Kept as Amazon sent it (a word), flagged in history; garbage is unreadable.
    return values.check_order_status(text.replace(" ", ""), name="order-status")


def _order(group: list[list[str]], index: dict[str, int], marketplace_id: str) -> Order:
    first = group[0]

    def text(name: str) -> str | None:
        return _cell(first, index, name)

    order_id = values.check_order_id(text("amazon-order-id") or "", name="amazon-order-id")
    purchase = values.parse_datetime(text("purchase-date") or "", name="purchase-date")
    updated = values.parse_datetime(text("last-updated-date") or "", name="last-updated-date")
    status = _status(text("order-status") or "")
    items = tuple(_item(cells, index, n) for n, cells in enumerate(group, 1))
    currencies = {m.currency_code for i in items for m in _money_of(i)}
    total = None
    if status not in ("Pending", "PendingAvailability") and len(currencies) == 1:
        currency = currencies.pop()
        total = Money(sum((_signed_total(i) for i in items), Decimal("0")), currency)
    business = text("is-business-order")
    channel = (text("fulfillment-channel") or "").lower()
    address = Address(
        city=text("ship-city"),
        state_or_region=text("ship-state"),
        postal_code=text("ship-postal-code"),
        country_code=text("ship-country"),
    )
    has_address = any((address.city, address.state_or_region, address.postal_code))
    return Order(
        amazon_order_id=order_id,
        purchase_date=purchase,
        last_update_date=updated,
        order_status=status,
        marketplace_id=marketplace_id,
        fulfillment_channel=CHANNELS.get(channel, text("fulfillment-channel")),
        sales_channel=text("sales-channel"),
        order_type="StandardOrder",
        seller_order_id=text("merchant-order-id"),
        order_total=total,
        shipping_address=address if has_address or address.country_code else None,
        is_business_order=bool(business) and business.lower() == "true",
        items=items,
    )


def _item(cells: list[str], index: dict[str, int], line: int) -> OrderItem:
    def text(name: str) -> str | None:
        return _cell(cells, index, name)

    asin = text("asin") or ""
    if not asin or len(asin) > 20:
        raise values.UnreadableValueError(f"asin {values.quote(asin, 20)} is not an ASIN")
    currency = text("currency")
    money: dict[str, Money | None] = {}
    for attr, column in MONEY_COLUMNS.items():
        raw = text(column)
        if raw is None or currency is None:
            money[attr] = None
            continue
        value = values.parse_money(raw, currency, name=column)
        if attr in DISCOUNTS:
            value = Money(abs(value.amount), value.currency_code)
        money[attr] = value
    quantity = values.parse_count(text("quantity") or "0", name="quantity")
    shipped = quantity if (text("item-status") or "").lower() == "shipped" else 0
    return OrderItem(
        order_item_id=f"{asin}:{line}",
        asin=asin,
        quantity_ordered=quantity,
        seller_sku=text("sku"),
        title=text("product-name"),
        quantity_shipped=shipped,
        **money,
    )


def _money_of(item: OrderItem) -> list[Money]:
    found = [getattr(item, attr) for attr in MONEY_COLUMNS]
    return [m for m in found if m is not None]


def _signed_total(item: OrderItem) -> Decimal:
    """The item's share of OrderTotal: price, tax, shipping and gift wrap, less discounts."""
    total = Decimal("0")
    for attr in MONEY_COLUMNS:
        money = getattr(item, attr)
        if money is not None:
            total += -money.amount if attr in DISCOUNTS else money.amount
    return total
