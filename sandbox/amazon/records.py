"""The records of the Amazon order book: orders, items and addresses, and Amazon's date and
money formats.

Money rules (consumers check totals against them):

* ``ItemPrice`` = unit price × quantity (Amazon's definition; it excludes shipping and gift
  wrap). Every money amount is quantised to the marketplace currency (JPY: 0 decimals, the
  rest: 2).
* ``OrderTotal`` = Σ over items of ``ItemPrice + ItemTax + ShippingPrice + ShippingTax +
  GiftWrapPrice + GiftWrapTax − PromotionDiscount − ShippingDiscount``.

What Amazon withholds is decided at render time, not stored: Pending / PendingAvailability
orders show no buyer, address, OrderTotal or item money. AFN gift orders have
``buyer_email=None`` in the book itself (Amazon never reveals it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

ITEMS_PAGE_SIZE = 10
"""Items per ListOrderItems / getOrderItems page; generated orders with more items page."""

STATUSES = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "Canceled",
    "Unfulfillable",
)
OPEN_STATUSES = frozenset({"PendingAvailability", "Pending", "Unshipped", "PartiallyShipped"})
HIDDEN_STATUSES = frozenset({"Pending", "PendingAvailability"})
"""Statuses for which Amazon withholds buyer, address, OrderTotal and item money."""

ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_seconds(dt: datetime) -> float:
    return (dt - _EPOCH).total_seconds()


def iso_z(dt: datetime) -> str:
    """``2024-05-01T12:00:00Z`` (whole seconds, UTC)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_z_ms(dt: datetime) -> str:
    """``2024-05-01T12:00:00.123Z`` (milliseconds, UTC), as Amazon echoes window ends."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def money_str(amount: Decimal, places: int) -> str:
    return f"{amount:.{places}f}"


@dataclass(slots=True)
class BookAddress:
    name: str
    line1: str
    line2: str | None
    city: str
    state_or_region: str | None
    postal_code: str
    country_code: str
    phone: str | None
    address_type: str | None  # "Residential" | "Commercial" (US only)


@dataclass(slots=True)
class BookItem:
    order_item_id: str
    asin: str
    seller_sku: str
    title: str
    quantity: int
    quantity_shipped: int
    unit_price: Decimal
    item_tax: Decimal
    shipping_price: Decimal
    shipping_tax: Decimal
    promotion_discount: Decimal
    shipping_discount: Decimal
    gift_wrap_price: Decimal
    gift_wrap_tax: Decimal
    promotion_id: str | None = None
    is_gift: bool = False
    gift_message: str | None = None
    gift_wrap_level: str | None = None

    @property
    def item_price(self) -> Decimal:
        """Unit price × quantity, as Amazon's ItemPrice."""
        return self.unit_price * self.quantity

    @property
    def total(self) -> Decimal:
        """This line's share of OrderTotal (see the module docstring)."""
        return (
            self.item_price
            + self.item_tax
            + self.shipping_price
            + self.shipping_tax
            + self.gift_wrap_price
            + self.gift_wrap_tax
            - self.promotion_discount
            - self.shipping_discount
        )

    def to_dict(self, places: int) -> dict:
        m = lambda d: money_str(d, places)  # noqa: E731
        return {
            "order_item_id": self.order_item_id,
            "asin": self.asin,
            "seller_sku": self.seller_sku,
            "title": self.title,
            "quantity": self.quantity,
            "quantity_shipped": self.quantity_shipped,
            "unit_price": m(self.unit_price),
            "item_price": m(self.item_price),
            "item_tax": m(self.item_tax),
            "shipping_price": m(self.shipping_price),
            "shipping_tax": m(self.shipping_tax),
            "promotion_discount": m(self.promotion_discount),
            "shipping_discount": m(self.shipping_discount),
            "gift_wrap_price": m(self.gift_wrap_price),
            "gift_wrap_tax": m(self.gift_wrap_tax),
            "promotion_id": self.promotion_id,
            "is_gift": self.is_gift,
            "gift_message": self.gift_message,
        }


@dataclass(slots=True)
class BookOrder:
    """One order with everything needed to render MWS XML and SP-API JSON.

    Treat as read-only; change orders through :meth:`OrderBook.set_status` / ``advance``.
    """

    amazon_order_id: str
    seller_id: str
    seller_order_id: str
    purchase_date: datetime
    last_update_date: datetime
    status: str
    fulfillment_channel: str  # AFN | MFN
    sales_channel: str
    order_type: str
    marketplace_id: str
    currency: str
    buyer_email: str | None
    buyer_name: str
    shipping_address: BookAddress
    payment_method: str  # Other | COD | CVS
    payment_method_detail: str
    is_prime: bool
    is_business_order: bool
    is_gift: bool
    ship_service_level: str
    shipment_service_level_category: str
    earliest_ship_date: datetime
    latest_ship_date: datetime
    items: list[BookItem] = field(default_factory=list)
    # Seller-fulfilled orders only (v0 ``Earliest/LatestDeliveryDate``, v2026
    # ``fulfillment.deliverByWindow``); Amazon leaves them out for FBA orders.
    earliest_delivery_date: datetime | None = None
    latest_delivery_date: datetime | None = None

    @property
    def decimals(self) -> int:
        return 0 if self.currency == "JPY" else 2

    @property
    def order_total(self) -> Decimal:
        """Σ items (ItemPrice + ItemTax + ShippingPrice + ShippingTax + GiftWrapPrice +
        GiftWrapTax − PromotionDiscount − ShippingDiscount)."""
        return sum((i.total for i in self.items), ZERO)

    @property
    def number_of_items_shipped(self) -> int:
        return sum(i.quantity_shipped for i in self.items)

    @property
    def number_of_items_unshipped(self) -> int:
        return sum(i.quantity - i.quantity_shipped for i in self.items)

    @property
    def delivery_window_visible(self) -> bool:
        """ordersV0.json: LatestDeliveryDate is "Only returned for seller-fulfilled orders
        that do not have a PendingAvailability, Pending, or Canceled status"."""
        return self.latest_delivery_date is not None and self.status not in (
            "PendingAvailability",
            "Pending",
            "Canceled",
        )

    @property
    def details_visible(self) -> bool:
        """False while Pending: Amazon hides buyer, address, OrderTotal and item money."""
        return self.status not in HIDDEN_STATUSES

    def to_dict(self) -> dict:
        a = self.shipping_address
        return {
            "amazon_order_id": self.amazon_order_id,
            "seller_id": self.seller_id,
            "seller_order_id": self.seller_order_id,
            "purchase_date": iso_z(self.purchase_date),
            "last_update_date": iso_z(self.last_update_date),
            "status": self.status,
            "fulfillment_channel": self.fulfillment_channel,
            "sales_channel": self.sales_channel,
            "order_type": self.order_type,
            "marketplace_id": self.marketplace_id,
            "currency": self.currency,
            "order_total": money_str(self.order_total, self.decimals),
            "buyer_email": self.buyer_email,
            "buyer_name": self.buyer_name,
            "shipping_address": dataclasses.asdict(a),
            "payment_method": self.payment_method,
            "is_prime": self.is_prime,
            "is_business_order": self.is_business_order,
            "is_gift": self.is_gift,
            "latest_delivery_date": (
                iso_z(self.latest_delivery_date) if self.latest_delivery_date else None
            ),
            "number_of_items_shipped": self.number_of_items_shipped,
            "number_of_items_unshipped": self.number_of_items_unshipped,
            "items": [i.to_dict(self.decimals) for i in self.items],
        }


def shipped_quantity(item: BookItem, status: str, index: int) -> int:
    if status == "Shipped":
        return item.quantity
    if status == "PartiallyShipped":
        return item.quantity if index == 0 else 0
    return 0


def order_filter(query: dict):
    """The ListOrders / getOrders filters of a normalised query (marketplaces ``m``, statuses
    ``st``, channels ``fc``, payment methods ``pm``, buyer email ``be``, seller order id
    ``so``) as one predicate, shared by the MWS and SP-API stand-ins."""
    mps, statuses = frozenset(query["m"]), frozenset(query["st"])
    channels, methods = frozenset(query["fc"]), frozenset(query["pm"])
    be, so = query.get("be"), query.get("so")

    def keep(o: BookOrder) -> bool:
        return (
            o.marketplace_id in mps
            and (not statuses or o.status in statuses)
            and (not channels or o.fulfillment_channel in channels)
            and (not methods or o.payment_method in methods)
            and (be is None or (o.buyer_email == be and o.details_visible))
            and (so is None or o.seller_order_id == so)
        )

    return keep
