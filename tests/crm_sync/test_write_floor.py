"""A long run flushed often writes what one flush at its end would: ⌈P/100⌉ product,
⌈C/100⌉ contact and ⌈O/100⌉ sales order calls (crm_sync.pipeline.write), and a record whose
business content did not change is not written again."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from crm_sync import mapping
from crm_sync.models import StagedRecord
from crm_sync.services.data_protection_settings import keyer_for_tenant
from history.models import SyncRun
from tests.crm_sync.test_sync_flow import assert_zoho_matches_book, field, run_job
from tests.fixtures.amazon import make_amazon_book, make_amazon_seller


@pytest.fixture
def amazon_seller():
    # One marketplace, one currency: a product's price and currency across marketplaces is
    # the mapping's business (crm_sync.mapping.products), not the flushes'.
    return make_amazon_seller(marketplace_ids=["ATVPDKIKX0DER"])


@pytest.fixture
def amazon_book(amazon_seller):
    # More than 100 products and buyers: a flush after every page would write part-full
    # batches of each many times.
    return make_amazon_book(amazon_seller, orders=420, buyers=130, products=140, days=20)


def writes(run: SyncRun, module: str) -> int:
    return sum(n for route, n in run.api_calls["zoho"].items() if f"/{module}/" in route)


@pytest.mark.django_db(transaction=True)
def test_a_run_flushed_after_every_page_writes_at_the_floor(connected_tenant, settings):
    connected = connected_tenant
    settings.SYNC_FLUSH_SECONDS = 0  # a flush after every page, as a quota-paced run has
    settings.SYNC_WINDOW_DAYS = 1  # one listing per day: twenty and more flushes
    run = run_job(connected.tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.api_calls["amazon"]["ListOrders"] >= 20
    assert_zoho_matches_book(connected)
    assert not StagedRecord.objects.exists()
    products = len(connected.zoho_records("Products"))
    contacts = len(connected.zoho_records("Contacts"))
    orders = len(connected.zoho_records("Sales_Orders"))
    assert products > 100 and contacts > 100
    assert writes(run, "Products") == math.ceil(products / 100)
    assert writes(run, "Contacts") == math.ceil(contacts / 100)
    assert writes(run, "Sales_Orders") == math.ceil(orders / 100)
    assert run.api_calls["zoho_writes"] == (
        math.ceil(products / 100) + math.ceil(contacts / 100) + math.ceil(orders / 100)
    )


@pytest.mark.django_db(transaction=True)
def test_a_long_flush_bound_of_zero_writes_every_flush_and_still_equals_the_book(
    connected_tenant, settings
):
    """SYNC_PARTIAL_WRITE_SECONDS=0: every flush writes what it has (the old behaviour,
    more calls, the same Zoho)."""
    settings.SYNC_FLUSH_SECONDS = 0
    settings.SYNC_WINDOW_DAYS = 1
    settings.SYNC_PARTIAL_WRITE_SECONDS = 0
    run = run_job(connected_tenant.tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert_zoho_matches_book(connected_tenant)
    assert writes(run, "Products") > math.ceil(len(connected_tenant.zoho_records("Products")) / 100)


@pytest.mark.django_db
def test_a_repeat_buyer_with_the_same_details_keeps_the_contact_fingerprint(connected_tenant):
    connected = connected_tenant
    names = connected.tenant.zoho_connection.field_api_names
    keyer = keyer_for_tenant(tenant_id=connected.tenant.pk)
    book = connected.amazon.book.orders(connected.tenant.amazon_credentials.seller_id)
    first = next(o for o in book if o.details_visible and o.buyer_email)
    order = _as_order(connected, first)
    second = replace(
        order,
        amazon_order_id="999-0000000-0000001",
        purchase_date=order.purchase_date + timedelta(days=1),
        last_update_date=order.last_update_date + timedelta(days=1),
    )
    a = mapping.contact_record(order, names, keyer)
    b = mapping.contact_record(second, names, keyer)
    order_id = field(connected, "Contacts", "Amazon Order ID")
    assert a.data[order_id] != b.data[order_id]
    assert a.fingerprint == b.fingerprint
    moved = replace(second, buyer_name="Someone Else Entirely")
    assert mapping.contact_record(moved, names, keyer).fingerprint != a.fingerprint


def _as_order(connected, book_order):
    """The book's order as the pipeline sees it (read through the product's MWS client)."""
    from amazon_ext.amazon.factory import orders_client_for

    client = orders_client_for(connected.tenant.amazon_credentials)
    return next(iter(client.get_orders([book_order.amazon_order_id])))


@pytest.mark.django_db(transaction=True)
def test_a_daily_run_keeps_the_rows_of_a_running_backfill_and_clears_a_dead_runs(connected_tenant):
    """Between two turns of a backfill its part-full remainder waits staged; the tenant's
    daily run, which clears the leftovers of earlier runs, must leave those alone."""
    tenant = connected_tenant.tenant
    now = timezone.now()

    def staged_for(outcome: str) -> StagedRecord:
        run = SyncRun.objects.create(
            tenant=tenant,
            schedule="sync_amazon_record",
            trigger=SyncRun.Trigger.BACKFILL,
            outcome=outcome,
            started_at=now,
            heartbeat_at=now,
        )
        return StagedRecord.objects.create(
            tenant=tenant,
            run=run,
            module="Products",
            amazon_key=f"B0WAITING{outcome[:3].upper()}",
            action="upsert",
            data={"Product_Name": "waits"},
            fingerprint="f" * 64,
        )

    waiting = staged_for(SyncRun.Outcome.RUNNING)
    leftover = staged_for(SyncRun.Outcome.FAILED)
    daily = run_job(tenant, "sync_amazon_record")
    assert daily.outcome == SyncRun.Outcome.SUCCESS, daily.error
    assert StagedRecord.objects.filter(pk=waiting.pk).exists()
    assert not StagedRecord.objects.filter(pk=leftover.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_repeat_buyer_with_the_same_details_is_not_rewritten(connected_tenant):
    connected = connected_tenant
    tenant = connected.tenant
    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    book = connected.amazon.book
    buyer = next(o for o in book.orders(tenant.amazon_credentials.seller_id) if o.details_visible)
    now = connected.amazon.clock.now() - timedelta(minutes=4)  # inside the cursor overlap
    repeat = replace(
        buyer,
        amazon_order_id="999-0000002-0000002",
        seller_order_id="999-0000002-0000002",
        purchase_date=now,
        last_update_date=now,
        status="Unshipped",
        items=[replace(i, order_item_id=f"9{i.order_item_id}") for i in buyer.items],
    )
    book.add_orders([repeat])
    again = run_job(tenant, "sync_amazon_record")
    assert again.outcome == SyncRun.Outcome.SUCCESS, again.error
    assert again.orders_created == 1
    assert writes(again, "Contacts") == 0  # the same buyer, the same details
    assert writes(again, "Products") == 0
    assert again.api_calls["zoho_writes"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_product_renamed_mid_run_is_written_again_once_and_ends_with_its_latest_title(
    connected_tenant, settings
):
    """Issue 17: a long run stays at the floor plus at most one write per module per flush
    that really changed something, and Zoho ends with the latest content. One product's
    title (part of its business content, unlike its price) changes for its orders of the
    last days, which are listed after a flush has written it with the old title."""
    connected = connected_tenant
    settings.SYNC_FLUSH_SECONDS = 0  # a flush after every page
    settings.SYNC_WINDOW_DAYS = 1
    book = connected.amazon.book.orders(connected.tenant.amazon_credentials.seller_id)
    book.sort(key=lambda o: o.last_update_date)
    early, late = book[: len(book) // 4], book[-len(book) // 4 :]
    late_asins = {i.asin for o in late for i in o.items}
    asin = next(i.asin for o in early for i in o.items if i.asin in late_asins)
    renamed = 0
    for order in late:
        for item in order.items:
            if item.asin == asin:
                item.title = "Trail Bottle, renamed by the seller"
                renamed += 1
    assert renamed
    run = run_job(connected.tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert_zoho_matches_book(connected)
    asin_field = field(connected, "Products", "ASIN No")
    products = connected.zoho_records("Products")
    (record,) = [r for r in products if r[asin_field] == asin]
    assert record["Product_Name"] == "Trail Bottle, renamed by the seller"
    # It was written with its old title at a mid-run flush, then once more (an update).
    assert (run.products_created, run.products_updated) == (len(products), 1)
    # Written twice (old title, then new): 141 product records still fit in the floor's
    # two calls, and never more than one extra call for the one changed record.
    assert writes(run, "Products") <= math.ceil((len(products) + 1) / 100)
    assert writes(run, "Products") <= math.ceil(len(products) / 100) + 1
    assert not StagedRecord.objects.exists()
