"""Backfill through order reports, end to end against both stand-ins (SP-API tenant on Orders
v2026): a range overlapping what the daily sync wrote ends with Zoho equal to the book and
nothing twice; an older report never overwrites newer data; FATAL then DONE; three FATALs
fail naming the chunk; cancel; one backfill per tenant; the daily runs are not held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from amazon_ext.services.credentials import credentials_save
from crm_sync.mapping import WITHHELD_BUYER_KEY
from crm_sync.models import AmazonOrderState, Backfill, BackfillChunk
from crm_sync.services.backfill import (
    BackfillError,
    backfill_cancel,
    backfill_create,
    backfill_estimate,
    backfill_start,
)
from crm_sync.services.runs import sync_run_start
from crm_sync.tasks import execute_sync_run
from history.models import OrderEvent, SyncRun
from tests.crm_sync.test_sync_flow import field, run_job
from tests.fixtures.amazon import make_amazon_book
from tests.fixtures.sync import seller_form

DAYS = 75


@pytest.fixture
def amazon_book(amazon_seller):
    """150 orders over 75 days: three 30-day chunks per marketplace."""
    return make_amazon_book(amazon_seller, orders=150, buyers=40, products=20, days=DAYS)


@pytest.fixture
def spapi_tenant(connected_tenant, amazon_seller):
    cache.clear()
    credentials_save(
        tenant=connected_tenant.tenant, data=seller_form(amazon_seller, "spapi"), kind="spapi"
    )
    connected_tenant.tenant.refresh_from_db()
    connected_tenant.amazon.spapi.reports.processing_seconds = 30  # 0.03 s at scale 1000
    return connected_tenant


def book_orders(connected):
    return connected.amazon.book.orders(connected.tenant.amazon_credentials.seller_id)


def whole_range(connected):
    dates = [o.purchase_date for o in book_orders(connected)]
    end = datetime.now(UTC).replace(microsecond=0)
    return min(dates) - timedelta(hours=1), end


def new_backfill(connected):
    start, end = whole_range(connected)
    return backfill_create(
        tenant=connected.tenant,
        user=connected.admin,
        start=start,
        end=end,
        marketplace_ids=list(connected.tenant.amazon_credentials.marketplace_ids),
    )


def started_not_executed(connected) -> Backfill:
    """A backfill started whose run no worker has taken yet (tests run tasks eagerly)."""
    backfill = new_backfill(connected)
    now = datetime.now(UTC)
    run = SyncRun.objects.create(
        tenant=connected.tenant,
        schedule="sync_amazon_record",
        trigger=SyncRun.Trigger.BACKFILL,
        started_at=now,
        heartbeat_at=now,
    )
    Backfill.objects.filter(pk=backfill.pk).update(status=Backfill.Status.RUNNING, run=run)
    backfill.refresh_from_db()
    return backfill


def run_backfill(connected, backfill=None) -> tuple[Backfill, SyncRun]:
    backfill = backfill or new_backfill(connected)
    run = backfill_start(backfill=backfill, user=connected.admin)
    execute_sync_run.apply(args=[run.pk])
    run.refresh_from_db()
    backfill.refresh_from_db()
    return backfill, run


def assert_zoho_equals_book(connected, *, buyers_from_listing: set[str]) -> None:
    """Every order once with the book's status, lines and total; each product and contact
    once; report-only orders on the anonymous contact."""
    orders = book_orders(connected)
    oid = field(connected, "Sales_Orders", "Amazon Order ID")
    status = field(connected, "Sales_Orders", "Amazon Order Status")
    asin = field(connected, "Products", "ASIN No")
    key = contact_key_field(connected)
    records = connected.zoho_records("Sales_Orders")
    ids = [r[oid] for r in records]
    assert len(ids) == len(set(ids)), "a sales order was written twice"
    assert sorted(ids) == sorted(o.amazon_order_id for o in orders)
    by_id = {r[oid]: r for r in records}
    for order in orders:
        record = by_id[order.amazon_order_id]
        assert record[status] == order.status, order.amazon_order_id
        assert len(record["Ordered_Items"]) == len(order.items)
        if order.details_visible:
            assert Decimal(str(record["Grand_Total"])) == order.order_total
    products = [r[asin] for r in connected.zoho_records("Products")]
    assert sorted(products) == sorted({i.asin for o in orders for i in o.items})
    contacts = [r[key] for r in connected.zoho_records("Contacts")]
    assert len(contacts) == len(set(contacts)), "a contact was written twice"
    assert {c for c in contacts if not is_anonymous(c)} == buyers_from_listing
    assert any(is_anonymous(c) for c in contacts)  # report orders have no buyer


def contact_key_field(connected) -> str:
    names = connected.tenant.zoho_connection.field_api_names["Contacts"]
    return names.get("Amazon Buyer Key") or names["Amazon Buyer Email"]


def is_anonymous(key: str) -> bool:
    return key == WITHHELD_BUYER_KEY or key.startswith("amazon-customer")


def listed_buyers(connected) -> set[str]:
    """Buyer keys the daily sync wrote (the last 30 days, with buyer data)."""
    key = contact_key_field(connected)
    return {r[key] for r in connected.zoho_records("Contacts") if not is_anonymous(r[key])}


@pytest.mark.django_db(transaction=True)
def test_backfill_over_what_the_daily_sync_wrote_equals_the_book(spapi_tenant):
    connected = spapi_tenant
    first = run_job(connected.tenant, "sync_amazon_record")  # the last 30 days, buyers included
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    assert 0 < first.orders_created < len(book_orders(connected))
    buyers = listed_buyers(connected)
    assert buyers

    backfill, run = run_backfill(connected)
    assert run.trigger == SyncRun.Trigger.BACKFILL
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert backfill.status == Backfill.Status.FINISHED
    chunks = list(backfill.chunks.all())
    assert len(chunks) == 3 * 2  # three 30-day chunks × two marketplaces
    assert {c.status for c in chunks} <= {"processed", "no_data"}
    assert run.orders_created == len(book_orders(connected)) - first.orders_created
    assert_zoho_equals_book(connected, buyers_from_listing=buyers)
    # One report per chunk; no getOrder per order (nothing Pending to complete).
    calls = run.api_calls["amazon"]
    assert calls["createReport"] == len(chunks)
    assert calls.get("getReportDocument", 0) == sum(1 for c in chunks if c.status == "processed")
    assert "searchOrders" not in calls and "getOrder@2026-01-01" not in calls
    created = OrderEvent.objects.filter(tenant=connected.tenant, action="created")
    assert created.values("amazon_order_id").distinct().count() == created.count()

    _again, rerun = run_backfill(connected)  # the same range again: nothing to write
    assert rerun.outcome == SyncRun.Outcome.NO_ORDERS, rerun.error
    assert rerun.api_calls.get("zoho_writes", 0) == 0


@pytest.mark.django_db(transaction=True)
def test_an_older_report_never_overwrites_newer_data(spapi_tenant):
    connected = spapi_tenant
    run_job(connected.tenant, "sync_amazon_record")
    backfill = new_backfill(connected)
    # Amazon prepares the reports now (a preview would, too): their rows are of this moment.
    from amazon_ext.amazon.factory import orders_client_for
    from crm_sync.sources.report_fetch import ReportFetcher

    client = orders_client_for(connected.tenant.amazon_credentials)
    fetcher = ReportFetcher(client)
    chunks = list(backfill.chunks.all())
    fetcher.request_ahead(chunks)
    for chunk in chunks:
        list(fetcher.orders(chunk) or [])
    fetcher.close()
    # Then an order changes and the daily status run writes it.
    recent = max(
        (o for o in book_orders(connected) if o.status in ("Unshipped", "PartiallyShipped")),
        key=lambda o: o.purchase_date,
    )
    changed_at = connected.amazon.clock.now() - timedelta(minutes=5)  # past Amazon's lag
    connected.amazon.book.set_status(recent.amazon_order_id, "Shipped", at=changed_at)
    update = run_job(connected.tenant, "update_order_status")
    assert update.orders_updated >= 1, update.error

    backfill, run = run_backfill(connected, backfill)  # reuses the older reports
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.api_calls["amazon"].get("createReport", 0) == 0  # reports reused
    status = field(connected, "Sales_Orders", "Amazon Order Status")
    oid = field(connected, "Sales_Orders", "Amazon Order ID")
    record = next(
        r for r in connected.zoho_records("Sales_Orders") if r[oid] == recent.amazon_order_id
    )
    assert record[status] == "Shipped"
    state = AmazonOrderState.objects.get(amazon_order_id=recent.amazon_order_id)
    assert state.order_status == "Shipped"


@pytest.mark.django_db(transaction=True)
def test_fatal_then_done(spapi_tenant):
    connected = spapi_tenant
    connected.amazon.spapi.reports.control({"outcome": "FATAL", "count": 1})
    backfill, run = run_backfill(connected)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    first = backfill.chunks.get(position=1)
    assert first.fatal_count == 1 and first.status == BackfillChunk.Status.PROCESSED
    assert run.api_calls["amazon"]["createReport"] == backfill.chunks.count() + 1
    assert_zoho_equals_book(connected, buyers_from_listing=set())


@pytest.mark.django_db(transaction=True)
def test_three_fatal_reports_fail_naming_the_chunk_and_resume_goes_on(spapi_tenant):
    from crm_sync.services.backfill import backfill_resume

    connected = spapi_tenant
    # Six reports are asked for ahead (one per chunk), then chunk 1's two new tries: all FATAL.
    connected.amazon.spapi.reports.control({"outcome": "FATAL", "count": 8})
    backfill, run = run_backfill(connected)
    assert run.outcome == SyncRun.Outcome.FAILED
    first = backfill.chunks.get(position=1)
    name = f"{first.marketplace_id} {first.start:%Y-%m-%d}–{first.end:%Y-%m-%d}"
    assert name in run.error and "Resume" in run.error
    assert backfill.status == Backfill.Status.FAILED and name in backfill.error

    resumed = backfill_resume(backfill=backfill, user=connected.admin)
    execute_sync_run.apply(args=[resumed.pk])
    resumed.refresh_from_db()
    backfill.refresh_from_db()
    assert resumed.outcome == SyncRun.Outcome.SUCCESS, resumed.error
    assert backfill.status == Backfill.Status.FINISHED
    assert_zoho_equals_book(connected, buyers_from_listing=set())


@pytest.mark.django_db(transaction=True)
def test_one_backfill_per_tenant_and_cancel(spapi_tenant):
    connected = spapi_tenant
    backfill = started_not_executed(connected)
    other = new_backfill(connected)
    with pytest.raises(BackfillError, match="already running"):
        backfill_start(backfill=other, user=connected.admin)
    cancelled = backfill_cancel(backfill=backfill)
    assert cancelled.status == Backfill.Status.CANCELLING
    execute_sync_run.apply(args=[backfill.run_id])
    backfill.refresh_from_db()
    assert backfill.status == Backfill.Status.CANCELLED
    assert not connected.zoho_records("Sales_Orders")


@pytest.mark.django_db(transaction=True)
def test_a_backfill_between_batches_does_not_hold_the_daily_runs(spapi_tenant):
    connected = spapi_tenant
    backfill = started_not_executed(connected)
    backfill_run = backfill.run
    daily = sync_run_start(
        tenant=connected.tenant, schedule="sync_amazon_record", trigger="scheduled"
    )
    assert daily.outcome == SyncRun.Outcome.RUNNING  # not skipped: the backfill is waiting
    Backfill.objects.filter(pk=backfill.pk).update(in_batch_since=datetime.now(UTC))
    SyncRun.objects.filter(pk=daily.pk).update(outcome=SyncRun.Outcome.SUCCESS)
    blocked = sync_run_start(
        tenant=connected.tenant,
        schedule="update_order_status",
        trigger="scheduled",
        record_skip=False,
    )
    assert blocked is None  # waits (retries in a minute) while the backfill writes a batch
    Backfill.objects.filter(pk=backfill.pk).update(in_batch_since=None)
    after = sync_run_start(
        tenant=connected.tenant, schedule="update_order_status", trigger="scheduled"
    )
    assert after.outcome == SyncRun.Outcome.RUNNING
    backfill_run.refresh_from_db()
    assert backfill_run.outcome == SyncRun.Outcome.RUNNING


@pytest.mark.django_db
def test_estimate_counts_reports_and_says_when_mws_is_slower(connected_tenant):
    tenant = connected_tenant.tenant  # MWS credentials
    end = datetime.now(UTC)
    estimate = backfill_estimate(
        tenant=tenant, start=end - timedelta(days=730), end=end, marketplace_ids=["ATVPDKIKX0DER"]
    )
    assert estimate.via == Backfill.Via.LISTING and "slower" in estimate.note
    with pytest.raises(BackfillError, match="two years"):
        backfill_create(
            tenant=tenant,
            user=None,
            start=end - timedelta(days=800),
            end=end,
            marketplace_ids=["ATVPDKIKX0DER"],
        )
