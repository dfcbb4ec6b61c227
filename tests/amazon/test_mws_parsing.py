"""MWS XML → typed orders and items, on fixture files written from the spec's element names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.mws import parsing
from amazon_ext.amazon.types import Money

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_list_orders_page():
    page = parsing.parse_orders(load("list_orders.xml"), action="ListOrders")
    assert page.next_token == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4+/="
    assert page.window_end == datetime(2017, 2, 25, 18, 10, 21, 687000, tzinfo=UTC)
    assert page.request_id == "88faca76-b600-46d2-b53c-0c8c4EXAMPLE"
    assert len(page.orders) == 3
    shipped = page.orders[0]

    assert shipped.amazon_order_id == "902-3159896-1390916"
    assert shipped.seller_order_id == "SO-1001"
    assert shipped.purchase_date == datetime(2017, 2, 20, 19, 49, 35, tzinfo=UTC)
    assert shipped.order_status == "Shipped"
    assert shipped.order_total == Money(Decimal("25.00"), "USD")
    assert shipped.buyer_email == "5vlhEXAMPLEh9h5@marketplace.amazon.com"
    assert shipped.buyer_name == "Jane Example"
    assert shipped.shipping_address.line2 == "Suite 2"
    assert shipped.shipping_address.state_or_region == "WA"
    assert shipped.shipping_address.phone == "+1 206 555 0100"
    assert shipped.is_prime is True
    assert shipped.is_business_order is False
    assert shipped.number_of_items_shipped == 1
    assert shipped.payment_method == "Other"
    assert shipped.marketplace_id == "ATVPDKIKX0DER"
    assert shipped.fulfillment_channel == "MFN"
    assert shipped.order_type == "StandardOrder"


def test_pending_order_has_no_buyer_address_or_total():
    page = parsing.parse_orders(load("list_orders.xml"), action="ListOrders")
    pending = page.orders[1]
    assert pending.order_status == "Pending"
    assert pending.buyer_email is None
    assert pending.buyer_name is None
    assert pending.shipping_address is None
    assert pending.order_total is None
    assert pending.payment_method is None
    assert pending.is_prime is False


def test_datetimes_are_aware_utc_with_fractions_and_offsets():
    page = parsing.parse_orders(load("list_orders.xml"), action="ListOrders")
    pending, business = page.orders[1], page.orders[2]
    assert pending.purchase_date == datetime(2017, 2, 5, 0, 6, 7, 123456, tzinfo=UTC)
    assert pending.last_update_date == datetime(2017, 2, 7, 3, 43, 16, tzinfo=UTC)
    assert pending.last_update_date.utcoffset().total_seconds() == 0
    assert business.purchase_date == datetime(2017, 2, 10, 7, 0, tzinfo=UTC)
    # A gift order: address and total but no BuyerEmail.
    assert business.buyer_email is None
    assert business.order_total.amount == Decimal("1234.5")
    assert business.is_business_order is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-02-25T18%3A10%3A21.687Z", datetime(2017, 2, 25, 18, 10, 21, 687000, tzinfo=UTC)),
        ("2017-02-25T18:10:21", datetime(2017, 2, 25, 18, 10, 21, tzinfo=UTC)),
        ("2017-02-25T20:10:21+02:00", datetime(2017, 2, 25, 18, 10, 21, tzinfo=UTC)),
    ],
)
def test_parse_datetime_tolerates(text, expected):
    assert parsing.parse_datetime(text) == expected


def test_last_page_by_next_token_echoes_last_updated_before():
    page = parsing.parse_orders(
        load("list_orders_by_next_token_last.xml"), action="ListOrdersByNextToken"
    )
    assert page.next_token is None
    assert page.window_end == datetime(2017, 2, 25, 18, 10, 21, tzinfo=UTC)
    assert [o.order_status for o in page.orders] == ["Canceled"]


def test_get_order_pending():
    page = parsing.parse_orders(load("get_order_pending.xml"), action="GetOrder")
    (order,) = page.orders
    assert order.order_status == "Pending"
    assert order.order_total is None
    assert page.window_end is None
    assert page.next_token is None


def test_list_order_items_with_money():
    page = parsing.parse_order_items(load("list_order_items.xml"), action="ListOrderItems")
    assert page.amazon_order_id == "058-1233752-8214740"
    assert page.next_token == "MRgZW55IGNhcm5hbCBwbGVhc3VyZS6="
    first, second = page.items
    assert first.asin == "BT0093TELA"
    assert first.order_item_id == "68828574383266"
    assert first.title == 'Example Book With Special Characters & "Quotes"'
    assert first.quantity_ordered == 2
    assert first.quantity_shipped == 1
    assert first.item_price == Money(Decimal("1000"), "JPY")
    assert first.shipping_discount == Money(Decimal("-100"), "JPY")
    assert first.promotion_discount.amount == Decimal("-0.10")
    assert first.gift_wrap_tax.amount == Decimal("0.00")
    assert first.is_gift is True
    assert second.seller_sku is None
    assert second.quantity_shipped == 0
    assert second.item_tax is None
    assert second.is_gift is False


def test_pending_items_have_no_money():
    page = parsing.parse_order_items(
        load("list_order_items_pending.xml"), action="ListOrderItemsByNextToken"
    )
    (item,) = page.items
    assert page.next_token is None
    assert item.quantity_ordered == 3
    for field in (
        "item_price",
        "item_tax",
        "shipping_price",
        "shipping_tax",
        "shipping_discount",
        "promotion_discount",
        "gift_wrap_price",
        "gift_wrap_tax",
    ):
        assert getattr(item, field) is None, field


def test_error_body_with_request_id():
    err = parsing.parse_error(load("error_request_id.xml"))
    assert err.type == "Sender"
    assert err.code == "InvalidParameterValue"
    assert err.message == "CreatedAfter or LastUpdatedAfter must be specified"
    assert err.request_id == "e26147f9-30cc-4379-9fb5-bd4ad966c48b"


def test_error_body_with_request_ID_spelling_and_other_namespace():
    err = parsing.parse_error(load("error_request_ID.xml"))
    assert err.code == "RequestThrottled"
    assert err.request_id == "b2a1c7d4-0000-4000-8000-000000000005"


def test_error_header_request_id_wins_and_garbage_never_raises():
    assert parsing.parse_error(load("error_request_id.xml"), request_id="hdr").request_id == "hdr"
    err = parsing.parse_error(b"<html>Service Unavailable", request_id="hdr")
    assert (err.code, err.request_id) == ("", "hdr")


def test_malformed_xml_raises_with_request_id():
    with pytest.raises(AmazonResponseError) as info:
        parsing.parse_orders(
            load("malformed_truncated.xml"), action="ListOrders", request_id="req-123"
        )
    assert info.value.request_id == "req-123"
    assert "req-123" in str(info.value)


def test_missing_required_element_sets_the_order_aside_with_body_request_id():
    page = parsing.parse_orders(load("missing_purchase_date.xml"), action="ListOrders")
    [bad] = page.unreadable
    assert "PurchaseDate" in bad.reason
    assert bad.request_id == "deadbeef-0000-4000-8000-000000000006"


@pytest.mark.parametrize(
    ("element", "replacement"),
    [
        ("<ASIN>BCTU1104UEFB</ASIN>", ""),
        ("<OrderItemId>79039765272157</OrderItemId>", ""),
        ("<QuantityOrdered>1</QuantityOrdered>", ""),
        ("<QuantityOrdered>1</QuantityOrdered>", "<QuantityOrdered>one</QuantityOrdered>"),
        ("<Amount>5000</Amount>", "<Amount>5,000</Amount>"),
        ("<Amount>5000</Amount>", "<Amount>NaN</Amount>"),
        ("<Amount>5000</Amount>", ""),
    ],
)
def test_bad_items_raise(element, replacement):
    body = load("list_order_items.xml").decode().replace(element, replacement).encode()
    with pytest.raises(AmazonResponseError):
        parsing.parse_order_items(body, action="ListOrderItems", request_id="r")


@pytest.mark.parametrize(
    ("element", "replacement"),
    [
        ("<AmazonOrderId>902-3159896-1390916</AmazonOrderId>", ""),
        ("<LastUpdateDate>2017-02-20T19:49:35Z</LastUpdateDate>", ""),
        ("<OrderStatus>Shipped</OrderStatus>", "<OrderStatus> </OrderStatus>"),
        ("<PurchaseDate>2017-02-20T19:49:35Z", "<PurchaseDate>20178-02-20T19:49:35Z"),
        ("<IsPrime>true</IsPrime>", "<IsPrime>maybe</IsPrime>"),
    ],
)
def test_a_bad_order_is_set_aside_and_the_rest_of_the_page_read(element, replacement):
    whole = parsing.parse_orders(load("list_orders.xml"), action="ListOrders", request_id="r")
    body = load("list_orders.xml").decode().replace(element, replacement, 1).encode()
    page = parsing.parse_orders(body, action="ListOrders", request_id="r")
    [bad] = page.unreadable
    assert bad.position == 1
    assert bad.request_id == "r"
    assert [o.amazon_order_id for o in page.orders] == [o.amazon_order_id for o in whole.orders[1:]]


def test_entity_expansion_is_refused():
    with pytest.raises(AmazonResponseError, match="not well-formed|DTD"):
        parsing.parse_orders(load("entity_expansion.xml"), action="ListOrders", request_id="r")


def test_wrong_document_or_namespace_is_refused():
    with pytest.raises(AmazonResponseError, match="expected <ListOrdersByNextTokenResponse>"):
        parsing.parse_orders(load("list_orders.xml"), action="ListOrdersByNextToken")
    # Elements in a foreign namespace are not Amazon's elements.
    body = load("list_orders.xml").replace(
        b"<ListOrdersResult>", b'<ListOrdersResult xmlns="urn:other">'
    )
    with pytest.raises(AmazonResponseError, match="no <ListOrdersResult>"):
        parsing.parse_orders(body, action="ListOrders")


def test_other_orders_namespace_version_is_read_consistently():
    # Amazon's own ListOrderItems samples use the 2011-01-01 namespace; read them by the
    # document element's namespace.
    body = load("list_order_items.xml").replace(b"2013-09-01", b"2011-01-01")
    page = parsing.parse_order_items(body, action="ListOrderItems")
    assert len(page.items) == 2


def test_service_status():
    status = parsing.parse_service_status(load("get_service_status.xml"))
    assert status.status == "YELLOW"
    assert status.messages == ("We are experiencing high latency.",)
    assert status.timestamp.tzinfo is not None


def test_marketplace_participations():
    page = parsing.parse_participations(
        load("list_marketplace_participations.xml"), action="ListMarketplaceParticipations"
    )
    assert page.marketplace_ids == ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2")
    assert page.suspended_marketplace_ids == ("A2EUQ1WTGCTBG2",)
    assert page.next_token == "MRgZW55IGNhcm5hbCBwbGVhc3VyZS6="
    assert page.request_id == "efeab958-0000-4000-8000-000000000008"
