"""One unreadable order is set aside, not the page (defects 5 and 10): hostile numbers, a
value nested past the stack, ids and marketplaces of the wrong shape; unknown statuses are
kept as Amazon sent them. Whole-page errors stay for pages that are not pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.mws import parsing as mws
from amazon_ext.amazon.spapi import parsing as spapi

FIXTURES = Path(__file__).parent / "fixtures"


def v0_order(order_id: str, **fields) -> dict:
    order = {
        "AmazonOrderId": order_id,
        "PurchaseDate": "2024-05-01T10:00:00Z",
        "LastUpdateDate": "2024-05-01T11:00:00Z",
        "OrderStatus": "Shipped",
        "MarketplaceId": "ATVPDKIKX0DER",
        "OrderTotal": {"CurrencyCode": "USD", "Amount": "10.00"},
    }
    order.update(fields)
    return order


def v0_page(*orders: dict) -> bytes:
    return json.dumps({"payload": {"Orders": list(orders)}}).encode()


GOOD_1, BAD, GOOD_3 = "111-0000001-0000001", "111-0000002-0000002", "111-0000003-0000003"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"PurchaseDate": "inf"}, "PurchaseDate"),
        ({"PurchaseDate": "1e300"}, "PurchaseDate"),
        ({"OrderTotal": {"CurrencyCode": "USD", "Amount": "1e999999999"}}, "out of range"),
        ({"MarketplaceId": "NOTAMARKETPLACE"}, "not an Amazon marketplace"),
        ({"OrderStatus": "Shipped; DROP"}, "not an order status"),
    ],
)
def test_the_second_order_unreadable_the_others_read(fields, reason):
    page = spapi.parse_orders(
        v0_page(v0_order(GOOD_1), v0_order(BAD, **fields), v0_order(GOOD_3)), request_id="rq"
    )
    assert [o.amazon_order_id for o in page.orders] == [GOOD_1, GOOD_3]
    [bad] = page.unreadable
    assert (bad.amazon_order_id, bad.position, bad.request_id) == (BAD, 2, "rq")
    assert reason in bad.reason
    assert len(bad.reason) <= 300


def test_deeply_nested_json_makes_one_order_unreadable_not_the_page():
    marker = '"BuyerInfo": "X"'
    text = v0_page(v0_order(GOOD_1), v0_order(BAD, BuyerInfo="X"), v0_order(GOOD_3)).decode()
    body = text.replace(marker, '"BuyerInfo": ' + "[" * 100_000 + "]" * 100_000).encode()
    with pytest.raises(RecursionError):
        json.loads(body)  # Python's own decoder gives up on the whole page
    page = spapi.parse_orders(body)
    assert [o.amazon_order_id for o in page.orders] == [GOOD_1, GOOD_3]
    [bad] = page.unreadable
    assert bad.amazon_order_id == BAD and "nested more than 64 levels" in bad.reason


def test_an_id_of_the_wrong_shape_is_unreadable_without_an_id():
    page = spapi.parse_orders(v0_page(v0_order("12345"), v0_order(GOOD_3)))
    [bad] = page.unreadable
    assert bad.amazon_order_id is None and "3-7-7" in bad.reason
    assert [o.amazon_order_id for o in page.orders] == [GOOD_3]


def test_an_unknown_status_is_kept_not_guessed():
    page = spapi.parse_orders(v0_page(v0_order(GOOD_1, OrderStatus="OnHoldForReview")))
    assert page.orders[0].order_status == "OnHoldForReview"
    assert page.unreadable == ()


def test_an_order_listed_twice_is_kept_once_the_newest_copy():
    older = v0_order(GOOD_1)
    newer = v0_order(GOOD_1, LastUpdateDate="2024-05-02T00:00:00Z", OrderStatus="Canceled")
    page = spapi.parse_orders(v0_page(older, v0_order(GOOD_3), newer))
    assert [o.amazon_order_id for o in page.orders] == [GOOD_1, GOOD_3]
    assert page.orders[0].order_status == "Canceled"


def test_mws_page_with_one_hostile_order_and_too_many_orders():
    body = (FIXTURES / "list_orders.xml").read_text()
    hostile = body.replace("<PurchaseDate>2017-02-20T19:49:35Z", "<PurchaseDate>inf", 1)
    page = mws.parse_orders(hostile.encode(), action="ListOrders", request_id="r")
    assert len(page.unreadable) == 1 and page.orders
    start, end = body.index("<Order>"), body.index("</Order>") + len("</Order>")
    many = body[:start] + body[start:end] * 101 + body[end:]
    with pytest.raises(AmazonResponseError, match="more than Amazon's maximum of 100"):
        mws.parse_orders(many.encode(), action="ListOrders", request_id="r")
