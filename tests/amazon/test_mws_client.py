"""MwsClient against the MWS stand-in over real HTTP (sandbox/amazon; no mocks)."""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from amazon_ext.amazon.base import AmazonOrdersClient
from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonServiceError,
    AmazonThrottledError,
)
from amazon_ext.amazon.factory import orders_client_for
from amazon_ext.amazon.mws.client import MwsClient
from amazon_ext.amazon.mws.transport import _user_agent
from amazon_ext.amazon.pacing import LocalQuotaPacer, PacingPolicy
from amazon_ext.models import AmazonCredentials, ConnectionKind
from tests.fixtures.amazon import make_amazon_book, make_amazon_seller, start_amazon_standin

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def mws_settings(settings, amazon_standin):
    settings.AMAZON_MWS_ENDPOINT_OVERRIDE = amazon_standin.url
    settings.AMAZON_QUOTA_TIME_SCALE = amazon_standin.time_scale
    settings.REDIS_URL = ""
    return settings


def client_for(standin, seller, **overrides) -> MwsClient:
    """A client for ``seller`` with its own pacer: each stand-in starts with full buckets,
    as a fresh Amazon account would, so a pacer shared with earlier tests would only be
    slower, not wrong."""
    values = {
        "seller_id": seller.seller_id,
        "access_key": seller.access_key,
        "secret_key": seller.secret_key,
        "mws_auth_token": seller.mws_auth_token,
        "marketplace_ids": seller.marketplace_ids,
        "pacer": LocalQuotaPacer(PacingPolicy(time_scale=standin.time_scale)),
        "endpoint_override": standin.url,
        "time_scale": standin.time_scale,
    }
    values.update(overrides)
    return MwsClient(**values)


@pytest.fixture
def standin_300():
    seller = make_amazon_seller()
    standin = start_amazon_standin(
        seller=seller, book=make_amazon_book(seller, orders=300, days=20), time_scale=1000
    )
    try:
        yield standin, seller
    finally:
        standin.stop()


def seller_orders(standin, seller):
    return standin.book.orders(seller.seller_id)


# ---- paging ------------------------------------------------------------------------------


def test_pages_follow_next_tokens_until_the_last(standin_300):
    standin, seller = standin_300
    client = client_for(standin, seller)
    expected = {o.amazon_order_id for o in seller_orders(standin, seller)}
    assert len(expected) == 300

    pages = list(client.iter_order_pages(created_after=LONG_AGO))

    assert len(pages) == math.ceil(300 / 100)
    assert [len(p.orders) for p in pages] == [100, 100, 100]
    assert all(p.next_token for p in pages[:-1])
    assert pages[-1].next_token is None
    assert {o.amazon_order_id for p in pages for o in p.orders} == expected
    assert client.stats.calls == {"ListOrders": 1, "ListOrdersByNextToken": 2}
    assert standin.stats.calls["ListOrdersByNextToken"] == 2
    # The echoed CreatedBefore (now − 2 min) is every page's window_end.
    now = datetime.now(UTC)
    assert pages[-1].window_end is not None
    assert now - timedelta(minutes=3) < pages[-1].window_end <= now - timedelta(minutes=2)


def test_pages_are_fetched_lazily(standin_300):
    standin, seller = standin_300
    client = client_for(standin, seller)
    pages = client.iter_order_pages(last_updated_after=LONG_AGO)
    assert client.stats.calls == {}
    first = next(pages)
    assert len(first.orders) == 100
    assert client.stats.calls == {"ListOrders": 1}
    pages.close()


def test_before_is_sent_and_echoed(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    orders = seller_orders(amazon_standin, amazon_seller)
    cut = orders[len(orders) // 2].purchase_date
    pages = list(client.iter_order_pages(created_after=LONG_AGO, before=cut))
    got = [o for p in pages for o in p.orders]
    assert got
    assert all(o.purchase_date < cut for o in got)
    assert pages[-1].window_end == cut
    # A Before in the future is clamped to two minutes ago.
    future = datetime.now(UTC) + timedelta(days=1)
    (page,) = client.iter_order_pages(last_updated_after=LONG_AGO, before=future)
    assert page.window_end <= datetime.now(UTC) - timedelta(minutes=2)


def test_exactly_one_after_is_required(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    with pytest.raises(ValueError, match="exactly one"):
        client.iter_order_pages()
    with pytest.raises(ValueError, match="exactly one"):
        client.iter_order_pages(created_after=LONG_AGO, last_updated_after=LONG_AGO)
    with pytest.raises(ValueError, match="aware"):
        client.iter_order_pages(created_after=datetime(2020, 1, 1))
    # A window that is already empty asks Amazon nothing.
    assert list(client.iter_order_pages(created_after=datetime.now(UTC))) == []
    assert client.stats.calls == {}


def test_typed_orders_and_items_match_the_book(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    book = {o.amazon_order_id: o for o in seller_orders(amazon_standin, amazon_seller)}
    orders = [o for p in client.iter_order_pages(created_after=LONG_AGO) for o in p.orders]
    assert {o.amazon_order_id for o in orders} == set(book)
    items = client.list_order_items_many([o.amazon_order_id for o in orders])

    pending = [o for o in orders if o.order_status == "Pending"]
    visible = [o for o in orders if o.order_status in ("Shipped", "Unshipped")]
    assert pending
    assert visible
    for order in pending:
        assert order.order_total is None
        assert order.buyer_email is None
        assert order.buyer_name is None
        assert order.shipping_address is None
        assert all(
            i.item_price is None and i.item_tax is None for i in items[order.amazon_order_id]
        )
    for order in visible:
        source = book[order.amazon_order_id]
        assert order.purchase_date == source.purchase_date
        assert order.purchase_date.tzinfo is not None
        assert order.order_total.currency_code == source.currency
        assert order.order_total.amount == source.order_total
        assert order.buyer_email == source.buyer_email
        lines = items[order.amazon_order_id]
        assert [i.order_item_id for i in lines] == [i.order_item_id for i in source.items]
        assert sum(i.item_price.amount for i in lines) == sum(
            (i.item_price for i in source.items), Decimal(0)
        )
    gifts_without_email = [
        o for o in visible if book[o.amazon_order_id].buyer_email is None and o.buyer_name
    ]
    assert all(o.buyer_email is None for o in gifts_without_email)


def test_items_page_through_next_tokens(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    big = [o for o in seller_orders(amazon_standin, amazon_seller) if len(o.items) > 10]
    if not big:
        pytest.skip("the fixture book has no order with more than one items page")
    order = big[0]
    items = client.list_order_items(order.amazon_order_id)
    assert [i.order_item_id for i in items] == [i.order_item_id for i in order.items]
    assert client.stats.calls["ListOrderItems"] == 1
    assert client.stats.calls["ListOrderItemsByNextToken"] == math.ceil(len(order.items) / 10) - 1


def test_get_orders_in_batches_of_fifty(standin_300):
    standin, seller = standin_300
    client = client_for(standin, seller)
    ids = [o.amazon_order_id for o in seller_orders(standin, seller)][:120]
    unknown = "999-0000000-0000000"
    orders = client.get_orders([*ids, unknown, ids[0]])
    assert [o.amazon_order_id for o in orders] == ids
    assert client.stats.calls == {"GetOrder": 3}


def test_status_changes_show_up_by_last_updated(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    since = datetime.now(UTC) - timedelta(minutes=5)
    moved = amazon_standin.book.advance(3, at=since + timedelta(seconds=30))
    assert moved
    orders = [o for p in client.iter_order_pages(last_updated_after=since) for o in p.orders]
    assert {o.amazon_order_id for o in orders} == set(moved)


def test_service_status(mws_settings, amazon_standin, amazon_seller):
    assert client_for(amazon_standin, amazon_seller).service_status().status == "GREEN"


# ---- quota ---------------------------------------------------------------------------------


def test_300_orders_with_items_receive_zero_throttled_responses(standin_300):
    standin, seller = standin_300
    assert standin.throttle
    assert standin.time_scale == 1000
    client = client_for(standin, seller)
    orders = items = 0
    started = time.monotonic()
    for page in client.iter_order_pages(created_after=LONG_AGO):
        orders += len(page.orders)
        fetched = client.list_order_items_many(
            [o.amazon_order_id for o in page.orders], max_workers=8
        )
        items += sum(len(v) for v in fetched.values())
    elapsed = time.monotonic() - started

    assert orders == 300
    assert items == sum(len(o.items) for o in seller_orders(standin, seller))
    assert standin.stats.throttled == 0
    assert standin.stats.by_status.keys() == {200}
    assert client.stats.throttled == 0
    assert client.stats.retries == 0
    assert client.stats.calls["ListOrderItems"] == 300
    # Paced, not stalled: the floor is (300 − 30) item calls at 500/s ≈ 0.54 s.
    assert elapsed < 10


# ---- errors --------------------------------------------------------------------------------


def assert_secret_free(seller, *texts: str) -> None:
    for text in texts:
        assert seller.secret_key not in text
        assert seller.mws_auth_token not in text


def test_wrong_secret_names_the_secret_key(mws_settings, amazon_standin, amazon_seller, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(amazon_standin, amazon_seller, secret_key="wrong/secret+key=0000")
    with pytest.raises(AmazonCredentialError) as info:
        client.verify()
    assert info.value.field == "secret_key"
    assert "Secret Key" in str(info.value)
    assert info.value.request_id
    assert client.stats.calls == {"ListMarketplaceParticipations": 1}  # never retried
    assert "wrong/secret+key=0000" not in str(info.value) + repr(client) + caplog.text
    assert_secret_free(amazon_seller, str(info.value), repr(client), caplog.text)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"access_key": "UNKNOWNACCESSKEY0001"}, "access_key", "AWS Access Key"),
        ({"mws_auth_token": ""}, "mws_auth_token", "MWS Auth Token"),
        (
            {"mws_auth_token": "amzn.mws.00000000-0000-0000-0000-wrongtoken01"},
            "mws_auth_token",
            "MWS Auth Token",
        ),
        ({"seller_id": "A9UNKNOWNSELLER"}, "seller_id", "not authorised"),
    ],
)
def test_credential_errors_name_the_field(
    mws_settings, amazon_standin, amazon_seller, caplog, overrides, field, words
):
    caplog.set_level(logging.DEBUG)
    client = client_for(amazon_standin, amazon_seller, **overrides)
    for call in (client.verify, lambda: list(client.iter_order_pages(created_after=LONG_AGO))):
        with pytest.raises(AmazonCredentialError) as info:
            call()
        assert info.value.field == field
        assert words in str(info.value)
        assert_secret_free(amazon_seller, str(info.value), repr(info.value), caplog.text)
    assert client.stats.retries == 0
    assert sum(client.stats.calls.values()) == 2


def test_wrong_region_names_the_seller_id_and_says_region(
    mws_settings, amazon_standin, amazon_seller
):
    # The seller sells in NA; these EU marketplaces send the calls to mws-eu.amazonservices.com.
    client = client_for(amazon_standin, amazon_seller, marketplace_ids=["A1PA6795UKMFR9"])
    with pytest.raises(AmazonCredentialError) as info:
        client.verify()
    assert info.value.field == "seller_id"
    assert "region" in str(info.value)
    assert "mws-eu.amazonservices.com" in str(info.value)


def test_verify_finds_a_marketplace_the_seller_does_not_sell_in(mws_settings, amazon_standin):
    eu_seller = make_amazon_seller("A2EUSELLER0001", n=2, marketplace_ids=["A13V1IB3VIYZZH"])
    amazon_standin.register_seller(eu_seller)
    client = client_for(
        amazon_standin, eu_seller, marketplace_ids=["A13V1IB3VIYZZH", "A1PA6795UKMFR9"]
    )
    with pytest.raises(AmazonCredentialError) as info:
        client.verify()
    assert info.value.field == "marketplace_id_2"
    assert "Marketplace A1PA6795UKMFR9 is not one this seller sells in" in str(info.value)
    # ListOrders names the same field from Amazon's AccessDenied.
    with pytest.raises(AmazonCredentialError) as info:
        list(client.iter_order_pages(created_after=LONG_AGO))
    assert info.value.field == "marketplace_id_2"
    # …and with the right marketplaces verify returns what the seller sells in.
    assert client_for(amazon_standin, eu_seller).verify() == ["A13V1IB3VIYZZH"]


def test_marketplace_problems_found_before_calling(mws_settings, amazon_standin, amazon_seller):
    for ids, field in (
        (["ATVPDKIKX0DER", "NOTAMARKETPLACE"], "marketplace_id_2"),
        (["ATVPDKIKX0DER", "A1PA6795UKMFR9"], "marketplace_id_2"),
        ([], "marketplace_id_1"),
    ):
        client = client_for(amazon_standin, amazon_seller, marketplace_ids=ids)
        with pytest.raises(AmazonCredentialError) as info:
            client.verify()
        assert info.value.field == field
        assert client.stats.calls == {}


def test_invalid_parameter_value_keeps_amazons_message(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    with pytest.raises(AmazonRequestError) as info:
        client.get_orders(["not-an-order-id"])
    assert info.value.code == "InvalidParameterValue"
    assert "Invalid AmazonOrderId: not-an-order-id" in str(info.value)
    assert client.stats.retries == 0


def test_expired_next_token_raises_next_token_corrupted(settings):
    seller = make_amazon_seller()
    standin = start_amazon_standin(
        seller=seller, book=make_amazon_book(seller, orders=150), next_token_ttl_seconds=2
    )
    try:
        client = client_for(standin, seller)
        pages = client.iter_order_pages(created_after=LONG_AGO)
        assert next(pages).next_token
        standin.clock.advance(5)
        with pytest.raises(AmazonRequestError) as info:
            next(pages)
        assert info.value.code == "NextTokenCorrupted"
        assert client.stats.calls["ListOrdersByNextToken"] == 1  # not retried
    finally:
        standin.stop()


# ---- retries -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_then_succeed(
    mws_settings, amazon_standin, amazon_seller, status
):
    client = client_for(amazon_standin, amazon_seller)
    amazon_standin.faults.inject(status, 2, operation="ListOrders")
    pages = list(client.iter_order_pages(created_after=LONG_AGO))
    assert sum(len(p.orders) for p in pages) == 60
    assert client.stats.calls["ListOrders"] == 3
    assert client.stats.retries == 2
    assert amazon_standin.stats.by_status[status] == 2


def test_server_errors_give_up_after_four_retries(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    amazon_standin.faults.inject(500, 10, operation="GetServiceStatus")
    with pytest.raises(AmazonServiceError) as info:
        client.service_status()
    assert client.stats.calls["GetServiceStatus"] == 5
    assert client.stats.retries == 4
    assert "InternalError" in str(info.value)
    assert info.value.request_id


def test_throttled_then_success_waits_a_restore_interval(
    mws_settings, amazon_standin, amazon_seller
):
    client = client_for(amazon_standin, amazon_seller)
    order_id = seller_orders(amazon_standin, amazon_seller)[0].amazon_order_id
    amazon_standin.faults.inject("throttle", 1, operation="ListOrderItems")
    started = time.monotonic()
    items = client.list_order_items(order_id)
    assert items
    assert time.monotonic() - started >= 2.0 / amazon_standin.time_scale
    assert client.stats.throttled == 1
    assert client.stats.retries == 1
    assert client.stats.calls["ListOrderItems"] == 2
    assert amazon_standin.stats.throttled == 1


def test_throttled_too_often_raises(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    amazon_standin.faults.inject("throttle", 20, operation="ListOrders")
    with pytest.raises(AmazonThrottledError):
        list(client.iter_order_pages(created_after=LONG_AGO))
    assert client.stats.throttled == 6
    assert client.stats.calls["ListOrders"] == 6


def test_timeouts_and_dropped_connections_are_retried(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller, timeout=0.3)
    amazon_standin.faults.inject("slow", 1, operation="GetServiceStatus", delay=1.0)
    amazon_standin.faults.inject("disconnect", 1, operation="GetServiceStatus")
    assert client.service_status().status == "GREEN"
    assert client.stats.calls["GetServiceStatus"] == 3
    assert client.stats.retries == 2


def test_a_page_cut_short_in_transit_is_asked_again(mws_settings, amazon_standin, amazon_seller):
    # The stand-in's "malformed" fault serves the first half of the XML with a matching
    # Content-Length: the framing is whole, the document is not (issue 15: retried, never
    # read as garbled).
    client = client_for(amazon_standin, amazon_seller)
    amazon_standin.faults.inject("malformed", 1, operation="ListOrders")
    pages = list(client.iter_order_pages(created_after=LONG_AGO))
    assert amazon_standin.faults.fired == 1
    assert sum(len(p.orders) for p in pages) == len(seller_orders(amazon_standin, amazon_seller))
    assert not any(p.unreadable for p in pages)
    assert client.stats.calls["ListOrders"] == 2 and client.stats.retries == 1


def test_items_cut_short_are_asked_again(mws_settings, amazon_standin, amazon_seller):
    client = client_for(amazon_standin, amazon_seller)
    ids = [o.amazon_order_id for o in seller_orders(amazon_standin, amazon_seller)][:20]
    amazon_standin.faults.inject("malformed", 1, operation="ListOrderItems")
    items = client.list_order_items_many(ids, max_workers=4)
    assert amazon_standin.faults.fired == 1
    assert sorted(items) == sorted(ids) and all(items.values())
    assert client.stats.retries == 1


# ---- wiring --------------------------------------------------------------------------------


def test_factory_builds_an_mws_client_from_stored_credentials(
    mws_settings, amazon_standin, amazon_seller, caplog
):
    caplog.set_level(logging.DEBUG)
    credentials = AmazonCredentials(
        kind=ConnectionKind.MWS,
        seller_id=amazon_seller.seller_id,
        marketplace_ids=amazon_seller.marketplace_ids,
        access_key=amazon_seller.access_key,
        secret_key=amazon_seller.secret_key,
        mws_auth_token=amazon_seller.mws_auth_token,
    )
    client = orders_client_for(credentials)
    assert isinstance(client, MwsClient)
    assert isinstance(client, AmazonOrdersClient)
    assert client.verify() == amazon_seller.marketplace_ids
    assert_secret_free(amazon_seller, repr(client), str(vars(client)), caplog.text)

    spapi = orders_client_for(
        AmazonCredentials(
            kind=ConnectionKind.SPAPI, seller_id="A1", marketplace_ids=["ATVPDKIKX0DER"]
        )
    )
    assert not isinstance(spapi, MwsClient)
    assert isinstance(spapi, AmazonOrdersClient)


def test_user_agent_format():
    agent = _user_agent("Amazon Sync (test)")
    assert agent.startswith("Amazon Sync test/1.0 (Language=Python/3.")
    assert "; Platform=" in agent
    assert agent.endswith(")")


# ---- on the wire (scripted server) ---------------------------------------------------------

STATUS_OK = (
    '<GetServiceStatusResponse xmlns="https://mws.amazonservices.com/Orders/2013-09-01">'
    "<GetServiceStatusResult><Status>GREEN</Status></GetServiceStatusResult>"
    "<ResponseMetadata><RequestId>ok-1</RequestId></ResponseMetadata></GetServiceStatusResponse>"
)


def mws_error(code: str, message: str, id_tag: str = "RequestId") -> str:
    return (
        '<ErrorResponse xmlns="https://mws.amazonservices.com/Orders/2013-09-01"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<{id_tag}>err-1</{id_tag}></ErrorResponse>"
    )


def scripted_client(server, **overrides) -> MwsClient:
    seller = make_amazon_seller()
    values = {
        "seller_id": seller.seller_id,
        "access_key": seller.access_key,
        "secret_key": seller.secret_key,
        "mws_auth_token": seller.mws_auth_token,
        "marketplace_ids": ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"],
        "pacer": LocalQuotaPacer(PacingPolicy(time_scale=1000)),
        "endpoint_override": server.url,
        "time_scale": 1000,
        "app_name": "TestApp",
    }
    values.update(overrides)
    return MwsClient(**values)


def test_request_on_the_wire(scripted_mws):
    from urllib.parse import parse_qsl

    from amazon_ext.amazon import signing

    scripted_mws.answer(200, STATUS_OK, **{"x-mws-request-id": "hdr-1"})
    client = scripted_client(scripted_mws)
    assert client.service_status().request_id == "hdr-1"

    (request,) = scripted_mws.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    # Sent to the override address, addressed and signed for the real EU host.
    assert headers["host"] == "mws-eu.amazonservices.com"
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert headers["user-agent"].startswith("TestApp/1.0 (Language=Python/3.")
    assert request["path"] == "/Orders/2013-09-01"
    body = request["body"].decode()
    assert "+" not in body.split("&Signature=")[0]  # spaces would be %20, never +
    params = dict(parse_qsl(body, keep_blank_values=True))
    assert params["Action"] == "GetServiceStatus"
    assert params["Version"] == "2013-09-01"
    assert params["SignatureMethod"] == "HmacSHA256"
    assert params["SignatureVersion"] == "2"
    assert params["Timestamp"].endswith("Z")
    assert params["MWSAuthToken"].startswith("amzn.mws.")
    expected = signing.sign(
        make_amazon_seller().secret_key,
        signing.string_to_sign(
            verb="POST",
            host="mws-eu.amazonservices.com",
            path="/Orders/2013-09-01",
            params=params,
        ),
    )
    assert params["Signature"] == expected
    # The body is the canonical query itself: sorted, RFC 3986.
    assert body.split("&Signature=")[0] == signing.canonical_query(params)


def test_list_orders_parameters_on_the_wire(scripted_mws):
    from urllib.parse import parse_qsl

    page = (
        '<ListOrdersResponse xmlns="https://mws.amazonservices.com/Orders/2013-09-01">'
        "<ListOrdersResult><LastUpdatedBefore>2020-01-01T00:00:00Z</LastUpdatedBefore>"
        "<Orders/></ListOrdersResult></ListOrdersResponse>"
    )
    scripted_mws.answer(200, page)
    client = scripted_client(scripted_mws)
    after = datetime(2019, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)
    before = datetime(2020, 1, 1, tzinfo=UTC)
    (result,) = client.iter_order_pages(last_updated_after=after, before=before)
    assert result.orders == ()
    assert result.window_end == before
    params = dict(parse_qsl(scripted_mws.requests[0]["body"].decode()))
    assert params["LastUpdatedAfter"] == "2019-12-01T10:00:00.123Z"
    assert params["LastUpdatedBefore"] == "2020-01-01T00:00:00Z"
    assert "CreatedAfter" not in params
    assert params["MaxResultsPerPage"] == "100"
    assert params["MarketplaceId.Id.1"] == "A1PA6795UKMFR9"
    assert params["MarketplaceId.Id.2"] == "A13V1IB3VIYZZH"


def test_quota_exceeded_is_a_throttled_error_not_retried(scripted_mws):
    scripted_mws.answer(
        503,
        mws_error("QuotaExceeded", "You exceeded your quota"),
        **{"x-mws-quota-resetsOn": "2020-01-01T01:00:00.000Z"},
    )
    client = scripted_client(scripted_mws)
    with pytest.raises(AmazonThrottledError) as info:
        client.service_status()
    assert "2020-01-01T01:00:00.000Z" in str(info.value)
    assert info.value.request_id == "err-1"
    assert len(scripted_mws.requests) == 1


def test_input_stream_disconnected_is_retried_once(scripted_mws):
    scripted_mws.answer(400, mws_error("InputStreamDisconnected", "stream", "RequestID"))
    scripted_mws.answer(400, mws_error("InputStreamDisconnected", "stream", "RequestID"))
    client = scripted_client(scripted_mws)
    with pytest.raises(AmazonRequestError) as info:
        client.service_status()
    assert info.value.code == "InputStreamDisconnected"
    assert info.value.request_id == "err-1"
    assert len(scripted_mws.requests) == 2


def test_amazon_messages_are_scrubbed_of_secrets(scripted_mws, caplog):
    seller = make_amazon_seller()
    caplog.set_level(logging.DEBUG)
    scripted_mws.answer(
        400, mws_error("InvalidParameterValue", f"Bad MWSAuthToken {seller.mws_auth_token}")
    )
    scripted_mws.answer(500, "<html>oops</html>")
    scripted_mws.answer(
        401, mws_error("AccessDenied", f"Invalid MWSAuthToken {seller.mws_auth_token}")
    )
    client = scripted_client(scripted_mws)
    with pytest.raises(AmazonRequestError) as first:
        client.service_status()
    with pytest.raises(AmazonCredentialError) as second:
        client.service_status()
    assert second.value.field == "mws_auth_token"
    for text in (str(first.value), str(second.value), repr(client), caplog.text):
        assert seller.mws_auth_token not in text
        assert seller.secret_key not in text
    assert "••••" in str(first.value)


def test_garbage_5xx_is_retried_and_4xx_is_a_request_error(scripted_mws):
    scripted_mws.answer(502, "<html>Bad Gateway</html>")
    scripted_mws.answer(200, STATUS_OK)
    scripted_mws.answer(404, mws_error("InvalidAddress", "Invalid address"))
    client = scripted_client(scripted_mws)
    assert client.service_status().status == "GREEN"
    with pytest.raises(AmazonRequestError) as info:
        client.service_status()
    assert info.value.code == "InvalidAddress"
    assert client.stats.retries == 1


# ---- shared pacing between "processes" -----------------------------------------------------


def test_two_workers_sharing_redis_buckets_are_never_throttled(standin_300, redis_url):
    """Two clients with their own Redis connections stand for two Celery worker processes
    fetching the same seller's items at once."""
    import threading

    import redis

    from amazon_ext.amazon.pacing import RedisQuotaPacer

    standin, seller = standin_300
    prefix = f"test-{time.monotonic_ns()}"
    clients = [
        client_for(
            standin,
            seller,
            pacer=RedisQuotaPacer(
                redis.Redis.from_url(redis_url), PacingPolicy(time_scale=1000), prefix=prefix
            ),
        )
        for _ in range(2)
    ]
    ids = [o.amazon_order_id for o in seller_orders(standin, seller)]
    halves = [ids[::2], ids[1::2]]
    results: list[dict] = [{}, {}]

    def work(n: int) -> None:
        results[n] = clients[n].list_order_items_many(halves[n], max_workers=4)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results[0]) + len(results[1]) == 300
    assert standin.stats.throttled == 0
    assert standin.stats.calls["ListOrderItems"] == 300


def test_invalid_marketplace_parameter_names_the_marketplace_field(scripted_mws):
    scripted_mws.answer(
        400, mws_error("InvalidParameterValue", "Invalid MarketplaceId: A13V1IB3VIYZZH")
    )
    client = scripted_client(scripted_mws)
    with pytest.raises(AmazonCredentialError) as info:
        list(client.iter_order_pages(created_after=LONG_AGO))
    assert info.value.field == "marketplace_id_2"


def test_item_batches_reuse_the_clients_threads_and_an_error_stops_only_its_batch(
    mws_settings, amazon_standin, amazon_seller
):
    """Each listing page's items are one batch: the client's worker threads serve every
    batch (not started and joined per page); a batch that fails raises with none of its walks
    still running; the next batch works; close() ends the threads."""

    def item_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("mws-items")}

    before = item_threads()
    client = client_for(amazon_standin, amazon_seller)
    ids = [o.amazon_order_id for o in seller_orders(amazon_standin, amazon_seller)][:24]
    first = client.list_order_items_many(ids[:12], max_workers=4)
    threads = item_threads() - before
    assert sorted(first) == sorted(ids[:12]) and 1 <= len(threads) <= 4
    with pytest.raises((AmazonRequestError, AmazonServiceError)):
        client.list_order_items_many([*ids[12:16], "999-0000000-0000000"], max_workers=4)
    calls = client.stats.calls["ListOrderItems"]
    time.sleep(0.2)
    assert client.stats.calls["ListOrderItems"] == calls  # nothing of that batch goes on
    second = client.list_order_items_many(ids[12:], max_workers=4)
    assert sorted(second) == sorted(ids[12:]) and item_threads() - before == threads
    client.close()
    assert not item_threads() - before


def test_an_unclosed_client_leaves_no_item_threads_once_dropped(
    mws_settings, amazon_standin, amazon_seller
):
    """The sync job drops its client without close(): the pool goes with the client."""

    def item_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("mws-items")}

    before = item_threads()
    client = client_for(amazon_standin, amazon_seller)
    ids = [o.amazon_order_id for o in seller_orders(amazon_standin, amazon_seller)][:12]
    client.list_order_items_many(ids, max_workers=4)
    assert item_threads() - before
    del client
    for _ in range(100):
        if not item_threads() - before:
            break
        time.sleep(0.02)
    assert not item_threads() - before
