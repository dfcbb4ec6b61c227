"""A deterministic, seeded, mutable, thread-safe order store shared by the MWS and SP-API fakes.

Money rules (consumers check totals against them):

* ``ItemPrice`` = unit price × quantity (Amazon's definition; it excludes shipping and gift
  wrap). Every money amount is quantised to the marketplace currency (JPY: 0 decimals, the
  rest: 2).
* ``OrderTotal`` = Σ over items of ``ItemPrice + ItemTax + ShippingPrice + ShippingTax +
  GiftWrapPrice + GiftWrapTax − PromotionDiscount − ShippingDiscount``.

What Amazon withholds is decided at render time, not stored: Pending / PendingAvailability
orders show no buyer, address, OrderTotal or item money. AFN gift orders have
``buyer_email=None`` in the book itself (Amazon never reveals it).

Dates are aware UTC with whole seconds. Windows are half-open: ``after <= date < before``.

Orders are replaced, never mutated in place: ``set_status`` stores a new :class:`BookOrder`,
so a reader that holds an order always sees a consistent snapshot.
"""

from __future__ import annotations

import bisect
import dataclasses
import random
import string
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sandbox.amazon import regions
from sandbox.common.clock import SandboxClock

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

_ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ts(dt: datetime) -> float:
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

    @property
    def decimals(self) -> int:
        return 0 if self.currency == "JPY" else 2

    @property
    def order_total(self) -> Decimal:
        """Σ items (ItemPrice + ItemTax + ShippingPrice + ShippingTax + GiftWrapPrice +
        GiftWrapTax − PromotionDiscount − ShippingDiscount)."""
        return sum((i.total for i in self.items), _ZERO)

    @property
    def number_of_items_shipped(self) -> int:
        return sum(i.quantity_shipped for i in self.items)

    @property
    def number_of_items_unshipped(self) -> int:
        return sum(i.quantity - i.quantity_shipped for i in self.items)

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
            "number_of_items_shipped": self.number_of_items_shipped,
            "number_of_items_unshipped": self.number_of_items_unshipped,
            "items": [i.to_dict(self.decimals) for i in self.items],
        }


# --------------------------------------------------------------------------- generation data

_FIRST = [
    "Alex",
    "Sam",
    "Jamie",
    "Robin",
    "Taylor",
    "Jordan",
    "Casey",
    "Morgan",
    "Riley",
    "Avery",
    "Quinn",
    "Charlie",
    "Dana",
    "Emery",
    "Finley",
    "Harper",
    "Kai",
    "Logan",
    "Noa",
    "Parker",
    "Reese",
    "Rowan",
    "Sky",
    "Toni",
    "Yuki",
    "Mika",
    "Lena",
    "Jonas",
    "Luca",
    "Elif",
]
_LAST = [
    "Sandbox",
    "Tester",
    "Example",
    "Sample",
    "Demo",
    "Mockford",
    "Fakeley",
    "Placeholder",
    "Dummer",
    "Testwell",
    "Specimen",
    "Prototype",
    "Fixture",
    "Stubbs",
    "Mockett",
    "Trialson",
    "Draftly",
    "Modelle",
    "Pilotti",
    "Beta",
]
_ADJ = [
    "Compact",
    "Deluxe",
    "Eco",
    "Classic",
    "Portable",
    "Smart",
    "Heavy-Duty",
    "Mini",
    "Ultra",
    "Premium",
    "Rugged",
    "Slim",
    "Wireless",
    "Foldable",
    "Vintage",
    "Organic",
]
_NOUN = [
    "Water Bottle",
    "Desk Lamp",
    "Phone Stand",
    "Yoga Mat",
    "Coffee Grinder",
    "Backpack",
    "Notebook Set",
    "Cable Organizer",
    "Plant Pot",
    "Bluetooth Speaker",
    "Kitchen Scale",
    "Travel Mug",
    "Bike Light",
    "Cutting Board",
    "Headphone Case",
    "Tea Infuser",
    "Wall Clock",
    "Photo Frame",
    "Dog Leash",
    "Puzzle",
]
_VARIANT = ("Black", "Blue", "Green", "Red", "Grey", "500 ml", "Large", "Small", "2-Pack", "Oak")
_STREETS = ("Sandbox Ave", "Example Street", "Test Lane", "Mock Road", "Fixture Way", "Demo Blvd")
_CITIES: dict[str, tuple[tuple[str, str | None, str], ...]] = {
    "US": (("Seattle", "WA", "981"), ("Austin", "TX", "787"), ("Denver", "CO", "802")),
    "BR": (("São Paulo", "SP", "010"), ("Curitiba", "PR", "800")),
    "CA": (("Toronto", "ON", "M5V"), ("Vancouver", "BC", "V6B")),
    "MX": (("Ciudad de México", "CDMX", "060"), ("Guadalajara", "JAL", "441")),
    "DE": (("Berlin", None, "101"), ("München", "Bayern", "803")),
    "GB": (("London", None, "SW1"), ("Manchester", None, "M1 ")),
    "FR": (("Paris", None, "750"), ("Lyon", None, "690")),
    "JP": (("東京都", "東京都", "100"), ("大阪市", "大阪府", "530")),
}
_PHONE_PREFIX = {"US": "+1 206-555-01", "CA": "+1 416-555-01", "GB": "+44 20 7946 0"}
_ID_PREFIX = {"na": ("111", "112", "113", "114"), "eu": ("302", "303", "304", "305"),
              "fe": ("249", "250", "503")}  # fmt: skip
_ALNUM = string.ascii_uppercase + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits

# Features forced onto the first generated orders so every book covers them.
_FORCED = (
    {"status": "Pending"},
    {"status": "Unshipped"},
    {"status": "PartiallyShipped", "items": 3},
    {"status": "Shipped"},
    {"status": "Canceled"},
    {"status": "Unfulfillable", "channel": "AFN"},
    {"status": "Shipped", "channel": "AFN", "gift": True},
    {"status": "Shipped", "items": 2 * ITEMS_PAGE_SIZE + 3},
    {"status": "Unshipped", "items": ITEMS_PAGE_SIZE + 4},
    {"status": "PendingAvailability", "jp": True},
    {"status": "Shipped", "items": 3},
    {"status": "Pending", "items": 2},
)


@dataclass(slots=True)
class _Product:
    asin: str
    sku: str
    title: str
    usd_price: Decimal


def _quant(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


class OrderBook:
    """Orders of one or more sellers, indexed by seller and by PurchaseDate / LastUpdateDate."""

    def __init__(self, clock: SandboxClock | None = None) -> None:
        self.clock = clock or SandboxClock()
        self._lock = threading.RLock()
        self._orders: dict[str, BookOrder] = {}
        self._item_ids: set[str] = set()
        # seller -> sorted keys (purchase ts, id) and the parallel list of order ids
        self._created_keys: dict[str, list[tuple[float, str]]] = {}
        # seller -> sorted keys (last update ts, id)
        self._updated_keys: dict[str, list[tuple[float, str]]] = {}
        self._open: set[str] = set()
        self.version = 0

    # ------------------------------------------------------------------ generation
    @classmethod
    def generate(
        cls,
        *,
        seed: int,
        seller_id: str,
        marketplace_ids: list[str],
        orders: int,
        buyers: int,
        products: int,
        start: datetime,
        end: datetime,
    ) -> OrderBook:
        book = cls()
        book.add_generated(
            seed=seed,
            seller_id=seller_id,
            marketplace_ids=marketplace_ids,
            orders=orders,
            buyers=buyers,
            products=products,
            start=start,
            end=end,
        )
        return book

    def add_generated(
        self,
        *,
        seed: int,
        seller_id: str,
        marketplace_ids: list[str],
        orders: int,
        buyers: int,
        products: int,
        start: datetime,
        end: datetime,
    ) -> list[str]:
        """Generate ``orders`` orders for ``seller_id``; returns their ids (generation order)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be aware datetimes")
        if not marketplace_ids:
            raise ValueError("at least one marketplace id is needed")
        for mp in marketplace_ids:
            if mp not in regions._FACTS:
                raise ValueError(f"unknown marketplace id {mp}")
        if orders < 0 or buyers < 1 or products < 1 or end <= start:
            raise ValueError("need orders >= 0, buyers >= 1, products >= 1 and start < end")
        gen = _Generator(self, seed, seller_id, list(marketplace_ids), buyers, products, start, end)
        new = [gen.order(i) for i in range(orders)]
        self._insert(new)
        return [o.amazon_order_id for o in new]

    def add_orders(self, orders: Iterable[BookOrder]) -> None:
        """Add hand-built orders (ids must be new)."""
        self._insert(list(orders))

    def _insert(self, new: list[BookOrder]) -> None:
        with self._lock:
            for o in new:
                if o.amazon_order_id in self._orders:
                    raise ValueError(f"duplicate order id {o.amazon_order_id}")
            touched: set[str] = set()
            for o in new:
                self._orders[o.amazon_order_id] = o
                self._created_keys.setdefault(o.seller_id, []).append(
                    (_ts(o.purchase_date), o.amazon_order_id)
                )
                self._updated_keys.setdefault(o.seller_id, []).append(
                    (_ts(o.last_update_date), o.amazon_order_id)
                )
                if o.status in OPEN_STATUSES:
                    self._open.add(o.amazon_order_id)
                touched.add(o.seller_id)
            for seller in touched:
                self._created_keys[seller].sort()
                self._updated_keys[seller].sort()
            self.version += 1

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, amazon_order_id: object) -> bool:
        return amazon_order_id in self._orders

    def sellers(self) -> list[str]:
        with self._lock:
            return sorted(self._created_keys)

    def orders(self, seller_id: str) -> list[BookOrder]:
        """All orders of a seller sorted by (PurchaseDate, AmazonOrderId)."""
        with self._lock:
            return [self._orders[oid] for _, oid in self._created_keys.get(seller_id, [])]

    def all_orders(self) -> list[BookOrder]:
        with self._lock:
            return [self._orders[oid] for s in sorted(self._created_keys) for _, oid in
                    self._created_keys[s]]  # fmt: skip

    def get(self, amazon_order_id: str) -> BookOrder:
        """The order, or KeyError."""
        return self._orders[amazon_order_id]

    def find(self, amazon_order_id: str) -> BookOrder | None:
        return self._orders.get(amazon_order_id)

    def scan(
        self,
        seller_id: str,
        *,
        by: str,
        after: datetime,
        before: datetime,
        limit: int,
        cursor: tuple[float, str] | None = None,
        predicate: Callable[[BookOrder], bool] | None = None,
    ) -> tuple[list[BookOrder], tuple[float, str] | None]:
        """One page of a seller's orders with ``after <= date < before``.

        ``by`` is ``"created"`` (PurchaseDate) or ``"updated"`` (LastUpdateDate); results are
        ordered by (date, AmazonOrderId). ``cursor`` is the key of the last order already
        returned. Returns the page and the cursor for the next page (None when no further
        order matches). Work is O(page) plus any orders skipped by ``predicate``.
        """
        if by not in ("created", "updated"):
            raise ValueError("by must be 'created' or 'updated'")
        lo_ts, hi_ts = _ts(after), _ts(before)
        page: list[BookOrder] = []
        with self._lock:
            keys = (self._created_keys if by == "created" else self._updated_keys).get(
                seller_id, []
            )
            if cursor is not None and cursor >= (lo_ts, ""):
                pos = bisect.bisect_right(keys, cursor)
            else:
                pos = bisect.bisect_left(keys, (lo_ts, ""))
            n = len(keys)
            while pos < n:
                key = keys[pos]
                if key[0] >= hi_ts:
                    break
                order = self._orders[key[1]]
                if predicate is None or predicate(order):
                    if len(page) == limit:
                        last = page[-1]
                        date = last.purchase_date if by == "created" else last.last_update_date
                        return page, (_ts(date), last.amazon_order_id)
                    page.append(order)
                pos += 1
        return page, None

    # ------------------------------------------------------------------ mutation
    def set_status(
        self, amazon_order_id: str, status: str, *, at: datetime | None = None
    ) -> BookOrder:
        """Change an order's status and bump LastUpdateDate to ``at`` (default: clock now)."""
        if status not in STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        when = (at or self.clock.now()).astimezone(UTC).replace(microsecond=0)
        with self._lock:
            old = self._orders[amazon_order_id]
            if status == "PendingAvailability" and old.marketplace_id != regions.JP_MARKETPLACE:
                raise ValueError("PendingAvailability exists only for Amazon.co.jp orders")
            items = [dataclasses.replace(i, quantity_shipped=_shipped(i, status, n))
                     for n, i in enumerate(old.items)]  # fmt: skip
            new = dataclasses.replace(old, status=status, last_update_date=when, items=items)
            keys = self._updated_keys[old.seller_id]
            old_key = (_ts(old.last_update_date), amazon_order_id)
            pos = bisect.bisect_left(keys, old_key)
            if pos < len(keys) and keys[pos] == old_key:
                del keys[pos]
            bisect.insort(keys, (_ts(when), amazon_order_id))
            self._orders[amazon_order_id] = new
            if status in OPEN_STATUSES:
                self._open.add(amazon_order_id)
            else:
                self._open.discard(amazon_order_id)
            self.version += 1
            return new

    def advance(self, count: int, *, at: datetime | None = None) -> list[str]:
        """Move up to ``count`` open orders (oldest purchase first) one step along
        PendingAvailability → Pending → Unshipped → Shipped (PartiallyShipped → Shipped).
        About one Pending order in ten is Canceled instead. Returns the ids moved."""
        moved: list[str] = []
        with self._lock:
            candidates = sorted(
                (self._orders[oid] for oid in self._open),
                key=lambda o: (o.purchase_date, o.amazon_order_id),
            )[: max(0, count)]
            for o in candidates:
                if o.status == "PendingAvailability":
                    nxt = "Pending"
                elif o.status == "Pending":
                    nxt = "Canceled" if o.amazon_order_id.endswith("0") else "Unshipped"
                else:
                    nxt = "Shipped"
                self.set_status(o.amazon_order_id, nxt, at=at)
                moved.append(o.amazon_order_id)
        return moved

    def to_json(self, seller_id: str | None = None) -> list[dict]:
        orders = self.orders(seller_id) if seller_id else self.all_orders()
        return [o.to_dict() for o in orders]


def _shipped(item: BookItem, status: str, index: int) -> int:
    if status == "Shipped":
        return item.quantity
    if status == "PartiallyShipped":
        return item.quantity if index == 0 else 0
    return 0


class _Generator:
    """Builds orders for one seller from one seeded RNG (same seed → same orders)."""

    def __init__(
        self,
        book: OrderBook,
        seed: int,
        seller_id: str,
        marketplace_ids: list[str],
        buyers: int,
        products: int,
        start: datetime,
        end: datetime,
    ) -> None:
        self.book = book
        self.rng = random.Random(f"{seed}:{seller_id}")
        self.seller_id = seller_id
        self.mps = marketplace_ids
        self.start = start.astimezone(UTC).replace(microsecond=0)
        self.end = end.astimezone(UTC).replace(microsecond=0)
        self.span = int((self.end - self.start).total_seconds())
        self.products = self._products(products)
        self.buyers = self._buyers(buyers)
        self.n_buyers = buyers
        self._addresses: dict[tuple[int, str], BookAddress] = {}
        self._prices: dict[tuple[int, str], Decimal] = {}
        self._seen_ids = {*book._orders}

    def _products(self, n: int) -> list[_Product]:
        rng, out, seen = self.rng, [], set()
        while len(out) < n:
            asin = "B0" + "".join(rng.choices(_ALNUM, k=8))
            if asin in seen:
                continue
            seen.add(asin)
            title = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}, {rng.choice(_VARIANT)}"
            sku = f"SBX-{len(out) + 1:05d}-{asin[-4:]}"
            price = Decimal(rng.randrange(499, 14999)).scaleb(-2)
            out.append(_Product(asin, sku, title, price))
        return out

    def _buyers(self, n: int) -> list[tuple[str, str]]:
        rng, out = self.rng, []
        for i in range(n):
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            if i % 4 != 3:  # three in four: Amazon's anonymised relay address
                email = "".join(rng.choices(_LOWER_ALNUM, k=15)) + "@marketplace.amazon.com"
            else:
                email = f"{name.lower().replace(' ', '.')}.{i}@example.com"
            out.append((name, email))
        return out

    def price(self, p: int, mp: str) -> Decimal:
        key = (p, mp)
        price = self._prices.get(key)
        if price is None:
            cur = regions.currency(mp)
            places = regions.decimals(mp)
            raw = self.products[p].usd_price * Decimal(regions.FX_PER_USD[cur])
            if places == 0:
                price = (raw / 10).quantize(Decimal(1), ROUND_HALF_UP) * 10
            else:  # x.99 style prices
                price = raw.quantize(Decimal(1), ROUND_HALF_UP) - Decimal("0.01")
                price = max(price, Decimal("0.99"))
            self._prices[key] = price
        return price

    def address(self, b: int, mp: str, afn: bool) -> BookAddress:
        key = (b, mp)
        addr = self._addresses.get(key)
        if addr is None:
            rng = random.Random(f"{self.seller_id}:addr:{b}:{mp}")
            cc = regions.marketplace(mp).country_code
            city, state, zip_prefix = rng.choice(_CITIES.get(cc, ((f"{cc} City", None, "10"),)))
            postal = zip_prefix + "".join(rng.choices(string.digits, k=2))
            phone_prefix = _PHONE_PREFIX.get(cc, "+00 555 01")
            addr = BookAddress(
                name=self.buyers[b][0],
                line1=f"{rng.randrange(1, 999)} {rng.choice(_STREETS)}",
                line2=f"Apt {rng.randrange(1, 60)}" if rng.random() < 0.3 else None,
                city=city,
                state_or_region=state,
                postal_code=postal,
                country_code=cc,
                phone=f"{phone_prefix}{rng.randrange(100):02d}",
                address_type=rng.choice(("Residential", "Commercial")) if cc == "US" else None,
            )
            self._addresses[key] = addr
        if afn:  # FBA orders carry no phone
            return dataclasses.replace(addr, phone=None)
        return addr

    def _order_id(self, region: str) -> str:
        rng = self.rng
        for _ in range(1000):
            oid = (
                f"{rng.choice(_ID_PREFIX[region])}-{rng.randrange(10**7):07d}-"
                f"{rng.randrange(10**7):07d}"
            )
            if oid not in self._seen_ids:
                self._seen_ids.add(oid)
                return oid
        raise RuntimeError("could not find a free order id")

    def _item_id(self) -> str:
        ids = self.book._item_ids
        for _ in range(1000):
            iid = str(self.rng.randrange(10**13, 10**14))
            if iid not in ids:
                ids.add(iid)
                return iid
        raise RuntimeError("could not find a free order item id")

    def _status(self, age_hours: float, channel: str, jp: bool, n_items: int) -> str:
        r = self.rng.random()
        if age_hours < 24:
            if jp and r < 0.04:
                return "PendingAvailability"
            if r < 0.25:
                return "Pending"
            if r < 0.55:
                return "PartiallyShipped" if n_items > 1 and r < 0.32 else "Unshipped"
            if r < 0.95:
                return "Shipped"
            return "Canceled"
        if r < 0.03:
            return "Unshipped"
        if r < 0.04 and n_items > 1:
            return "PartiallyShipped"
        if r < 0.11:
            return "Canceled"
        if r < 0.13 and channel == "AFN":
            return "Unfulfillable"
        if r < 0.14:
            return "Pending"
        return "Shipped"

    def order(self, i: int) -> BookOrder:
        rng = self.rng
        forced = _FORCED[i] if i < len(_FORCED) else {}
        mps = self.mps
        if forced.get("jp"):
            if regions.JP_MARKETPLACE not in mps:
                forced = {"status": "Shipped"}
            else:
                mps = [regions.JP_MARKETPLACE]
        mp = mps[0] if len(mps) == 1 else rng.choice(mps)
        market = regions.marketplace(mp)
        places = regions.decimals(mp)
        q = _quant(places)
        tax_rate = Decimal(regions.tax_percent(mp)) / 100

        status = forced.get("status")
        if status in OPEN_STATUSES and self.span > 2 * 86400:
            offset = self.span - rng.randrange(60, 86400)
        else:
            offset = rng.randrange(self.span + 1)
        purchase = self.start + timedelta(seconds=offset)
        age_hours = (self.end - purchase).total_seconds() / 3600

        channel = forced.get("channel") or ("AFN" if rng.random() < 0.45 else "MFN")
        if "items" in forced:
            n_items = forced["items"]
        else:
            r = rng.random()
            if r < 0.70:
                n_items = 1
            elif r < 0.88:
                n_items = 2
            elif r < 0.99:
                n_items = rng.randrange(3, ITEMS_PAGE_SIZE + 1)
            else:
                n_items = rng.randrange(ITEMS_PAGE_SIZE + 1, 2 * ITEMS_PAGE_SIZE + 6)
        if status is None:
            status = self._status(age_hours, channel, mp == regions.JP_MARKETPLACE, n_items)
        if status == "PendingAvailability" and mp != regions.JP_MARKETPLACE:
            status = "Pending"
        is_gift = forced.get("gift", rng.random() < 0.04)
        afn = channel == "AFN"

        b = min(int(self.n_buyers * rng.random() ** 2), self.n_buyers - 1)
        buyer_name, buyer_email = self.buyers[b]

        n_products = len(self.products)
        if n_items <= n_products:
            picks = rng.sample(range(n_products), n_items)
        else:
            picks = [rng.randrange(n_products) for _ in range(n_items)]
        promo = rng.random() < 0.15
        free_ship = (not afn) and rng.random() < 0.1
        ship_unit = Decimal(0) if afn else self.price(0, mp) * Decimal("0.1")
        items = []
        for n, p in enumerate(picks):
            prod = self.products[p]
            qty = 1 if rng.random() < 0.8 else rng.randrange(2, 4)
            if status == "PartiallyShipped" and n == 0 and n_items == 1:
                qty = max(qty, 2)
            unit = self.price(p, mp)
            item_price = unit * qty
            ship = (ship_unit * qty).quantize(q, ROUND_HALF_UP)
            gw = (self.price(0, mp) * Decimal("0.05")).quantize(q, ROUND_HALF_UP) if (
                is_gift and n == 0) else _ZERO  # fmt: skip
            disc = (item_price * Decimal("0.1")).quantize(q, ROUND_HALF_UP) if promo else _ZERO
            items.append(
                BookItem(
                    order_item_id=self._item_id(),
                    asin=prod.asin,
                    seller_sku=prod.sku,
                    title=prod.title,
                    quantity=qty,
                    quantity_shipped=0,
                    unit_price=unit,
                    item_tax=(item_price * tax_rate).quantize(q, ROUND_HALF_UP),
                    shipping_price=ship,
                    shipping_tax=(ship * tax_rate).quantize(q, ROUND_HALF_UP),
                    promotion_discount=disc,
                    shipping_discount=ship if free_ship else _ZERO,
                    gift_wrap_price=gw,
                    gift_wrap_tax=(gw * tax_rate).quantize(q, ROUND_HALF_UP),
                    promotion_id=f"SBX-PROMO-{p % 7}" if promo else None,
                    is_gift=is_gift,
                    gift_message="Happy birthday!" if is_gift and n == 0 else None,
                    gift_wrap_level="Classic" if gw else None,
                )
            )
        for n, item in enumerate(items):
            item.quantity_shipped = _shipped(item, status, n)

        if status in ("Pending", "PendingAvailability"):
            delta = rng.randrange(60, 1800)
        elif status in ("Unshipped", "PartiallyShipped"):
            delta = rng.randrange(300, 7200)
        else:
            delta = rng.randrange(4 * 3600, 3 * 86400)
        last_update = min(purchase + timedelta(seconds=delta), self.end)

        region = market.spapi_region
        oid = self._order_id(region)
        jp = mp == regions.JP_MARKETPLACE
        pay = "Other"
        if jp and not afn and rng.random() < 0.15:
            pay = rng.choice(("COD", "CVS"))
        if afn:
            level = rng.choice(("Standard", "Expedited", "NextDay"))
            ssl = (level, level)
        else:
            ssl = rng.choice((("Std Dom", "Standard"), ("Exp Dom", "Expedited")))
        return BookOrder(
            amazon_order_id=oid,
            seller_id=self.seller_id,
            seller_order_id=oid if rng.random() < 0.7 else f"SBX-{i + 1:06d}",
            purchase_date=purchase,
            last_update_date=last_update,
            status=status,
            fulfillment_channel=channel,
            sales_channel=market.name,
            order_type="StandardOrder",
            marketplace_id=mp,
            currency=regions.currency(mp),
            buyer_email=None if (afn and is_gift) else buyer_email,
            buyer_name=buyer_name,
            shipping_address=self.address(b, mp, afn),
            payment_method=pay,
            payment_method_detail={"Other": "Standard"}.get(pay, pay),
            is_prime=afn and rng.random() < 0.6,
            is_business_order=rng.random() < 0.05,
            is_gift=is_gift,
            ship_service_level=ssl[0],
            shipment_service_level_category=ssl[1],
            earliest_ship_date=purchase + timedelta(days=1),
            latest_ship_date=purchase + timedelta(days=3),
            items=items,
        )


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
