"""Seeded order generation for the order book (same seed → same orders)."""

from __future__ import annotations

import dataclasses
import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sandbox.amazon import regions
from sandbox.amazon.records import (
    ITEMS_PAGE_SIZE,
    OPEN_STATUSES,
    ZERO,
    BookAddress,
    BookItem,
    BookOrder,
    shipped_quantity,
)

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


class Generator:
    """Builds orders for one seller from one seeded RNG (same seed → same orders)."""

    def __init__(
        self,
        taken_order_ids: set[str],
        taken_item_ids: set[str],
        seed: int,
        seller_id: str,
        marketplace_ids: list[str],
        buyers: int,
        products: int,
        start: datetime,
        end: datetime,
    ) -> None:
        self._item_ids = taken_item_ids
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
        self._seen_ids = set(taken_order_ids)

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
        ids = self._item_ids
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
                is_gift and n == 0) else ZERO  # fmt: skip
            disc = (item_price * Decimal("0.1")).quantize(q, ROUND_HALF_UP) if promo else ZERO
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
                    shipping_discount=ship if free_ship else ZERO,
                    gift_wrap_price=gw,
                    gift_wrap_tax=(gw * tax_rate).quantize(q, ROUND_HALF_UP),
                    promotion_id=f"SBX-PROMO-{p % 7}" if promo else None,
                    is_gift=is_gift,
                    gift_message="Happy birthday!" if is_gift and n == 0 else None,
                    gift_wrap_level="Classic" if gw else None,
                )
            )
        for n, item in enumerate(items):
            item.quantity_shipped = shipped_quantity(item, status, n)

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
        delivery_days = 2 if ssl[1] == "Expedited" else 5
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
            # Amazon promises FBM delivery 1–5 days after the ship-by date (no random draw
            # here, so the book of a seed stays what it was).
            earliest_delivery_date=None if afn else purchase + timedelta(days=4),
            latest_delivery_date=None if afn else purchase + timedelta(days=3 + delivery_days),
        )
