"""Orders API v2026-01-01 JSON → shared types, on Amazon's own examples and sandbox answers
(tests/amazon/fixtures/spapi_2026, copied from orders_2026-01-01.json; see the README there),
plus the adapter's requests against a recording transport."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.spapi import operations, parsing_v2026
from amazon_ext.amazon.spapi.orders_v2026 import INCLUDED_DATA, Orders20260101
from amazon_ext.amazon.spapi.transport import AmazonNotFoundError
from amazon_ext.amazon.types import Address, Money, Order
from crm_sync.mapping import expected_grand_total

FIXTURES = Path(__file__).parent / "fixtures" / "spapi_2026"
SEARCH_200 = sorted(p.name for p in FIXTURES.glob("search_orders_*.json") if "_400" not in p.name)
GET_200 = sorted(p.name for p in FIXTURES.glob("get_order_*.json") if "_400" not in p.name)


def wrapped(name: str) -> dict:
    data = json.loads((FIXTURES / name).read_text())
    assert data["source"].startswith("amzn/selling-partner-api-models @")
    assert "models/orders-api-model/orders_2026-01-01.json" in data["source"]
    assert data["where"].startswith("paths./orders/2026-01-01/orders")
    return data


def raw(name: str) -> dict:
    return copy.deepcopy(wrapped(name)["body"])


def encode(data: dict) -> bytes:
    return json.dumps(data).encode()


def orders_of(name: str) -> tuple[Order, ...]:
    body = encode(raw(name))
    if name.startswith("search_orders"):
        return parsing_v2026.parse_search_orders(body).orders
    return (parsing_v2026.parse_get_order(body),)


def amazon_total_by_mapping(order: Order) -> Decimal:
    """What the mapping makes Zoho's Grand_Total (delivery tip, COD fees and other charges
    included)."""
    return expected_grand_total(order)


# ---- Amazon's examples ----------------------------------------------------------------


@pytest.mark.parametrize("name", SEARCH_200 + GET_200)
def test_every_example_parses_with_items_and_matches_amazons_total(name):
    orders = orders_of(name)
    assert orders
    for order in orders:
        assert order.items, "v2026 orders carry their items"
        assert order.order_total is not None
        # Amazon's order total is proceeds.grandTotal; our fields reproduce it to the cent.
        assert amazon_total_by_mapping(order) == order.order_total.amount
        for item in order.items:
            assert item.proceeds_total is not None
            assert item.item_price.amount == item.unit_price.amount * item.quantity_ordered


@pytest.mark.parametrize(
    "name",
    [n for n in SEARCH_200 + GET_200 if n != "search_orders_example.json"],
)
def test_examples_without_tip_match_expected_grand_total_as_it_is(name):
    for order in orders_of(name):
        assert order.delivery_tip is None
        assert expected_grand_total(order) == order.order_total.amount


def test_mapping_counts_the_delivery_tip():
    (order,) = orders_of("search_orders_example.json")
    assert expected_grand_total(order) == order.order_total.amount


def test_search_orders_example_fields():
    page = parsing_v2026.parse_search_orders(
        encode(raw("search_orders_example.json")), request_id="r-1", by_created=False
    )
    assert page.next_token == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
    assert page.window_end == datetime(2024, 12, 25, 15, 0, tzinfo=UTC)
    assert page.request_id == "r-1"
    (order,) = page.orders
    assert order.amazon_order_id == "123-4567890-1234567"
    assert order.purchase_date == datetime(2024, 12, 25, 10, 30, tzinfo=UTC)
    assert order.last_update_date == datetime(2024, 12, 25, 14, 45, tzinfo=UTC)
    assert order.order_status == "Shipped"
    assert order.fulfillment_channel == "MFN"
    assert order.sales_channel == "Amazon.com"
    assert order.marketplace_id == "ATVPDKIKX0DER"
    assert order.order_type == "StandardOrder"
    assert order.seller_order_id == "SELLER-ORDER-2024-001"
    assert order.order_aliases == (("SELLER_ORDER_ID", "SELLER-ORDER-2024-001"),)
    assert order.programs == ("PRIME", "AMAZON_BUSINESS")
    assert order.is_prime and order.is_business_order
    assert order.associated_orders == (("REPLACEMENT_ORIGINAL_ID", "123-4567890-1234566"),)
    assert order.replaced_order_id == "123-4567890-1234566"
    assert order.buyer_email == "buyer-email@marketplace.amazon.com"
    assert order.buyer_name == "John Smith"
    assert order.buyer_company_name == "Smith Industries LLC"
    assert order.shipping_address == Address(
        name="John Smith",
        line1="123 Main Street",
        line2="Suite 456",
        line3=None,  # "" in the answer
        city="Seattle",
        state_or_region="WA",
        postal_code="98101",
        country_code="US",
        phone="555-123-4567",
    )
    assert order.order_total == Money(Decimal("154.99"), "USD")
    assert order.delivery_tip == Money(Decimal("5.00"), "USD")
    assert order.number_of_items_shipped == 3 and order.number_of_items_unshipped == 0
    first, second = order.items
    assert first.order_item_id == "12345678901234"
    assert first.asin == "B08N5WRWNW"
    assert first.seller_sku == "ECHO-DOT-4-CHARCOAL"
    assert first.quantity_ordered == 2 and first.quantity_shipped == 2
    assert first.unit_price == Money(Decimal("49.99"), "USD")
    assert first.item_price == Money(Decimal("99.98"), "USD")
    assert first.item_tax == Money(Decimal("0.02"), "USD")
    assert first.shipping_price is None and first.promotion_discount is None
    assert first.proceeds_total == Money(Decimal("100.00"), "USD")
    assert first.is_gift is True
    assert first.programs == ("TRANSPARENCY", "SUBSCRIBE_AND_SAVE")
    assert second.item_price == Money(Decimal("49.99"), "USD") and second.item_tax is None
    assert second.is_gift is False and second.programs == ()


def test_get_order_example_splits_tax_by_subtype():
    (order,) = orders_of("get_order_example.json")
    assert order.amazon_order_id == "202-1234567-8901234"
    (item,) = order.items
    assert item.item_price == Money(Decimal("89.97"), "GBP")
    assert item.shipping_price == Money(Decimal("10.00"), "GBP")
    assert item.item_tax == Money(Decimal("3.00"), "GBP")
    assert item.shipping_tax == Money(Decimal("1.00"), "GBP")
    assert expected_grand_total(order) == Decimal("103.97")


def test_sandbox_pages_echo_created_before_and_tokens():
    first = parsing_v2026.parse_search_orders(
        encode(raw("search_orders_sandbox_200_0.json")), by_created=True
    )
    assert first.next_token == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
    assert first.window_end == datetime(2024, 12, 25, 3, 0, tzinfo=UTC)
    (jp,) = first.orders
    assert jp.fulfillment_channel == "AFN"
    assert jp.order_total == Money(Decimal("19940"), "JPY")
    last = parsing_v2026.parse_search_orders(encode(raw("search_orders_sandbox_200_1.json")))
    assert last.next_token is None  # no pagination on the last page
    assert last.window_end == datetime(2024, 12, 24, 15, 0, tzinfo=UTC)


def test_sandbox_order_without_buyer_dataset():
    (order,) = orders_of("get_order_sandbox_200_2.json")
    assert wrapped("get_order_sandbox_200_2.json")["request"]["includedData"] == [
        "RECIPIENT",
        "PROCEEDS",
        "FULFILLMENT",
    ]
    assert order.buyer_email is None and order.buyer_name is None
    assert order.seller_order_id is None and order.order_aliases == ()
    assert order.programs == ("IN_STORE_PICK_UP",)
    assert not order.is_prime and not order.is_business_order


def test_sandbox_400_bodies_are_error_lists():
    for name in ("search_orders_sandbox_400.json", "get_order_sandbox_400.json"):
        data = wrapped(name)
        assert data["status"] == 400
        assert data["body"]["errors"][0]["code"] == "InvalidInput"


# ---- vocabulary -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amazon", "ours"),
    [
        ("PENDING_AVAILABILITY", "PendingAvailability"),
        ("PENDING", "Pending"),
        ("UNSHIPPED", "Unshipped"),
        ("PARTIALLY_SHIPPED", "PartiallyShipped"),
        ("SHIPPED", "Shipped"),
        ("CANCELLED", "Canceled"),
        ("UNFULFILLABLE", "Unfulfillable"),
    ],
)
def test_fulfillment_status_maps_to_v0_vocabulary(amazon, ours):
    data = raw("get_order_example.json")
    data["order"]["fulfillment"]["fulfillmentStatus"] = amazon
    assert parsing_v2026.parse_get_order(encode(data)).order_status == ours


@pytest.mark.parametrize(("amazon", "ours"), [("MERCHANT", "MFN"), ("AMAZON", "AFN")])
def test_fulfilled_by_maps_to_channel(amazon, ours):
    data = raw("get_order_example.json")
    data["order"]["fulfillment"]["fulfilledBy"] = amazon
    assert parsing_v2026.parse_get_order(encode(data)).fulfillment_channel == ours


def test_preorder_program_and_non_amazon_channel():
    data = raw("get_order_example.json")
    data["order"]["programs"] = ["PREORDER"]
    data["order"]["salesChannel"] = {"channelName": "NON_AMAZON"}
    order = parsing_v2026.parse_get_order(encode(data))
    assert order.order_type == "Preorder"
    assert order.sales_channel == "Non-Amazon"
    assert order.marketplace_id is None


# ---- money hierarchy ------------------------------------------------------------------


def _money(amount: str, currency: str = "GBP") -> dict:
    return {"amount": amount, "currencyCode": currency}


def _with_item_proceeds(breakdowns: list[dict], item_total: str, grand: str) -> bytes:
    data = raw("get_order_example.json")
    order = data["order"]
    order["proceeds"] = {"grandTotal": _money(grand), "breakdowns": []}
    order["orderItems"][0]["proceeds"] = {
        "proceedsTotal": _money(item_total),
        "breakdowns": breakdowns,
    }
    return encode(data)


@pytest.mark.parametrize("discount", ["-5.00", "5.00"])
def test_discount_is_subtracted_whatever_its_sign(discount):
    body = _with_item_proceeds(
        [
            {"type": "ITEM", "subtotal": _money("89.97")},
            {"type": "SHIPPING", "subtotal": _money("10.00")},
            {
                "type": "DISCOUNT",
                "subtotal": _money(discount),
                "detailedBreakdowns": [
                    {"subtype": "ITEM", "value": _money(discount.replace("5.00", "3.00"))},
                    {"subtype": "SHIPPING", "value": _money(discount.replace("5.00", "2.00"))},
                ],
            },
        ],
        "94.97",
        "94.97",
    )
    order = parsing_v2026.parse_get_order(body)
    (item,) = order.items
    assert item.promotion_discount == Money(Decimal("3.00"), "GBP")
    assert item.shipping_discount == Money(Decimal("2.00"), "GBP")
    assert expected_grand_total(order) == order.order_total.amount == Decimal("94.97")


def test_discount_without_details_is_a_promotion_and_tax_on_discount_lowers_tax():
    body = _with_item_proceeds(
        [
            {"type": "ITEM", "subtotal": _money("100.00")},
            {"type": "DISCOUNT", "subtotal": _money("-10.00")},
            {
                "type": "TAX",
                "subtotal": _money("18.00"),
                "detailedBreakdowns": [
                    {"subtype": "ITEM", "value": _money("20.00")},
                    {"subtype": "DISCOUNT", "value": _money("2.00")},
                ],
            },
        ],
        "108.00",
        "108.00",
    )
    order = parsing_v2026.parse_get_order(body)
    (item,) = order.items
    assert item.promotion_discount == Money(Decimal("10.00"), "GBP")
    assert item.item_tax == Money(Decimal("18.00"), "GBP")
    assert expected_grand_total(order) == Decimal("108.00")


def test_cod_fee_gift_wrap_and_other_land_in_their_fields():
    body = _with_item_proceeds(
        [
            {"type": "ITEM", "subtotal": _money("50.00")},
            {"type": "GIFT_WRAP", "subtotal": _money("3.00")},
            {"type": "COD_FEE", "subtotal": _money("2.00")},
            {"type": "OTHER", "subtotal": _money("1.50")},
            {
                "type": "TAX",
                "subtotal": _money("11.10"),
                "detailedBreakdowns": [
                    {"subtype": "ITEM", "value": _money("10.00")},
                    {"subtype": "GIFT_WRAP", "value": _money("0.60")},
                    {"subtype": "COD_FEE", "value": _money("0.40")},
                    {"subtype": "OTHER", "value": _money("0.10")},
                ],
            },
        ],
        "67.60",
        "67.60",
    )
    order = parsing_v2026.parse_get_order(body)
    (item,) = order.items
    assert item.gift_wrap_price == Money(Decimal("3.00"), "GBP")
    assert item.gift_wrap_tax == Money(Decimal("0.60"), "GBP")
    assert item.cod_fee == Money(Decimal("2.40"), "GBP")
    assert item.other_charges == Money(Decimal("1.60"), "GBP")
    # The mapping counts cod_fee and other_charges: Zoho's total is Amazon's.
    assert amazon_total_by_mapping(order) == order.order_total.amount == Decimal("67.60")


def test_pending_delivery_tip_not_yet_in_grand_total_is_left_out():
    data = raw("search_orders_example.json")
    order = data["orders"][0]
    order["proceeds"]["grandTotal"]["amount"] = "149.99"
    order["proceeds"]["breakdowns"][2]["status"] = "PENDING"
    (parsed,) = parsing_v2026.parse_search_orders(encode(data)).orders
    assert parsed.delivery_tip is None
    assert expected_grand_total(parsed) == parsed.order_total.amount


def test_pending_order_may_lack_item_proceeds():
    data = raw("get_order_example.json")
    data["order"]["fulfillment"]["fulfillmentStatus"] = "PENDING"
    del data["order"]["orderItems"][0]["proceeds"]
    order = parsing_v2026.parse_get_order(encode(data))
    assert order.order_status == "Pending"
    assert order.items[0].item_price is None


def test_without_proceeds_dataset_there_is_no_money():
    data = raw("get_order_example.json")
    del data["order"]["proceeds"]
    del data["order"]["orderItems"][0]["proceeds"]
    order = parsing_v2026.parse_get_order(encode(data))
    assert order.order_total is None and order.items[0].item_price is None
    assert order.items[0].unit_price == Money(Decimal("29.99"), "GBP")


# ---- hostile and broken answers -------------------------------------------------------


def _error(body: bytes) -> str:
    with pytest.raises(AmazonResponseError) as caught:
        parsing_v2026.parse_get_order(body, request_id="rid-9")
    assert caught.value.request_id == "rid-9"
    assert caught.value.code == "MalformedResponse"
    return str(caught.value)


@pytest.mark.parametrize(
    "amount",
    [
        "1e999999999",
        "inf",
        "Infinity",
        "NaN",
        "-inf",
        "1_000",
        " 1.00",
        "1,00",
        "0x10",
        "",
        "1e12",
        "1000000000000",
        "0.00000000001",
        "1.2.3",
    ],
)
def test_hostile_amount_is_refused_naming_the_order(amount):
    data = raw("get_order_example.json")
    data["order"]["orderItems"][0]["product"]["price"]["unitPrice"]["amount"] = amount
    message = _error(encode(data))
    assert "order 202-1234567-8901234" in message
    assert "unitPrice" in message


def test_json_nan_literal_is_refused():
    text = json.dumps(raw("get_order_example.json")).replace('"29.99"', "NaN")
    assert "not JSON" in _error(text.encode())


def test_amount_as_json_number_is_read_exactly():
    text = json.dumps(raw("get_order_example.json")).replace('"29.99"', "29.99")
    order = parsing_v2026.parse_get_order(text.encode())
    assert order.items[0].unit_price == Money(Decimal("29.99"), "GBP")


def test_missing_order_id_is_refused():
    data = raw("get_order_example.json")
    del data["order"]["orderId"]
    assert "orderId is missing" in _error(encode(data))


def test_unknown_status_is_kept_as_amazon_sent_it_not_guessed():
    data = raw("get_order_example.json")
    data["order"]["fulfillment"]["fulfillmentStatus"] = "INVOICE_UNCONFIRMED"
    order = parsing_v2026.parse_get_order(encode(data))
    assert order.order_status == "INVOICE_UNCONFIRMED"


def test_a_status_that_is_not_a_word_is_refused():
    data = raw("get_order_example.json")
    data["order"]["fulfillment"]["fulfillmentStatus"] = "<script>"
    assert "fulfillmentStatus" in _error(encode(data))


def test_missing_fulfillment_dataset_is_refused():
    data = raw("get_order_example.json")
    del data["order"]["fulfillment"]
    assert "FULFILLMENT" in _error(encode(data))


def test_unknown_fulfilled_by_is_refused():
    data = raw("get_order_example.json")
    data["order"]["fulfillment"]["fulfilledBy"] = "SOMEONE"
    assert "fulfilledBy" in _error(encode(data))


def test_mixed_currencies_are_refused():
    data = raw("get_order_example.json")
    data["order"]["orderItems"][0]["proceeds"]["breakdowns"][1]["subtotal"]["currencyCode"] = "EUR"
    message = _error(encode(data))
    assert "order 202-1234567-8901234" in message
    assert "more than one currency (EUR, GBP)" in message


def test_bad_date_is_refused():
    data = raw("get_order_example.json")
    data["order"]["createdTime"] = "25/12/2024"
    assert "createdTime '25/12/2024' is not an ISO 8601 date-time" in _error(encode(data))


def test_breakdowns_that_do_not_add_up_are_refused():
    data = raw("get_order_example.json")
    data["order"]["orderItems"][0]["proceeds"]["breakdowns"][0]["subtotal"]["amount"] = "88.97"
    message = _error(encode(data))
    assert "item 20212345678901" in message and "proceedsTotal 103.97" in message


def test_tax_details_that_do_not_add_up_are_refused():
    data = raw("get_order_example.json")
    tax = data["order"]["orderItems"][0]["proceeds"]["breakdowns"][2]
    tax["detailedBreakdowns"][1]["value"]["amount"] = "0.50"
    assert "TAX details add up to 3.50" in _error(encode(data))


def test_grand_total_that_does_not_match_items_is_refused():
    data = raw("get_order_example.json")
    data["order"]["proceeds"]["grandTotal"]["amount"] = "104.97"
    assert "do not add up to grandTotal 104.97 GBP" in _error(encode(data))


def test_shipped_order_missing_item_proceeds_is_refused():
    data = raw("get_order_example.json")
    del data["order"]["orderItems"][0]["proceeds"]
    assert "not for item(s) 20212345678901" in _error(encode(data))


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("orderItems", 0, "quantityOrdered"), "3", "quantityOrdered '3' is not a whole number"),
        (("orderItems", 0, "quantityOrdered"), -1, "quantityOrdered -1 is out of range"),
        (("orderItems", 0, "product", "asin"), None, "asin is missing"),
        (("orderItems",), None, "orderItems is missing"),
        (("salesChannel",), None, "salesChannel is missing"),
        (("programs",), "PRIME", "programs is not a list"),
    ],
)
def test_broken_shapes_are_refused(path, value, expected):
    data = raw("get_order_example.json")
    target = data["order"]
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    assert expected in _error(encode(data))


def test_one_bad_order_is_set_aside_and_the_rest_of_the_page_read():
    data = raw("search_orders_example.json")
    second = copy.deepcopy(data["orders"][0])
    second["orderId"] = "123-0000000-0000000"
    second["createdTime"] = "1e300"
    data["orders"].append(second)
    page = parsing_v2026.parse_search_orders(encode(data))
    [bad] = page.unreadable
    assert bad.amazon_order_id == "123-0000000-0000000"
    assert bad.position == len(data["orders"])
    assert "createdTime" in bad.reason
    assert [o.amazon_order_id for o in page.orders] == [o["orderId"] for o in data["orders"][:-1]]


def test_an_order_listed_twice_is_kept_once_newest_copy():
    data = raw("search_orders_example.json")
    again = copy.deepcopy(data["orders"][0])
    again["lastUpdatedTime"] = "2099-01-01T00:00:00Z"
    data["orders"].append(again)
    page = parsing_v2026.parse_search_orders(encode(data))
    ids = [o.amazon_order_id for o in page.orders]
    assert ids.count(again["orderId"]) == 1
    kept = next(o for o in page.orders if o.amazon_order_id == again["orderId"])
    assert kept.last_update_date.year == 2099


@pytest.mark.parametrize("body", [b"", b"<html>", b"[]", b'{"orders": {}}', b"{}"])
def test_unreadable_search_answers_are_refused(body):
    with pytest.raises(AmazonResponseError):
        parsing_v2026.parse_search_orders(body)


# ---- the adapter ----------------------------------------------------------------------


class RecordingTransport:
    """Answers each call with the next scripted body (or raises it) and records it."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls: list[tuple[str, str, dict | None]] = []

    def call(self, operation, path, *, token, params=None, json_body=None):
        assert token() == "lwa-token"
        self.calls.append((operation, path, dict(params) if params else None))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer, "req-1"


def _lwa(rejected=None):
    return "lwa-token"


AFTER = datetime(2024, 12, 25, tzinfo=UTC)
BEFORE = datetime(2024, 12, 26, 12, 30, tzinfo=UTC)


def test_search_pages_keep_every_parameter_and_add_the_token():
    body = encode(raw("search_orders_example.json"))
    transport = RecordingTransport(body, body)
    api = Orders20260101(transport)
    assert api.items_included is True and api.restricted_resources() == []
    page = api.orders_page(
        token=_lwa,
        marketplace_ids=["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        by_created=False,
        after=AFTER,
        before=BEFORE,
    )
    assert page.orders[0].items  # items come with the order
    assert page.window_end == datetime(2024, 12, 25, 15, 0, tzinfo=UTC)
    api.orders_page(
        token=_lwa,
        marketplace_ids=["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        by_created=False,
        after=AFTER,
        before=BEFORE,
        next_token=page.next_token,
    )
    (op1, path1, first), (op2, path2, second) = transport.calls
    assert op1 == op2 == operations.SEARCH_ORDERS_2026
    assert path1 == path2 == "/orders/2026-01-01/orders"
    assert first == {
        "lastUpdatedAfter": "2024-12-25T00:00:00Z",
        "lastUpdatedBefore": "2024-12-26T12:30:00Z",
        "marketplaceIds": "ATVPDKIKX0DER,A2EUQ1WTGCTBG2",
        "maxResultsPerPage": "100",
        "includedData": "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT",
    }
    assert second == {**first, "paginationToken": "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"}


def test_search_by_created_date():
    transport = RecordingTransport(encode(raw("search_orders_sandbox_200_0.json")))
    page = Orders20260101(transport).orders_page(
        token=_lwa,
        marketplace_ids=["A1VC38T7YXB528"],
        by_created=True,
        after=AFTER,
        before=BEFORE,
        max_results=1,
    )
    params = transport.calls[0][2]
    assert "createdAfter" in params and "createdBefore" in params
    assert "lastUpdatedAfter" not in params and params["maxResultsPerPage"] == "1"
    assert page.window_end == datetime(2024, 12, 25, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("max_results", [0, 101])
def test_page_size_is_bounded(max_results):
    api = Orders20260101(RecordingTransport())
    with pytest.raises(ValueError, match="maxResultsPerPage"):
        api.orders_page(
            token=_lwa,
            marketplace_ids=["X"],
            by_created=True,
            after=AFTER,
            before=BEFORE,
            max_results=max_results,
        )


def test_get_order_and_items_from_get_order():
    body = encode(raw("get_order_example.json"))
    transport = RecordingTransport(body, body, AmazonNotFoundError("gone", code="NotFound"))
    api = Orders20260101(transport)
    order = api.get_order(token=_lwa, amazon_order_id="202-1234567-8901234")
    assert order.amazon_order_id == "202-1234567-8901234"
    page = api.order_items_page(token=_lwa, amazon_order_id="202-1234567-8901234")
    assert page.items == order.items and page.next_token is None
    assert api.get_order(token=_lwa, amazon_order_id="999-0000000-0000000") is None
    operation, path, params = transport.calls[0]
    assert operation == operations.GET_ORDER_2026
    assert path == "/orders/2026-01-01/orders/202-1234567-8901234"
    assert params == {"includedData": ",".join(INCLUDED_DATA)}


def test_get_order_refuses_another_order():
    transport = RecordingTransport(encode(raw("get_order_example.json")))
    with pytest.raises(AmazonResponseError, match="when asked for 111-1111111-1111111"):
        Orders20260101(transport).get_order(token=_lwa, amazon_order_id="111-1111111-1111111")


def test_usage_plans_are_declared():
    assert operations.USAGE_PLANS[operations.SEARCH_ORDERS_2026] == operations.UsagePlan(0.0056, 20)
    assert operations.USAGE_PLANS[operations.GET_ORDER_2026] == operations.UsagePlan(0.5, 30)
    # v0's plans are untouched.
    assert operations.USAGE_PLANS[operations.GET_ORDER] == operations.UsagePlan(0.5, 30)
    assert operations.USAGE_PLANS[operations.GET_ORDERS] == operations.UsagePlan(0.0167, 20)


@pytest.mark.parametrize("created", ["1970-01-01T00:00:00Z", "2999-05-01T10:00:00Z"])
def test_a_date_outside_1995_to_2100_is_unreadable_as_in_v0_and_mws(created):
    data = raw("get_order_example.json")
    data["order"]["createdTime"] = created
    assert "outside 1995–2100" in _error(encode(data))
