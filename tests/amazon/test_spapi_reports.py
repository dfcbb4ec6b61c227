"""Reports API client and order-report parser against the Amazon stand-in over loopback
HTTP: the lifecycle (202 createReport, getReport until DONE), the pre-signed download with no
SP-API token, GZIP / plain / mislabelled documents, CANCELLED and FATAL on demand, the model's
rates, and report orders equal to what the Orders API returns (money, items, statuses),
without buyer identity."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.core.cache import cache

from amazon_ext.amazon.errors import AmazonRequestError
from amazon_ext.amazon.spapi.order_report import ReportTally, parse_order_report
from amazon_ext.amazon.spapi.reports import ReportsApi, document_lines
from amazon_ext.amazon.types import Order, UnreadableOrder
from tests.amazon.test_spapi_v2026_client import make_client

US = "ATVPDKIKX0DER"


@pytest.fixture(autouse=True)
def _empty_token_cache():
    cache.clear()
    yield
    cache.clear()


def _range(book, seller_id):
    dates = [o.purchase_date for o in book.orders(seller_id)]
    return min(dates) - timedelta(hours=1), max(dates) + timedelta(seconds=1)


def _wait_done(api, report_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        status = api.get_report(report_id)
        if status.processing_status in ("DONE", "CANCELLED", "FATAL"):
            return status
        assert time.monotonic() < deadline, "report never finished"
        time.sleep(0.02)


def _report_orders(api, status):
    document = api.get_report_document(status.report_document_id)
    with api.download(document) as content:
        return document, list(parse_order_report(document_lines(content), marketplace_id=US))


def test_order_report_matches_the_orders_api_without_buyer(amazon_standin, amazon_seller):
    book, seller_id = amazon_standin.book, amazon_seller.seller_id
    amazon_standin.spapi.reports.processing_seconds = 30  # Amazon seconds; 0.03 s here
    start, end = _range(book, seller_id)
    with make_client(amazon_standin, amazon_seller) as client:
        api = ReportsApi(client)
        report_id = api.create_order_report(marketplace_id=US, start=start, end=end)
        assert api.get_report(report_id).processing_status in ("IN_QUEUE", "IN_PROGRESS")
        status = _wait_done(api, report_id)
        assert status.processing_status == "DONE"
        document, parsed = _report_orders(api, status)
        assert document.compression == "GZIP"
        listed = {
            o.amazon_order_id: o
            for page in client.iter_order_pages(created_after=start, before=end)
            for o in page.orders
            if o.marketplace_id == US
        }
    assert all(isinstance(o, Order) for o in parsed)
    assert {o.amazon_order_id for o in parsed} == set(listed)
    for order in parsed:
        same = listed[order.amazon_order_id]
        assert order.order_status == same.order_status
        assert order.purchase_date == same.purchase_date
        assert order.last_update_date == same.last_update_date
        assert order.buyer_email is None and order.buyer_name is None
        assert [i.asin for i in order.items] == [i.asin for i in same.items]
        if same.order_total is not None and order.order_status != "Pending":
            assert order.order_total == same.order_total
            for mine, theirs in zip(order.items, same.items, strict=True):
                assert mine.item_price == theirs.item_price
                assert mine.quantity_ordered == theirs.quantity_ordered
    # The download carried no SP-API token and counts as a download, not an SP-API call.
    assert client.stats.calls["createReport"] == 1
    assert client.stats.calls["getReportDocument"] == 1
    assert amazon_standin.spapi.reports.documents.downloads == 1


@pytest.mark.parametrize("compression", ["none", "mislabelled"])
def test_plain_and_mislabelled_documents_are_read(amazon_standin, amazon_seller, compression):
    book, seller_id = amazon_standin.book, amazon_seller.seller_id
    reports = amazon_standin.spapi.reports
    reports.control({"compression": compression, "processing_seconds": 0})
    start, end = _range(book, seller_id)
    with make_client(amazon_standin, amazon_seller) as client:
        api = ReportsApi(client)
        status = _wait_done(api, api.create_order_report(marketplace_id=US, start=start, end=end))
        document, parsed = _report_orders(api, status)
    assert document.compression == (None if compression == "none" else "GZIP")
    expected = {o.amazon_order_id for o in book.orders(seller_id) if o.marketplace_id == US}
    assert {o.amazon_order_id for o in parsed} == expected


def test_cancelled_and_fatal_on_demand_and_no_data_cancels(amazon_standin, amazon_seller):
    reports = amazon_standin.spapi.reports
    reports.control({"outcome": "FATAL", "count": 1, "processing_seconds": 0})
    start, end = _range(amazon_standin.book, amazon_seller.seller_id)
    with make_client(amazon_standin, amazon_seller) as client:
        api = ReportsApi(client)
        fatal = _wait_done(api, api.create_order_report(marketplace_id=US, start=start, end=end))
        empty_start = start - timedelta(days=60)
        empty = _wait_done(
            api,
            api.create_order_report(
                marketplace_id=US, start=empty_start, end=empty_start + timedelta(days=30)
            ),
        )
        with pytest.raises(AmazonRequestError):  # more than a month is refused, 400
            api.create_order_report(marketplace_id=US, start=start - timedelta(days=40), end=end)
    assert fatal.processing_status == "FATAL" and fatal.report_document_id is None
    assert empty.processing_status == "CANCELLED"


def test_presigned_url_is_signed_and_expires(amazon_standin, amazon_seller):
    amazon_standin.spapi.reports.processing_seconds = 0
    start, end = _range(amazon_standin.book, amazon_seller.seller_id)
    with make_client(amazon_standin, amazon_seller) as client:
        api = ReportsApi(client)
        status = _wait_done(api, api.create_order_report(marketplace_id=US, start=start, end=end))
        url = api.get_report_document(status.report_document_id).url
    assert requests.get(url, timeout=5).status_code == 200
    assert requests.get(url.replace("Signature=", "Signature=0"), timeout=5).status_code == 403
    amazon_standin.clock.advance(301)
    late = requests.get(url, timeout=5)
    assert late.status_code == 403 and b"Request has expired" in late.content


def test_create_report_is_throttled_at_the_model_rate(amazon_standin, amazon_seller):
    """Burst 15, then one per 60 s (0.0167/s): the 16th call within the same instant is
    throttled by the stand-in, so the client's pacer must wait instead of sending it."""
    bucket = amazon_standin.spapi.buckets
    start, end = _range(amazon_standin.book, amazon_seller.seller_id)
    amazon_standin.spapi.reports.processing_seconds = 0
    with make_client(amazon_standin, amazon_seller) as client:
        api = ReportsApi(client)
        started = time.monotonic()
        for _ in range(16):
            api.create_order_report(marketplace_id=US, start=start, end=end)
        waited = time.monotonic() - started
    key = (amazon_seller.seller_id, amazon_seller.lwa_client_id, "createReport")
    assert bucket.get(key).capacity == 15
    assert amazon_standin.stats.throttled == 0
    assert waited >= 60 / amazon_standin.time_scale * 0.9  # paced, not hammered


def test_rows_of_one_order_apart_are_unreadable_not_merged():
    header = b"amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tasin\tquantity\n"
    row = "{id}\t2024-01-01T00:00:00+00:00\t2024-01-02T00:00:00+00:00\tShipped\t{asin}\t1\n"
    lines = [
        header,
        row.format(id="111-0000000-0000001", asin="B000000001").encode(),
        row.format(id="111-0000000-0000002", asin="B000000002").encode(),
        row.format(id="111-0000000-0000001", asin="B000000003").encode(),
        b"222-bad\tnot a date\t\tShipped\tB0\t1\n",
    ]
    tally = ReportTally()
    parsed = list(parse_order_report(lines, marketplace_id=US, tally=tally))
    assert [type(p) for p in parsed] == [Order, Order, UnreadableOrder, UnreadableOrder]
    assert parsed[2].amazon_order_id == "111-0000000-0000001"
    assert parsed[0].items[0].asin == "B000000001" and len(parsed[0].items) == 1
    assert tally.orders == 2 and tally.unreadable == 2
