"""Rules that hold across pages, on the wire (scripted loopback server): items repeated on a
later MWS items page come once; SP-API getOrders keeps its filters on NextToken pages and
refuses a page over Amazon's maximum; answers over the body cap are refused, not retried."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.pacing import LocalQuotaPacer, PacingPolicy
from amazon_ext.amazon.spapi.client import SpApiClient
from tests.amazon.test_mws_client import scripted_client
from tests.fixtures.amazon import make_amazon_seller

NS = "https://mws.amazonservices.com/Orders/2013-09-01"


def items_page(action: str, order_id: str, item_ids: list[str], next_token: str | None) -> str:
    items = "".join(
        f"<OrderItem><ASIN>B0{n}</ASIN><OrderItemId>{n}</OrderItemId>"
        f"<QuantityOrdered>1</QuantityOrdered></OrderItem>"
        for n in item_ids
    )
    token = f"<NextToken>{next_token}</NextToken>" if next_token else ""
    return (
        f'<{action}Response xmlns="{NS}"><{action}Result>{token}'
        f"<AmazonOrderId>{order_id}</AmazonOrderId><OrderItems>{items}</OrderItems>"
        f"</{action}Result></{action}Response>"
    )


def test_mws_items_repeated_across_pages_are_kept_once(scripted_mws):
    order_id = "902-3159896-1390916"
    scripted_mws.answer(200, items_page("ListOrderItems", order_id, ["11", "12"], "t1"))
    scripted_mws.answer(200, items_page("ListOrderItemsByNextToken", order_id, ["12", "13"], "t2"))
    scripted_mws.answer(200, items_page("ListOrderItemsByNextToken", order_id, ["11", "14"], None))
    client = scripted_client(scripted_mws)
    items = client.list_order_items(order_id)
    assert [i.order_item_id for i in items] == ["11", "12", "13", "14"]
    assert len(scripted_mws.requests) == 3


def test_mws_items_page_of_another_order_is_refused(scripted_mws):
    scripted_mws.answer(200, items_page("ListOrderItems", "111-0000000-0000000", ["1"], None))
    client = scripted_client(scripted_mws)
    with pytest.raises(AmazonResponseError, match="when asked for 902-"):
        client.list_order_items("902-3159896-1390916")


def test_mws_answer_over_the_body_cap_is_refused_and_not_retried(scripted_mws):
    huge = f'<GetServiceStatusResponse xmlns="{NS}">' + " " * (1024 * 1024 + 10)
    scripted_mws.answer(200, huge)
    client = scripted_client(scripted_mws)
    with pytest.raises(AmazonResponseError) as caught:
        client.service_status()
    assert caught.value.code == "ResponseTooLarge"
    assert caught.value.retryable is True  # a later run may get a sane answer
    assert len(scripted_mws.requests) == 1


# ---- SP-API getOrders ------------------------------------------------------------------


@pytest.fixture
def spapi_client(scripted_mws):
    cache.clear()
    seller = make_amazon_seller()
    scripted_mws.script.append(
        (200, {"Content-Type": "application/json"}, b'{"access_token":"Atza|a","expires_in":3600}')
    )
    scripted_mws.script.append(
        (
            200,
            {"Content-Type": "application/json"},
            b'{"restrictedDataToken":"Atz.sprdt|r","expiresIn":3600}',
        )
    )
    client = SpApiClient(
        seller_id=seller.seller_id,
        marketplace_ids=["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        lwa_client_id="amzn1.application-oa2-client.test",
        lwa_client_secret="secret",
        lwa_refresh_token="Atzr|refresh",
        endpoint_override=scripted_mws.url,
        token_url=f"{scripted_mws.url}/auth/o2/token",
        time_scale=1000,
        pacer=LocalQuotaPacer(PacingPolicy(time_scale=1000)),
        orders_version="v0",  # the scripted answers are getOrders pages
    )
    yield client
    client.close()
    cache.clear()


def orders_json(count: int, next_token: str | None, start: int = 0) -> bytes:
    orders = [
        {
            "AmazonOrderId": f"902-0000000-{start + n:07d}",
            "PurchaseDate": "2024-01-02T03:04:05Z",
            "LastUpdateDate": "2024-01-02T03:04:05Z",
            "OrderStatus": "Shipped",
        }
        for n in range(count)
    ]
    payload: dict = {"Orders": orders, "CreatedBefore": "2024-02-01T00:00:00Z"}
    if next_token:
        payload["NextToken"] = next_token
    return json.dumps({"payload": payload}).encode()


def get_orders_queries(server) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(r["path"]).query)
        for r in server.requests
        if r["method"] == "GET" and urlsplit(r["path"]).path == "/orders/v0/orders"
    ]


def test_spapi_next_token_pages_keep_the_filters(scripted_mws, spapi_client):
    for body in (orders_json(100, "tok+/=1"), orders_json(3, None, start=100)):
        scripted_mws.script.append((200, {"Content-Type": "application/json"}, body))
    after = datetime(2024, 1, 1, tzinfo=UTC)
    before = datetime(2024, 2, 1, tzinfo=UTC)
    pages = list(spapi_client.iter_order_pages(created_after=after, before=before))
    assert [len(p.orders) for p in pages] == [100, 3]

    first, second = get_orders_queries(scripted_mws)
    assert "NextToken" not in first
    assert second["NextToken"] == ["tok+/=1"]
    for name in ("CreatedAfter", "CreatedBefore", "MarketplaceIds", "MaxResultsPerPage"):
        assert second[name] == first[name], name
    assert first["CreatedAfter"] == ["2024-01-01T00:00:00Z"]
    assert first["CreatedBefore"] == ["2024-02-01T00:00:00Z"]
    assert first["MarketplaceIds"] == ["ATVPDKIKX0DER,A2EUQ1WTGCTBG2"]


def test_spapi_page_over_amazons_maximum_is_refused(scripted_mws, spapi_client):
    scripted_mws.script.append((200, {"Content-Type": "application/json"}, orders_json(101, None)))
    with pytest.raises(AmazonResponseError, match="101 orders, more than its maximum of 100"):
        list(spapi_client.iter_order_pages(last_updated_after=datetime(2024, 1, 1, tzinfo=UTC)))
