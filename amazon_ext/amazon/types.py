"""Plain, connector-neutral Amazon order types.

Both the MWS and the SP-API clients return these, so mapping, jobs and history never know
which API a tenant uses. Money is Decimal in the order's currency; datetimes are aware UTC.
Fields Amazon withholds (Pending orders, gift orders, data behind an RDT) are None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one ISO 4217 currency, e.g. Money(Decimal("19.99"), "USD")."""

    amount: Decimal
    currency_code: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")


@dataclass(frozen=True, slots=True)
class Address:
    """A shipping address; any line may be missing (Amazon withholds parts of it)."""

    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    city: str | None = None
    state_or_region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line of an order. ``item_price`` is unit price × quantity, as Amazon sends it."""

    order_item_id: str
    asin: str
    quantity_ordered: int
    seller_sku: str | None = None
    title: str | None = None
    quantity_shipped: int = 0
    item_price: Money | None = None
    item_tax: Money | None = None
    shipping_price: Money | None = None
    shipping_tax: Money | None = None
    shipping_discount: Money | None = None
    promotion_discount: Money | None = None
    gift_wrap_price: Money | None = None
    gift_wrap_tax: Money | None = None
    is_gift: bool = False
    # Added for Orders API v2026-01-01 (amazon_ext/amazon/spapi/parsing_v2026.py); v0 and
    # MWS leave them at their defaults. ``cod_fee`` and ``other_charges`` are signed nets
    # (charge + its tax − its discount) of money the fields above do not cover; they are
    # part of what the buyer pays, so an order's total needs them (crm_sync/mapping.py).
    cod_fee: Money | None = None
    other_charges: Money | None = None
    unit_price: Money | None = None
    proceeds_total: Money | None = None
    programs: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Order:
    """One Amazon order as listed by ListOrders / getOrders (items fetched separately)."""

    amazon_order_id: str
    purchase_date: datetime
    last_update_date: datetime
    order_status: str
    marketplace_id: str | None = None
    fulfillment_channel: str | None = None
    sales_channel: str | None = None
    order_type: str | None = None
    seller_order_id: str | None = None
    order_total: Money | None = None
    buyer_email: str | None = None
    buyer_name: str | None = None
    shipping_address: Address | None = None
    number_of_items_shipped: int | None = None
    number_of_items_unshipped: int | None = None
    payment_method: str | None = None
    is_prime: bool = False
    is_business_order: bool = False
    items: tuple[OrderItem, ...] = field(default=())
    # The end of the window in which the order should reach the buyer: MWS / v0
    # ``LatestDeliveryDate`` (seller-fulfilled orders only, not Pending or Canceled), v2026
    # ``fulfillment.deliverByWindow.latestDateTime``; None where Amazon gives none (FBA,
    # order reports). Buyer data expiry counts from it (crm_sync/retention.py).
    latest_delivery_date: datetime | None = None
    # Added for Orders API v2026-01-01; v0 and MWS leave them at their defaults.
    # ``delivery_tip`` is charged per order, not per item, and is part of the order total.
    delivery_tip: Money | None = None
    programs: tuple[str, ...] = field(default=())
    order_aliases: tuple[tuple[str, str], ...] = field(default=())  # (aliasType, aliasId)
    associated_orders: tuple[tuple[str, str], ...] = field(default=())  # (type, orderId)
    replaced_order_id: str | None = None
    buyer_company_name: str | None = None


@dataclass(frozen=True, slots=True)
class UnreadableOrder:
    """An order of a page that could not be read (a value Amazon could never mean, an id or
    marketplace of the wrong shape): the rest of the page is read, this one is quarantined.

    ``amazon_order_id`` is None when the id itself is unreadable; ``position`` is the
    order's 1-based place on its page; ``reason`` names the field and quotes at most a
    clipped value (never buyer name, email or address).
    """

    amazon_order_id: str | None
    position: int
    reason: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of a ListOrders / getOrders walk.

    ``window_end`` is the CreatedBefore / LastUpdatedBefore that Amazon echoed: the next
    run's watermark. ``next_token`` is None on the last page. ``unreadable``: the orders of
    the page that could not be read (the others are in ``orders``).
    """

    orders: tuple[Order, ...]
    next_token: str | None
    window_end: datetime | None
    request_id: str | None = None
    unreadable: tuple[UnreadableOrder, ...] = ()
