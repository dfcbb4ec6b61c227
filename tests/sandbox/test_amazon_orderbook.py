"""The seeded order book and the shared sandbox plumbing (buckets, faults, clock, CLI)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sandbox.amazon.orderbook import ITEMS_PAGE_SIZE, STATUSES, OrderBook
from sandbox.common.buckets import LeakyBucket, TokenBucket
from sandbox.common.clock import SandboxClock
from sandbox.common.faults import FaultInjector
from sandbox.common.http import serve_in_thread

END = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
US_JP = ["ATVPDKIKX0DER", "A1VC38T7YXB528"]


def _book(seed=5, orders=400, mps=None, seller="A1SELLER"):
    return OrderBook.generate(
        seed=seed, seller_id=seller, marketplace_ids=mps or US_JP, orders=orders, buyers=60,
        products=25, start=END - timedelta(days=30), end=END,
    )  # fmt: skip


def test_same_seed_same_book_and_other_seed_differs():
    assert _book().to_json() == _book().to_json()
    assert _book(seed=6).to_json() != _book().to_json()


def test_book_covers_the_required_cases():
    book = _book()
    orders = book.orders("A1SELLER")
    assert len(orders) == 400
    assert [o.purchase_date for o in orders] == sorted(o.purchase_date for o in orders)
    assert set(Counter(o.status for o in orders)) == set(STATUSES)
    for o in orders:
        assert re.fullmatch(r"\d{3}-\d{7}-\d{7}", o.amazon_order_id)
        assert START_OK(o)
        assert o.last_update_date >= o.purchase_date
        assert o.purchase_date.tzinfo is not None
        if o.status == "PendingAvailability":
            assert o.marketplace_id == "A1VC38T7YXB528"
        assert o.currency == ("USD" if o.marketplace_id == "ATVPDKIKX0DER" else "JPY")
        assert o.sales_channel in ("Amazon.com", "Amazon.co.jp")
        for item in o.items:
            assert re.fullmatch(r"B0[A-Z0-9]{8}", item.asin)
        if o.fulfillment_channel == "AFN":
            assert o.shipping_address.phone is None
    assert len({o.amazon_order_id for o in orders}) == 400
    emails = Counter(o.buyer_email for o in orders if o.buyer_email)
    assert max(emails.values()) > 2  # repeat buyers
    assert len(emails) <= 60
    assert any(e.endswith("@marketplace.amazon.com") for e in emails)
    assert any(o.is_gift and o.fulfillment_channel == "AFN" and o.buyer_email is None
               for o in orders)  # fmt: skip
    assert any(len(o.items) > 1 for o in orders)
    paged = [o for o in orders if len(o.items) > ITEMS_PAGE_SIZE]
    assert 2 <= len(paged) <= 40
    asins = Counter(i.asin for o in orders for i in o.items)
    assert len(asins) <= 25
    assert max(asins.values()) > 3  # repeat products
    # a product keeps its title, SKU and price per currency
    seen: dict = {}
    for o in orders:
        for i in o.items:
            key = (i.asin, o.currency)
            assert seen.setdefault(key, (i.title, i.seller_sku, i.unit_price)) == (
                i.title, i.seller_sku, i.unit_price)  # fmt: skip


def START_OK(o) -> bool:
    return END - timedelta(days=30) <= o.purchase_date <= END


def test_order_total_formula():
    for o in _book().orders("A1SELLER"):
        total = sum(
            i.unit_price * i.quantity + i.item_tax + i.shipping_price + i.shipping_tax
            + i.gift_wrap_price + i.gift_wrap_tax - i.promotion_discount - i.shipping_discount
            for i in o.items
        )  # fmt: skip
        assert o.order_total == total
        if o.currency == "JPY":
            assert o.order_total == o.order_total.to_integral_value()


def test_set_status_and_advance_reindex():
    book = _book(orders=50, mps=["ATVPDKIKX0DER"])
    pending = next(o for o in book.orders("A1SELLER") if o.status == "Pending")
    at = END + timedelta(hours=1)
    updated = book.set_status(pending.amazon_order_id, "Shipped", at=at)
    assert updated.last_update_date == at
    assert all(i.quantity_shipped == i.quantity for i in updated.items)
    assert pending.status == "Pending"  # old snapshot unchanged
    page, nxt = book.scan("A1SELLER", by="updated", after=at, before=at + timedelta(seconds=1),
                          limit=10)  # fmt: skip
    assert [o.amazon_order_id for o in page] == [pending.amazon_order_id]
    assert nxt is None
    with pytest.raises(ValueError, match="unknown order status"):
        book.set_status(pending.amazon_order_id, "Lost")
    with pytest.raises(ValueError, match="co.jp"):
        book.set_status(pending.amazon_order_id, "PendingAvailability")
    open_before = [o for o in book.orders("A1SELLER") if o.status in
                   ("Pending", "Unshipped", "PartiallyShipped")]  # fmt: skip
    moved = book.advance(3, at=at)
    assert len(moved) == min(3, len(open_before))
    for oid in moved:
        assert book.get(oid).last_update_date == at
        assert book.get(oid).status in ("Unshipped", "Shipped", "Canceled")
    # all orders of the window are still found exactly once by the updated index
    page, _ = book.scan("A1SELLER", by="updated", after=END - timedelta(days=40),
                        before=END + timedelta(days=1), limit=100)  # fmt: skip
    assert sorted(o.amazon_order_id for o in page) == sorted(
        o.amazon_order_id for o in book.orders("A1SELLER"))  # fmt: skip


def test_add_generated_second_seller_and_scan_cursor():
    book = _book(orders=100)
    ids = book.add_generated(seed=5, seller_id="A2OTHER", marketplace_ids=["A1PA6795UKMFR9"],
                             orders=30, buyers=5, products=5, start=END - timedelta(days=3),
                             end=END)  # fmt: skip
    assert len(ids) == 30
    assert len(book) == 130
    assert {o.currency for o in book.orders("A2OTHER")} == {"EUR"}
    collected, cursor = [], None
    for _ in range(20):
        page, cursor = book.scan("A1SELLER", by="created", after=END - timedelta(days=31),
                                 before=END + timedelta(seconds=1), limit=7, cursor=cursor)  # fmt: skip
        collected += [o.amazon_order_id for o in page]
        if cursor is None:
            break
    assert collected == [o.amazon_order_id for o in book.orders("A1SELLER")]


def test_generating_many_orders_is_fast():
    started = time.monotonic()
    book = OrderBook.generate(seed=1, seller_id="S", marketplace_ids=["ATVPDKIKX0DER"],
                              orders=20000, buyers=3000, products=300,
                              start=END - timedelta(days=60), end=END)  # fmt: skip
    assert len(book) == 20000
    assert time.monotonic() - started < 5


# ---------------------------------------------------------------- sandbox.common
def test_token_bucket_refill_and_time_scale():
    clock = SandboxClock()
    bucket = LeakyBucket(2, 60.0, clock.monotonic, time_scale=1.0)
    assert bucket.try_acquire() and bucket.try_acquire()
    assert not bucket.try_acquire()
    clock.advance(59)
    assert not bucket.try_acquire()
    clock.advance(1.5)
    assert bucket.try_acquire()
    fast = TokenBucket(1, 0.5, clock.monotonic, time_scale=100)  # one per 0.02 s
    assert fast.try_acquire()
    assert not fast.try_acquire()
    clock.advance(0.021)
    assert fast.try_acquire()


def test_token_bucket_is_exact_under_threads():
    clock = SandboxClock()
    bucket = TokenBucket(100, 1e-9, clock.monotonic)
    results: list[bool] = []
    lock = threading.Lock()

    def take():
        for _ in range(50):
            ok = bucket.try_acquire()
            with lock:
                results.append(ok)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results.count(True) == 100


def test_fault_injector():
    faults = FaultInjector()
    faults.inject(500, count=2, operation="A")
    faults.inject("slow", delay=0.1)
    assert faults.take("B").status == "slow"
    assert faults.take("B") is None
    assert faults.take("A").status == 500
    assert faults.take("A").status == 500
    assert faults.take("A") is None
    with pytest.raises(ValueError, match="unknown fault"):
        faults.inject("explode")
    with pytest.raises(ValueError, match="4xx or 5xx"):
        faults.inject(200)


def test_serve_in_thread_is_loopback_only_and_keeps_alive():
    with pytest.raises(ValueError, match="loopback"):
        serve_in_thread(lambda e, s: [], "0.0.0.0")  # noqa: S104

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["wsgi.input"].read() or b"empty"]

    handle = serve_in_thread(app)
    try:
        with requests.Session() as s:
            for i in range(20):
                assert s.post(handle.url, data=str(i), timeout=5).text == str(i)
            assert s.get(handle.url, timeout=5).text == "empty"
            chunked = s.post(handle.url, data=iter([b"ab", b"cd"]), timeout=5)
            assert chunked.text == "abcd"
        assert handle.open_connections <= 1
    finally:
        handle.stop()


def test_clock():
    clock = SandboxClock()
    before = clock.now()
    clock.advance(3600)
    assert clock.now() - before >= timedelta(hours=1)
    clock.set_now(END)
    assert abs(clock.now() - END) < timedelta(seconds=1)
