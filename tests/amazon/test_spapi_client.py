"""SpApiClient over real HTTP against the Amazon stand-in (sandbox/amazon/spapi.py).

The stand-in runs its SP-API buckets 1000× faster (time_scale=1000) and so does our pacer;
every test gets a fresh stand-in, a fresh pacer and an empty token cache.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.cache import cache

from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonServiceError,
)
from amazon_ext.amazon.pacing import LocalQuotaPacer, PacingPolicy
from amazon_ext.amazon.spapi.client import RDT_WITHHELD_NOTE, SpApiClient
from tests.fixtures.amazon import make_amazon_book, make_amazon_seller, start_amazon_standin


@pytest.fixture(autouse=True)
def _empty_token_cache():
    cache.clear()
    yield
    cache.clear()


def make_client(standin, seller, **overrides) -> SpApiClient:
    values = {
        "seller_id": seller.seller_id,
        "marketplace_ids": seller.marketplace_ids,
        "lwa_client_id": seller.lwa_client_id,
        "lwa_client_secret": seller.lwa_client_secret,
        "lwa_refresh_token": seller.refresh_token,
        "endpoint_override": standin.url,
        "token_url": f"{standin.url}/auth/o2/token",
        "time_scale": standin.time_scale,
        "pacer": LocalQuotaPacer(PacingPolicy(time_scale=standin.time_scale)),
        # These tests are about Orders v0 (RDT, getOrderItems); v2026 has its own file.
        "orders_version": "v0",
    }
    values.update(overrides)
    return SpApiClient(**values)


def all_orders(client, since):
    return [o for page in client.iter_order_pages(created_after=since) for o in page.orders]


def book_start(book, seller_id):
    return min(o.purchase_date for o in book.orders(seller_id)) - timedelta(hours=1)


def test_orders_and_items_with_an_rdt_carry_buyer_and_address(amazon_standin, amazon_seller):
    book = amazon_standin.book
    seller_id = amazon_seller.seller_id
    with make_client(amazon_standin, amazon_seller) as client:
        orders = all_orders(client, book_start(book, seller_id))
        assert sorted(o.amazon_order_id for o in orders) == sorted(
            o.amazon_order_id for o in book.orders(seller_id)
        )
        for order in orders:
            expected = book.get(order.amazon_order_id)
            assert order.order_status == expected.status
            if expected.details_visible:
                assert order.buyer_name == expected.buyer_name
                assert order.buyer_email == expected.buyer_email
                assert order.order_total.amount == expected.order_total
            else:
                assert order.buyer_email is None and order.order_total is None
            if order.shipping_address is not None:
                assert order.shipping_address.line1 == expected.shipping_address.line1
                assert order.shipping_address.name == expected.shipping_address.name
        gifts = [
            o
            for o in book.orders(seller_id)
            if o.details_visible and any(i.gift_wrap_price for i in o.items)
        ]
        assert gifts, "the seeded book has gift-wrapped orders"
        items = client.list_order_items_many([o.amazon_order_id for o in gifts])
        for order in gifts:
            wrapped = [i for i in items[order.amazon_order_id] if i.gift_wrap_price]
            assert wrapped and all(i.is_gift for i in wrapped)
        assert client.run_notes[1:] == []  # [0] says which Orders API served
        assert client.stats.calls["createRestrictedDataToken"] == 1
    assert amazon_standin.stats.throttled == 0


def test_without_the_rdt_role_buyer_data_is_withheld_with_a_run_note():
    seller = make_amazon_seller(rdt_roles=False)
    standin = start_amazon_standin(seller=seller)
    try:
        with make_client(standin, seller) as client:
            orders = all_orders(client, book_start(standin.book, seller.seller_id))
            assert len(orders) == len(standin.book.orders(seller.seller_id))
            assert all(o.buyer_email is None and o.buyer_name is None for o in orders)
            addressed = [o for o in orders if o.shipping_address is not None]
            assert addressed
            for order in addressed:
                assert order.shipping_address.line1 is None
                assert order.shipping_address.city  # City/State/Postcode still come back
            items = client.list_order_items(orders[0].amazon_order_id)
            assert items
            assert client.run_notes[0].startswith("Orders read through Amazon's Orders API v0")
            assert client.run_notes[1:] == [RDT_WITHHELD_NOTE]
            assert "no Restricted Data Token role" in client.run_notes[1]
            # Refused once, not asked again for every call.
            assert client.stats.calls["createRestrictedDataToken"] <= 2
    finally:
        standin.stop()


def test_one_token_refresh_for_eight_threads(amazon_standin, amazon_seller):
    order_id = amazon_standin.book.orders(amazon_seller.seller_id)[0].amazon_order_id
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client = make_client(amazon_standin, amazon_seller)
            start.wait(5)
            client.list_order_items(order_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert amazon_standin.stats.token_grants == 1
    # A later client in the same process reuses the cached token too.
    make_client(amazon_standin, amazon_seller).verify()
    assert amazon_standin.stats.token_grants == 1


def test_an_expired_access_token_is_refreshed_and_the_call_succeeds(amazon_standin, amazon_seller):
    client = make_client(amazon_standin, amazon_seller)
    client.verify()
    assert amazon_standin.stats.token_grants == 1
    amazon_standin.spapi.expire_access_tokens()  # Amazon forgets tokens we still trust
    assert client.verify() == amazon_seller.marketplace_ids
    assert amazon_standin.stats.token_grants == 2
    assert amazon_standin.stats.by_status.get(403, 0) == 1


def test_a_short_lived_token_is_refreshed_before_it_expires(amazon_seller):
    standin = start_amazon_standin(seller=amazon_seller, token_ttl_seconds=1)
    try:
        client = make_client(standin, amazon_seller)
        client.verify()
        threading.Event().wait(1.1)
        client.verify()
        assert standin.stats.token_grants == 2
        assert standin.stats.by_status.get(403, 0) == 0  # refreshed ahead, never refused
    finally:
        standin.stop()


def test_a_revoked_refresh_token_names_the_lwa_refresh_token(amazon_standin, amazon_seller):
    client = make_client(amazon_standin, amazon_seller)
    client.verify()
    amazon_standin.spapi.revoke(amazon_seller.refresh_token)
    with pytest.raises(AmazonCredentialError) as caught:
        client.verify()
    assert caught.value.field == "lwa_refresh_token"
    assert "LWA refresh token" in str(caught.value)
    assert "authorize again" in str(caught.value)
    for secret in (amazon_seller.refresh_token, amazon_seller.lwa_client_secret):
        assert secret not in str(caught.value)
        assert secret not in repr(client) + repr(client._tokens)


def test_a_wrong_client_secret_names_the_lwa_client_secret(amazon_standin, amazon_seller):
    client = make_client(amazon_standin, amazon_seller, lwa_client_secret="wrong-secret-0000")
    with pytest.raises(AmazonCredentialError) as caught:
        client.verify()
    assert caught.value.field == "lwa_client_secret"
    assert "wrong-secret-0000" not in str(caught.value)


def test_paging_with_next_tokens_holding_plus_slash_and_equals(amazon_seller):
    book = make_amazon_book(amazon_seller, orders=250)
    standin = start_amazon_standin(seller=amazon_seller, book=book)
    try:
        client = make_client(standin, amazon_seller)
        pages = list(client.iter_order_pages(created_after=book_start(book, "A1SANDBOXSELLER")))
        assert [len(p.orders) for p in pages] == [100, 100, 50]
        tokens = [p.next_token for p in pages[:-1]]
        assert all(t and "+" in t and "/" in t and t.endswith("=") for t in tokens)
        assert pages[-1].next_token is None
        assert len({o.amazon_order_id for p in pages for o in p.orders}) == 250
        assert len({p.window_end for p in pages}) == 1
        long_orders = [o for o in book.orders(amazon_seller.seller_id) if len(o.items) > 10]
        assert long_orders, "the seeded book pages some orders' items"
        for order in long_orders:
            items = client.list_order_items(order.amazon_order_id)
            assert [i.order_item_id for i in items] == [i.order_item_id for i in order.items]
    finally:
        standin.stop()


def test_429_then_success(amazon_standin, amazon_seller):
    amazon_standin.faults.inject(429, 2, "getOrders")
    client = make_client(amazon_standin, amazon_seller)
    orders = all_orders(client, book_start(amazon_standin.book, amazon_seller.seller_id))
    assert len(orders) == len(amazon_standin.book.orders(amazon_seller.seller_id))
    assert client.stats.throttled == 2
    assert client.stats.retries >= 2


def test_503_then_success_and_500s_give_up_bounded(amazon_standin, amazon_seller):
    client = make_client(amazon_standin, amazon_seller)
    order_id = amazon_standin.book.orders(amazon_seller.seller_id)[0].amazon_order_id
    amazon_standin.faults.inject(503, 1, "getOrderItems")
    assert client.list_order_items(order_id)
    amazon_standin.faults.inject(500, 50, "getOrderItems")
    with pytest.raises(AmazonServiceError):
        client.list_order_items(order_id)
    assert client.stats.calls["getOrderItems"] == 2 + 5  # 1 + 1 retry, then 1 + 4 retries


def test_the_rate_limit_header_is_recorded(amazon_standin, amazon_seller):
    client = make_client(amazon_standin, amazon_seller)
    client.verify()  # getOrder of an id no order has, getOrders for the marketplaces
    assert client._transport.rates == {"getOrder": 0.5, "getOrders": 0.0167}


def test_invalid_input_cases(amazon_standin, amazon_seller):
    client = make_client(
        amazon_standin, amazon_seller, marketplace_ids=["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    )
    with pytest.raises(AmazonCredentialError) as caught:
        client.verify()  # CA is in the NA region but not one of this seller's marketplaces
    assert caught.value.field == "marketplace_id_2"

    client = make_client(amazon_standin, amazon_seller)
    now = datetime.now(UTC)
    with pytest.raises(AmazonRequestError, match="could not decode your NextToken"):
        client.orders_api.orders_page(
            token=client._lwa,
            marketplace_ids=amazon_seller.marketplace_ids,
            by_created=True,
            after=now - timedelta(days=1),
            before=now - timedelta(minutes=5),
            next_token="bm90IGEgdG9rZW4+/==",
        )
    with pytest.raises(AmazonRequestError, match="2 minutes") as caught:
        client.orders_api.orders_page(
            token=client._lwa,
            marketplace_ids=amazon_seller.marketplace_ids,
            by_created=True,
            after=now - timedelta(days=1),
            before=now,
        )
    assert caught.value.code == "InvalidInput"
    # The client itself keeps Before out of the last two minutes and sends offsets as UTC Z.
    tokyo = timezone(timedelta(hours=9))
    pages = list(
        client.iter_order_pages(last_updated_after=(now - timedelta(days=30)).astimezone(tokyo))
    )
    assert sum(len(p.orders) for p in pages) == len(
        amazon_standin.book.orders(amazon_seller.seller_id)
    )
    with pytest.raises(ValueError, match="aware"):
        list(client.iter_order_pages(created_after=datetime(2024, 1, 1)))


def test_marketplaces_of_two_regions_name_the_second_field(amazon_standin, amazon_seller):
    client = make_client(
        amazon_standin, amazon_seller, marketplace_ids=["ATVPDKIKX0DER", "A1PA6795UKMFR9"]
    )
    with pytest.raises(AmazonCredentialError) as caught:
        client.verify()
    assert caught.value.field == "marketplace_id_2"
    assert amazon_standin.stats.calls == {} or not any(amazon_standin.stats.calls.values())


def test_get_orders_leaves_out_unknown_ids(amazon_standin, amazon_seller):
    client = make_client(amazon_standin, amazon_seller)
    known = [o.amazon_order_id for o in amazon_standin.book.orders(amazon_seller.seller_id)[:3]]
    found = client.get_orders([known[0], "111-0000000-0000000", known[1], known[2]])
    assert [o.amazon_order_id for o in found] == known


def test_300_orders_with_items_at_the_documented_rates_get_zero_429s(amazon_seller):
    book = make_amazon_book(amazon_seller, orders=300, days=20)
    standin = start_amazon_standin(seller=amazon_seller, book=book, time_scale=1000)
    try:
        client = make_client(standin, amazon_seller, time_scale=1000)
        orders = all_orders(client, book_start(book, amazon_seller.seller_id))
        assert len(orders) == 300
        items = client.list_order_items_many([o.amazon_order_id for o in orders])
        assert sum(len(v) for v in items.values()) == sum(
            len(o.items) for o in book.orders(amazon_seller.seller_id)
        )
        assert standin.stats.throttled == 0
        assert client.stats.throttled == 0
        assert client.stats.calls["getOrders"] == 3
        assert client.stats.calls["getOrderItems"] >= 300
    finally:
        standin.stop()
