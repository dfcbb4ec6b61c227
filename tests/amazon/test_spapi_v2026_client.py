"""SpApiClient on Orders API v2026-01-01 against the Amazon stand-in over loopback HTTP:
the default API, items inside the order, paging past an expired paginationToken, the v0
fallback for a marketplace that refuses v2026 (and its shut-off date), what buyer data was
withheld and why, and a verification that spends no searchOrders quota."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from amazon_ext.amazon.errors import AmazonCredentialError
from amazon_ext.amazon.pacing import LocalQuotaPacer, PacingPolicy
from amazon_ext.amazon.spapi.client import SpApiClient
from tests.fixtures.amazon import make_amazon_book, make_amazon_seller, start_amazon_standin

V2026_NOTE = "Orders read through Amazon's Orders API v2026-01-01."


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
    }
    values.update(overrides)
    return SpApiClient(**values)


def since(book, seller_id) -> datetime:
    return min(o.purchase_date for o in book.orders(seller_id)) - timedelta(hours=1)


def listed(client, after) -> list:
    return [o for page in client.iter_order_pages(created_after=after) for o in page.orders]


def test_v2026_is_the_default_and_orders_carry_their_items(amazon_standin, amazon_seller):
    book = amazon_standin.book
    seller_id = amazon_seller.seller_id
    with make_client(amazon_standin, amazon_seller) as client:
        assert client.orders_version == "2026-01-01" and client.items_included
        orders = listed(client, since(book, seller_id))
        assert sorted(o.amazon_order_id for o in orders) == sorted(
            o.amazon_order_id for o in book.orders(seller_id)
        )
        for order in orders:
            expected = book.get(order.amazon_order_id)
            assert order.order_status == expected.status
            assert sorted(i.order_item_id for i in order.items) == sorted(
                i.order_item_id for i in expected.items
            )
        again = client.get_orders([orders[0].amazon_order_id, "000-0000000-0000001"])
        assert [o.amazon_order_id for o in again] == [orders[0].amazon_order_id]
        assert again[0].items
        calls = client.stats.calls
        assert set(calls) == {"searchOrders", "getOrder@2026-01-01"}
        assert calls["getOrder@2026-01-01"] == 2
        assert client.run_notes[0] == V2026_NOTE
    assert amazon_standin.stats.throttled == 0


def test_verify_spends_no_search_orders_quota(amazon_standin, amazon_seller):
    with make_client(amazon_standin, amazon_seller) as client:
        assert client.verify() == amazon_seller.marketplace_ids
        # v2026's getOrder, and v0's getOrders for the marketplaces while v0 exists.
        assert dict(client.stats.calls) == {"getOrder@2026-01-01": 1, "getOrders": 1}
    revoked = make_amazon_seller()
    with make_client(amazon_standin, revoked, lwa_refresh_token="Atzr|not-a-token") as client:
        with pytest.raises(AmazonCredentialError) as caught:
            client.verify()
        assert caught.value.field == "lwa_refresh_token"


def test_after_the_v0_shutoff_verify_is_one_get_order(amazon_standin, amazon_seller, settings):
    settings.AMAZON_ORDERS_V0_SHUTOFF = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    with make_client(amazon_standin, amazon_seller) as client:
        client.verify()
        assert dict(client.stats.calls) == {"getOrder@2026-01-01": 1}


def test_an_expired_pagination_token_relists_the_window_without_losing_or_repeating():
    seller = make_amazon_seller()
    standin = start_amazon_standin(seller=seller, book=make_amazon_book(seller, orders=260))
    try:
        with make_client(standin, seller) as client:
            pages = client.iter_order_pages(created_after=since(standin.book, seller.seller_id))
            first = next(pages)
            assert first.next_token and len(first.orders) == 100
            # The run outlives its token: Amazon's clock is a day and an hour further.
            standin.clock.advance(25 * 3600)
            rest = [o for page in pages for o in page.orders]
            ids = [o.amazon_order_id for o in [*first.orders, *rest]]
            assert len(ids) == len(set(ids)) == 260
            # Page 1; page 2 refused (after a 403 for the access token, which expired too,
            # and a fresh one); the window again from its start: 3 pages.
            assert client.stats.calls["searchOrders"] == 1 + 2 + 3
    finally:
        standin.stop()


def _refuse_v2026(standin, count: int = 2) -> None:
    # A 403 twice (the client retries once with a fresh token), as reported for a
    # marketplace whose searchOrders is refused while v0 works.
    standin.faults.inject(403, count, "searchOrders")


def test_a_marketplace_refusing_v2026_falls_back_to_v0_and_is_remembered(
    amazon_standin, amazon_seller
):
    book = amazon_standin.book
    remembered = []
    with make_client(amazon_standin, amazon_seller, remember_v2026=remembered.append) as client:
        assert client.items_included
        _refuse_v2026(amazon_standin)
        orders = listed(client, since(book, amazon_seller.seller_id))
        assert client.orders_version == "v0"
        assert len(orders) == len(book.orders(amazon_seller.seller_id))
        # The pipeline was told the orders carry their items: the client keeps its word.
        assert client.items_included
        assert all(o.items for o in orders)
        assert client.stats.calls["getOrders"] >= 1
        assert client.stats.calls["getOrderItems"] >= len(orders)
        assert client.run_notes[0].startswith(
            "Orders read through Amazon's Orders API v0 (v2026 refused in this marketplace: "
        )
        assert "27 March 2027" in client.run_notes[0]
    assert len(remembered) == 1 and remembered[0].startswith("InternalFailure, Amazon RequestId")


def test_a_remembered_refusal_starts_on_v0_until_the_weekly_retry(amazon_standin, amazon_seller):
    now = datetime.now(UTC)
    recent = make_client(
        amazon_standin,
        amazon_seller,
        v2026_refused_at=now - timedelta(days=2),
        v2026_refused_reason="Unauthorized",
    )
    assert recent.orders_version == "v0" and not recent.items_included
    recent.close()
    cleared = []
    with make_client(
        amazon_standin,
        amazon_seller,
        v2026_refused_at=now - timedelta(days=8),
        remember_v2026=cleared.append,
    ) as client:
        assert client.orders_version == "2026-01-01"
        listed(client, now - timedelta(days=1))
        assert cleared == [None]  # v2026 works again: the refusal is forgotten


def test_after_the_v0_shutoff_a_refused_v2026_fails_saying_what_to_do(
    amazon_standin, amazon_seller, settings
):
    settings.AMAZON_ORDERS_V0_SHUTOFF = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    settings.AMAZON_SPAPI_ORDERS_API = "v0"  # a pin is ignored after the shut-off too
    with make_client(
        amazon_standin, amazon_seller, v2026_refused_at=datetime.now(UTC) - timedelta(days=1)
    ) as client:
        assert client.orders_version == "2026-01-01"
        _refuse_v2026(amazon_standin)
        with pytest.raises(AmazonCredentialError, match="Orders v0 was switched off") as caught:
            listed(client, since(amazon_standin.book, amazon_seller.seller_id))
        assert "Authorize with Amazon" in caught.value.message
        assert "getOrders" not in client.stats.calls


def test_withheld_buyer_data_is_noted_in_plain_words():
    seller = make_amazon_seller(roles=["Inventory and Order Tracking"])  # no restricted role
    standin = start_amazon_standin(seller=seller)
    try:
        with make_client(standin, seller) as client:
            orders = listed(client, since(standin.book, seller.seller_id))
            assert all(o.buyer_email is None for o in orders)
            notes = client.run_notes
    finally:
        standin.stop()
    book = standin.book.orders(seller.seller_id)
    shippable = [o for o in book if o.status in ("Unshipped", "PartiallyShipped", "Shipped")]
    fba = sum(1 for o in shippable if o.fulfillment_channel == "AFN")
    fbm = len(shippable) - fba
    assert fba and fbm, "the seeded book has both"
    assert notes[0] == V2026_NOTE
    assert (
        f"Buyer email withheld for {fbm} orders fulfilled by you: the app lacks the "
        "Direct-to-Consumer Delivery role" in notes[1]
    )
    assert notes[2].startswith(
        f"Buyer email not provided by Amazon for {fba} FBA orders (Amazon gives no email"
    )
    assert notes[3].startswith(
        f"Buyer names and addresses withheld for {len(shippable)} orders: the app lacks the "
        "Direct-to-Consumer Shipping role"
    )
    assert notes[-1].startswith(f"No buyer details for {len(book) - len(shippable)} orders")


def test_with_every_role_only_fba_emails_are_missing(amazon_standin, amazon_seller):
    with make_client(amazon_standin, amazon_seller) as client:
        orders = listed(client, since(amazon_standin.book, amazon_seller.seller_id))
        notes = client.run_notes
    fbm = [o for o in orders if o.fulfillment_channel == "MFN" and o.order_status == "Shipped"]
    assert fbm and all(o.buyer_email for o in fbm)
    assert not any("Direct-to-Consumer" in n for n in notes)
    assert any(n.startswith("Buyer email not provided by Amazon for") for n in notes)
