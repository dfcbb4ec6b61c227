"""Amazon's latest delivery date on the shared Order, from every parser that Amazon gives it
to (buyer data expiry counts from it: crm_sync/retention.py).

Where each comes from:
* MWS and Orders v0 ``LatestDeliveryDate`` — ordersV0.json: "Only returned for
  seller-fulfilled orders that do not have a PendingAvailability, Pending, or Canceled status";
* Orders v2026-01-01 ``fulfillment.deliverByWindow.latestDateTime`` — orders_2026-01-01.json
  @34dc93fe45f3, OrderFulfillment.deliverByWindow: "The promised time period within which
  the order should be delivered to the customer" (Amazon's FBA example has none);
* the order reports (GET_FLAT_FILE_ALL_ORDERS_DATA_*) have no delivery-date column.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amazon_ext.amazon.mws import parsing as mws_parsing
from amazon_ext.amazon.spapi import parsing as v0_parsing
from amazon_ext.amazon.spapi import parsing_v2026

FIXTURES = Path(__file__).parent / "fixtures"


def amazon_body(name: str) -> bytes:
    wrapped = json.loads((FIXTURES / name).read_text())
    assert wrapped["source"].startswith("amzn/selling-partner-api-models")
    return json.dumps(wrapped["body"]).encode()


def test_mws_list_orders_reads_latest_delivery_date_and_fba_has_none():
    page = mws_parsing.parse_orders(
        (FIXTURES / "list_orders.xml").read_bytes(), action="ListOrders"
    )
    by_id = {o.amazon_order_id: o for o in page.orders}
    assert by_id["902-3159896-1390916"].latest_delivery_date == datetime(
        2017, 2, 28, 7, 59, 59, tzinfo=UTC
    )
    assert by_id["058-1233752-8214740"].latest_delivery_date is None  # AFN


def test_mws_unreadable_latest_delivery_date_quarantines_that_order_only():
    body = (FIXTURES / "list_orders.xml").read_text()
    body = body.replace("2017-02-28T07:59:59Z", "2017-02-30T07:59:59Z").encode()
    page = mws_parsing.parse_orders(body, action="ListOrders")
    assert [u.amazon_order_id for u in page.unreadable] == ["902-3159896-1390916"]
    assert "LatestDeliveryDate" in page.unreadable[0].reason
    assert len(page.orders) == 2


def test_v0_sandbox_answer_reads_latest_delivery_date():
    page = v0_parsing.parse_orders(amazon_body("spapi/get_orders_sandbox_200.json"))
    assert [o.latest_delivery_date for o in page.orders] == [
        datetime(1970, 1, 19, 4, 15, 17, tzinfo=UTC)
    ] * 2


def test_v0_example_without_the_field_reads_none():
    (order,) = v0_parsing.parse_orders(amazon_body("spapi/get_orders_example.json")).orders
    assert order.latest_delivery_date is None  # a Pending order


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("spapi_2026/get_order_example.json", datetime(2024, 12, 30, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_v2026_get_order_reads_deliver_by_window(name, expected):
    assert parsing_v2026.parse_get_order(amazon_body(name)).latest_delivery_date == expected


def test_v2026_search_example_reads_deliver_by_window():
    page = parsing_v2026.parse_search_orders(amazon_body("spapi_2026/search_orders_example.json"))
    assert [(o.amazon_order_id, o.latest_delivery_date) for o in page.orders] == [
        ("123-4567890-1234567", datetime(2024, 12, 30, 23, 59, 59, tzinfo=UTC))
    ]


def test_v2026_order_without_deliver_by_window_reads_none():
    data = json.loads((FIXTURES / "spapi_2026/get_order_example.json").read_text())["body"]
    del data["order"]["fulfillment"]["deliverByWindow"]
    order = parsing_v2026.parse_get_order(json.dumps(data).encode())
    assert order.latest_delivery_date is None


def test_v2026_garbled_deliver_by_window_is_unreadable():
    data = json.loads((FIXTURES / "spapi_2026/get_order_example.json").read_text())["body"]
    data["order"]["fulfillment"]["deliverByWindow"]["latestDateTime"] = "next tuesday"
    with pytest.raises(Exception, match="latestDateTime"):
        parsing_v2026.parse_get_order(json.dumps(data).encode())
