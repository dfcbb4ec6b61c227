"""Hostile numbers and dates: both parsers refuse what Amazon could never mean, naming the
value briefly, and the MWS parser refuses answers of another API version."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from amazon_ext.amazon import values
from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonResponseError,
    AmazonServiceError,
    AmazonThrottledError,
)
from amazon_ext.amazon.mws import parsing as mws
from amazon_ext.amazon.spapi import parsing as spapi
from outbound.errors import OutboundError, is_retryable

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE_AMOUNTS = ["inf", "-Infinity", "NaN", "sNaN", "1e999999999", "1e12", "5,000", "1_000", ""]
HOSTILE_DATES = ["1e300", "inf", "-1", "1e999999999", "20178-02-20T19:49:35Z", "1994-12-31"]


@pytest.mark.parametrize("text", HOSTILE_AMOUNTS[:-1])
def test_hostile_amounts_are_refused(text):
    with pytest.raises(values.UnreadableValueError, match="Amount"):
        values.parse_decimal(text, name="Amount")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", "0"), ("-0.10", "-0.10"), ("1234.5", "1234.5"), ("999999999999.99", "999999999999.99")],
)
def test_real_amounts_are_exact_decimals(text, expected):
    assert values.parse_decimal(text, name="Amount") == Decimal(expected)


def test_dates_must_be_real_and_in_range():
    for text in HOSTILE_DATES:
        with pytest.raises(values.UnreadableValueError):
            values.parse_datetime(text, epoch_seconds=True)
    assert values.parse_datetime("2100-12-31T23:59:59Z").year == 2100
    with pytest.raises(values.UnreadableValueError, match="outside 1995–2100"):
        values.parse_datetime("2101-01-01T00:00:00Z")
    assert values.parse_datetime("1569521782.042", epoch_seconds=True) == datetime.fromtimestamp(
        1569521782.042, UTC
    )
    with pytest.raises(values.UnreadableValueError, match="not a date"):
        values.parse_datetime("1569521782")  # epoch seconds only where Amazon sends them


def test_quoted_values_are_cut_short():
    assert len(values.quote("x" * 10_000)) == values.QUOTE_LIMIT
    assert values.clip("short") == "short"


def _items_with_amount(amount: str) -> bytes:
    body = (FIXTURES / "list_order_items.xml").read_text()
    return body.replace("<Amount>5000</Amount>", f"<Amount>{amount}</Amount>").encode()


@pytest.mark.parametrize("amount", ["inf", "NaN", "1e999999999", "Infinity"])
def test_mws_items_with_hostile_amounts_raise_naming_the_value(amount):
    with pytest.raises(AmazonResponseError, match="ItemPrice/Amount") as caught:
        mws.parse_order_items(_items_with_amount(amount), action="ListOrderItems", request_id="r")
    assert repr(amount) in str(caught.value)


@pytest.mark.parametrize("date", ["1e300", "inf", "2017-13-45T00:00:00Z", "3017-01-01T00:00:00Z"])
def test_mws_orders_with_hostile_dates_are_set_aside(date):
    body = (FIXTURES / "list_orders.xml").read_text()
    body = body.replace("<PurchaseDate>2017-02-20T19:49:35Z", f"<PurchaseDate>{date}", 1)
    page = mws.parse_orders(body.encode(), action="ListOrders", request_id="r")
    [bad] = page.unreadable  # one quarantined order, the rest of the page read
    assert "PurchaseDate" in bad.reason


def test_an_endless_value_is_quoted_briefly():
    with pytest.raises(AmazonResponseError) as caught:
        mws.parse_order_items(_items_with_amount("9" * 100_000), action="ListOrderItems")
    assert len(str(caught.value)) < 400


def _spapi_items(amount: object) -> bytes:
    item = {
        "OrderItemId": "9",
        "ASIN": "B0",
        "QuantityOrdered": 1,
        "ItemPrice": {"CurrencyCode": "USD", "Amount": amount},
    }
    return json.dumps({"payload": {"AmazonOrderId": "1", "OrderItems": [item]}}).encode()


@pytest.mark.parametrize("amount", ["inf", "-inf", "NaN", "1e999999999", "1E+13"])
def test_spapi_items_with_hostile_amounts_raise(amount):
    with pytest.raises(AmazonResponseError, match="ItemPrice/Amount") as caught:
        spapi.parse_order_items(_spapi_items(amount), request_id="req-1")
    assert caught.value.request_id == "req-1"


@pytest.mark.parametrize("date", ["1e300", "inf", "NaN", "-1e9", "4200000000"])
def test_spapi_dates_read_as_epoch_seconds_must_be_in_range(date):
    order = {
        "AmazonOrderId": "111-1111111-1111111",
        "PurchaseDate": date,
        "LastUpdateDate": "2020-01-01T00:00:00Z",
        "OrderStatus": "Shipped",
    }
    payload = json.dumps({"payload": {"Orders": [order]}}).encode()
    [bad] = spapi.parse_orders(payload).unreadable
    assert bad.amazon_order_id == "111-1111111-1111111"
    assert "PurchaseDate" in bad.reason


def test_spapi_counts_are_bounded_whole_numbers():
    body = json.loads(_spapi_items("1.00"))
    body["payload"]["OrderItems"][0]["QuantityOrdered"] = 10**30
    with pytest.raises(AmazonResponseError, match="QuantityOrdered"):
        spapi.parse_order_items(json.dumps(body).encode())


@pytest.mark.parametrize(
    "namespace",
    [
        "http://mws.amazonaws.com/doc/2009-01-01/",
        "https://mws.amazonservices.com/Orders/2011-01-01",  # allowed for items only
        "https://mws.amazonservices.com/Sellers/2011-07-01",
        None,
    ],
)
def test_mws_orders_of_another_api_version_are_refused(namespace):
    body = (FIXTURES / "list_orders.xml").read_bytes()
    ours = b' xmlns="https://mws.amazonservices.com/Orders/2013-09-01"'
    assert ours in body
    body = body.replace(ours, b"" if namespace is None else f' xmlns="{namespace}"'.encode())
    with pytest.raises(AmazonResponseError, match="namespace") as caught:
        mws.parse_orders(body, action="ListOrders", request_id="r")
    assert caught.value.code == "MalformedResponse"


def test_mws_sellers_answer_must_be_in_the_sellers_namespace():
    body = (FIXTURES / "list_marketplace_participations.xml").read_bytes()
    body = body.replace(b"Sellers/2011-07-01", b"Orders/2013-09-01")
    with pytest.raises(AmazonResponseError, match="namespace"):
        mws.parse_participations(body, action="ListMarketplaceParticipations")


def test_errors_say_themselves_whether_a_retry_can_help():
    assert all(
        isinstance(cls("x", code="c"), OutboundError) and is_retryable(cls("x", code="c"))
        for cls in (AmazonServiceError, AmazonThrottledError, AmazonResponseError)
    )
    assert not is_retryable(AmazonRequestError("x"))
    assert not is_retryable(AmazonCredentialError("x", field="seller_id"))


def test_money_read_again_is_the_same_and_a_refusal_is_never_remembered():
    first = values.parse_money("19.99", "usd", name="ItemPrice")
    assert first == values.parse_money("19.99", "usd", name="OrderTotal")
    assert (first.amount, first.currency_code) == (Decimal("19.99"), "USD")
    for _ in range(2):  # refused each time, naming the field asked about
        with pytest.raises(values.UnreadableValueError, match="ShippingPrice/Amount"):
            values.parse_money("NaN", "USD", name="ShippingPrice")
        with pytest.raises(values.UnreadableValueError, match="CurrencyCode"):
            values.parse_money("1.00", "U$D", name="ShippingPrice")
    for n in range(values._READ_MONEY_LIMIT + 10):  # bounded, however many distinct amounts
        values.parse_money(f"{n}.01", "EUR", name="ItemPrice")
    assert len(values._READ_MONEY) <= values._READ_MONEY_LIMIT
