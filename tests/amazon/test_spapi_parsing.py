"""SP-API JSON → shared types, on Amazon's own examples and sandbox answers
(tests/amazon/fixtures/spapi, copied from ordersV0.json; see the README there)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.types import Money

FIXTURES = Path(__file__).parent / "fixtures" / "spapi"


def body(name: str) -> bytes:
    wrapped = json.loads((FIXTURES / name).read_text())
    assert wrapped["source"].startswith("amzn/selling-partner-api-models")
    return json.dumps(wrapped["body"]).encode()


def test_get_orders_example_reads_buyer_info_and_address():
    page = parsing.parse_orders(body("get_orders_example.json"), request_id="r-1")
    assert page.next_token == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
    assert page.window_end is None
    (order,) = page.orders
    assert order.amazon_order_id == "902-3159896-1390916"
    assert order.purchase_date == datetime(2017, 1, 20, 19, 49, 35, tzinfo=UTC)
    assert order.order_status == "Pending"
    assert order.buyer_email == "user@example.com"
    assert order.buyer_name == "John Doe"
    assert order.shipping_address.name == "Michigan address"
    assert order.shipping_address.line1 == "1 Cross St."
    assert order.shipping_address.postal_code == "48817"
    assert order.order_total is None
    assert order.is_prime is False and order.is_business_order is False


def test_sandbox_get_orders_money_strings_and_epoch_window():
    page = parsing.parse_orders(body("get_orders_sandbox_200.json"))
    assert [o.amazon_order_id for o in page.orders] == [
        "902-1845936-5435065",
        "902-8745147-1934268",
    ]
    first = page.orders[0]
    assert first.order_total == Money(Decimal("11.01"), "USD")
    assert first.number_of_items_unshipped == 1
    assert first.buyer_email is None and first.shipping_address is None  # no RDT in sandbox
    # The static sandbox echoes CreatedBefore as epoch seconds.
    assert page.window_end == datetime.fromtimestamp(1569521782.042, UTC)
    assert page.next_token is None


def test_sandbox_next_token_pages():
    first = parsing.parse_orders(body("get_orders_sandbox_next_token_1.json"))
    second = parsing.parse_orders(body("get_orders_sandbox_next_token_2.json"))
    assert first.next_token == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
    assert second.next_token is None
    assert first.orders[0].amazon_order_id == second.orders[0].amazon_order_id


def test_sandbox_400_error_body():
    error = parsing.parse_error(body("get_orders_sandbox_400.json"))
    assert (error.code, error.message) == ("InvalidInput", "Invalid Input")


def test_get_order_example_and_iba_sandbox():
    order = parsing.parse_order(body("get_order_example.json"))
    assert order.buyer_name == "John Doe"
    iba = parsing.parse_order(body("get_order_sandbox_iba_200.json"))
    assert iba.purchase_date == datetime(2019, 5, 7, 15, 42, 57, 58000, tzinfo=UTC)
    assert iba.order_total == Money(Decimal("100.00"), "EUR")
    assert iba.is_business_order is True
    assert iba.marketplace_id == "A1PA6795UKMFR9"


def test_get_order_items_example_gift_wrap_under_buyer_info():
    page = parsing.parse_order_items(body("get_order_items_example.json"))
    assert page.amazon_order_id == "903-1671087-0812628"
    assert page.next_token == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
    first, second = page.items
    assert first.asin == "BT0093TELA"
    assert first.item_price == Money(Decimal("25.99"), "JPY")
    assert first.shipping_price == Money(Decimal("1.26"), "JPY")
    assert first.gift_wrap_price == Money(Decimal("41.99"), "GBP")  # as Amazon wrote it
    assert second.quantity_ordered == 2 and second.quantity_shipped == 0
    assert second.gift_wrap_price == Money(Decimal("1.99"), "JPY")


def test_get_order_items_sandbox_is_gift_string():
    page = parsing.parse_order_items(body("get_order_items_sandbox_200.json"))
    (item,) = page.items
    assert item.is_gift is False
    assert item.item_tax == Money(Decimal("1.01"), "USD")
    assert item.promotion_discount == Money(Decimal("0.00"), "USD")
    assert item.title == "B00551Q3CS [Card Book]"


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"<html>", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"errors": []}', "no payload"),
    ],
)
def test_untrusted_payloads_raise_with_the_request_id(payload, detail):
    with pytest.raises(AmazonResponseError, match=detail) as caught:
        parsing.parse_orders(payload, request_id="req-9")
    assert caught.value.request_id == "req-9"


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (
            b'{"payload": {"Orders": [{"AmazonOrderId": "111-1111111-1111111"}]}}',
            "PurchaseDate missing",
        ),
        (
            b'{"payload": {"Orders": [{"AmazonOrderId": "111-1111111-1111111", "PurchaseDate":'
            b' "yesterday", "LastUpdateDate": "2020-01-01T00:00:00Z", "OrderStatus": "Shipped"}]}}',
            "not a date",
        ),
        (
            b'{"payload": {"Orders": [{"AmazonOrderId": "1", "PurchaseDate": "2020-01-01",'
            b' "LastUpdateDate": "2020-01-01T00:00:00Z", "OrderStatus": "Shipped"}]}}',
            "not an Amazon order id",
        ),
    ],
)
def test_an_unreadable_order_is_set_aside_with_the_request_id(payload, detail):
    page = parsing.parse_orders(payload, request_id="req-9")
    [bad] = page.unreadable
    assert page.orders == ()
    assert detail in bad.reason
    assert bad.request_id == "req-9"


def test_bad_amount_is_refused():
    payload = {
        "payload": {
            "AmazonOrderId": "1",
            "OrderItems": [
                {
                    "OrderItemId": "9",
                    "ASIN": "B0",
                    "QuantityOrdered": 1,
                    "ItemPrice": {"CurrencyCode": "USD", "Amount": "NaN"},
                }
            ],
        }
    }
    with pytest.raises(AmazonResponseError, match="Amount"):
        parsing.parse_order_items(json.dumps(payload).encode())
