"""Orders in a currency other than the Zoho organisation's home currency.

A product's Unit_Price stays in the home currency: an order in another currency never
changes it, and a product known only from such orders is created without a price. In a
single-currency organisation a foreign-currency order is written with Amazon's amounts and
its Order History row says so. Every Order History row carries its order's total, currency,
marketplace and status, on the page and in the CSV export.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from decimal import Decimal

import pytest

from amazon_ext.amazon.types import Money
from crm_sync import mapping
from crm_sync.models import StagedRecord
from crm_sync.pipeline.stage_products import product_rows as _products
from crm_sync.services.runs import sync_run_start
from history.models import OrderEvent, SyncRun
from tests.crm_sync.test_mapping import NAMES, item, order
from tests.crm_sync.test_multi_currency import _connected, _run

pytestmark = pytest.mark.django_db(transaction=True)

USD_ORG = {**NAMES, "Org": {"Home Currency": "USD"}}
BR = "A2Q3Y263D00KWC"


def brl(priced):
    """``priced`` (a mapping test item) as Amazon.com.br would price it."""
    return replace(priced, item_price=Money(priced.item_price.amount * 5, "BRL"))


# Pure mapping --------------------------------------------------------------------------


def test_a_home_currency_price_wins_over_an_earlier_foreign_one_in_the_same_page():
    first = order(amazon_order_id="701-0000001-0000001", items=[brl(item(price="30.00"))])
    later = order(amazon_order_id="113-0000002-0000002", items=[item(price="30.00")])
    [product] = mapping.products_for_orders([first, later], USD_ORG)
    assert product.data["Unit_Price"] == Decimal("10.00")
    assert product.data["Currency_Code"] == "USD"
    assert not product.create_only


def test_a_product_seen_only_in_another_currency_has_no_price_and_is_create_only():
    only = order(amazon_order_id="701-0000001-0000001", items=[brl(item(price="30.00"))])
    [product] = mapping.products_for_orders([only], USD_ORG)
    assert "Unit_Price" not in product.data and "Currency_Code" not in product.data
    assert product.create_only
    priced = mapping.product_record(item(price="7.00"), "USD", USD_ORG)
    assert priced.fingerprint != product.fingerprint, "its first USD order fills the price in"


def test_a_foreign_order_never_replaces_a_staged_or_written_product(connected_tenant):
    """Staging: the priced product staged by an earlier batch (or written before) is not
    replaced by the price-less one a later BRL order maps to."""
    tenant = connected_tenant.tenant
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")

    class Job:
        tenant_id = tenant.pk
        names = USD_ORG

    Job.run = run
    usd_order = order(items=[item(price="30.00")])
    brl_order = order(amazon_order_id="701-0000001-0000001", items=[brl(item(price="30.00"))])
    usd, brl_only = (mapping.products_for_orders([o], USD_ORG) for o in (usd_order, brl_order))
    StagedRecord.objects.bulk_create([StagedRecord(**row) for row in _products(Job, usd)])
    assert _products(Job, brl_only) == [], "a priced version is staged"
    StagedRecord.objects.all().delete()
    assert len(_products(Job, brl_only)) == 1, "nothing staged or written: create it"


# Through the stand-ins -----------------------------------------------------------------


def _book_prices(amazon_standin, seller_id) -> dict[str, dict[str, set[Decimal]]]:
    """ASIN → currency → the unit prices Amazon gave it in orders with visible money."""
    prices: dict[str, dict[str, set[Decimal]]] = {}
    for o in amazon_standin.book.orders(seller_id):
        if not o.details_visible:
            continue
        for line in o.items:
            prices.setdefault(line.asin, {}).setdefault(o.currency, set()).add(line.unit_price)
    return prices


def _products_in_zoho(zoho_standin, zoho_org, tenant) -> dict[str, dict]:
    key = tenant.zoho_connection.field_api_names["Products"]["ASIN No"]
    return {r[key]: r for r in zoho_standin.records(zoho_org.org_id, "Products")}


def _assert_home_priced(products, prices, currency_code, *, multi: bool) -> None:
    both = [asin for asin, by in prices.items() if {"USD", "BRL"} <= set(by)]
    assert both, "the seller's book sells one ASIN in USD and in BRL"
    for asin, record in products.items():
        usd = prices.get(asin, {}).get("USD")
        if usd:
            assert Decimal(str(record["Unit_Price"])) in usd, asin
            assert record[currency_code] == "USD"
            if multi:
                assert record["Currency"] == "USD"
        else:  # known only from BRL (or Pending) orders: no price rather than a wrong one
            assert record.get("Unit_Price") in (None, ""), asin
            assert record.get(currency_code) in (None, ""), asin


def test_usd_and_brl_orders_of_one_asin_leave_the_usd_price_in_a_multi_currency_org(
    wired_settings, zoho_standin, amazon_standin, amazon_seller
):
    tenant, zoho_org = _connected(zoho_standin, amazon_seller, currencies={"BRL": "5.10"})
    run = _run(tenant)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    names = tenant.zoho_connection.field_api_names
    assert names["Org"] == {"Home Currency": "USD"} and names["Products"]["Currency"]
    products = _products_in_zoho(zoho_standin, zoho_org, tenant)
    prices = _book_prices(amazon_standin, amazon_seller.seller_id)
    _assert_home_priced(products, prices, names["Products"]["Currency Code"], multi=True)
    # The BRL orders' lines keep their own price, in BRL.
    key = names["Sales_Orders"]["Amazon Order ID"]
    book = {o.amazon_order_id: o for o in amazon_standin.book.orders(amazon_seller.seller_id)}
    brl_orders = [
        r
        for r in zoho_standin.records(zoho_org.org_id, "Sales_Orders")
        if book[r[key]].currency == "BRL" and book[r[key]].details_visible
    ]
    assert brl_orders and all(r["Currency"] == "BRL" for r in brl_orders)
    # A second run with nothing new writes no product again.
    before = zoho_standin.records(zoho_org.org_id, "Products")
    again = _run(tenant)
    assert again.products_created == again.products_updated == 0
    assert zoho_standin.records(zoho_org.org_id, "Products") == before


def test_a_single_currency_org_gets_brl_amounts_as_given_and_history_says_so(
    wired_settings, zoho_standin, amazon_standin, amazon_seller, client
):
    tenant, zoho_org = _connected(zoho_standin, amazon_seller)
    run = _run(tenant)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    names = tenant.zoho_connection.field_api_names
    products = _products_in_zoho(zoho_standin, zoho_org, tenant)
    prices = _book_prices(amazon_standin, amazon_seller.seller_id)
    _assert_home_priced(products, prices, names["Products"]["Currency Code"], multi=False)

    book = {o.amazon_order_id: o for o in amazon_standin.book.orders(amazon_seller.seller_id)}
    key = names["Sales_Orders"]["Amazon Order ID"]
    written = {r[key]: r for r in zoho_standin.records(zoho_org.org_id, "Sales_Orders")}
    created = {e.amazon_order_id: e for e in OrderEvent.objects.filter(run=run, action="created")}
    noted = 0
    for order_id, event in created.items():
        amazon = book[order_id]
        if not amazon.details_visible:
            assert event.order_total is None and "not converted" not in event.message
            continue
        # Never converted: Zoho holds Amazon's amounts in the order's own currency.
        assert Decimal(str(written[order_id]["Grand_Total"])) == amazon.order_total
        assert event.order_total == amazon.order_total and event.currency == amazon.currency
        if amazon.currency == "BRL":
            noted += 1
            assert event.message == (
                "Order in BRL; the Zoho organisation uses USD only: amounts written as Amazon "
                "gave them, in BRL (not converted)."
            )
        else:
            assert event.message == ""
    assert noted, "the book has Amazon.com.br orders with money"


def test_order_history_rows_and_export_show_total_currency_marketplace_and_status(
    wired_settings, zoho_standin, amazon_standin, amazon_seller, client
):
    tenant, _ = _connected(zoho_standin, amazon_seller, currencies={"BRL": "5.10"})
    run = _run(tenant)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    book = {o.amazon_order_id: o for o in amazon_standin.book.orders(amazon_seller.seller_id)}
    events = list(OrderEvent.objects.filter(run=run))
    assert events
    for e in events:
        amazon = book[e.amazon_order_id]
        assert e.marketplace_id == amazon.marketplace_id
        assert e.new_status == amazon.status
        if amazon.details_visible:
            assert (e.order_total, e.currency) == (amazon.order_total, amazon.currency)
    brazil = next(e for e in events if e.marketplace_id == BR and e.order_total is not None)

    client.force_login(tenant.memberships.first().user)
    page = client.get(f"/orgs/{tenant.pk}/history/orders/", {"q": brazil.amazon_order_id})
    html = page.content.decode()
    assert page.status_code == 200
    assert f"{brazil.order_total:,.2f} BRL" in html
    assert "Amazon.com.br" in html and brazil.new_status in html
    detail = client.get(f"/orgs/{tenant.pk}/history/runs/{run.pk}/").content.decode()
    assert '<th scope="col" class="num">Total</th>' in detail

    export = client.get(f"/orgs/{tenant.pk}/history/orders.csv", {"q": brazil.amazon_order_id})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:7] == [
        "Amazon Order ID", "What changed", "Old status", "New status", "Total", "Currency",
        "Marketplace",
    ]  # fmt: skip
    assert rows[0][:7] == [
        brazil.amazon_order_id, brazil.get_action_display(), brazil.old_status,
        brazil.new_status, str(brazil.order_total), "BRL", "Amazon.com.br",
    ]  # fmt: skip
