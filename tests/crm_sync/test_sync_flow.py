"""The two jobs end to end on the stand-ins (tasks run inline here; tests/crm_sync/
test_worker.py runs them on a real Celery worker).

Zoho must hold exactly the stand-in's order book: one product per ASIN, one contact per buyer,
one sales order per order with Amazon's total; status changes flow through Update Order
Status into Zoho and Order History; second runs write nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from crm_sync.buyer_keys import ANONYMOUS_PREFIX, is_hashed
from crm_sync.services.data_protection_settings import keyer_for_tenant
from crm_sync.services.runs import sync_run_start
from crm_sync.tasks import execute_sync_run
from history.models import OrderEvent, SyncRun

WRITE_ROUTES = ("upsert:", "insert:", "update:")


def zoho_writes(standin) -> int:
    return sum(1 for call in standin.stats.log if call["route"].startswith(WRITE_ROUTES))


def run_job(tenant, schedule: str) -> SyncRun:
    run = sync_run_start(tenant=tenant, schedule=schedule, trigger=SyncRun.Trigger.SCHEDULED)
    execute_sync_run.apply(args=[run.pk])
    run.refresh_from_db()
    return run


def field(connected, module: str, label: str) -> str:
    return connected.tenant.zoho_connection.field_api_names[module][label]


def contact_key(connected, email: str | None, marketplace_id: str) -> str:
    """The Contact key the product must use: the keyed hash of the relay alias Amazon gave,
    else the anonymous contact of the order's marketplace."""
    if email:
        return keyer_for_tenant(tenant_id=connected.tenant.pk).of_alias(email)
    return ANONYMOUS_PREFIX + marketplace_id


def assert_contacts(connected, contacts: list[str], expected: set[str]) -> None:
    """One contact per identified buyer, exactly; anonymous ones per marketplace, those the
    book's orders need now and perhaps one an order used while it was Pending (a contact is
    never deleted)."""
    assert len(contacts) == len(set(contacts))
    assert {k for k in contacts if is_hashed(k)} == {k for k in expected if is_hashed(k)}
    anonymous = {k for k in contacts if not is_hashed(k)}
    book = connected.amazon.book.orders(connected.tenant.amazon_credentials.seller_id)
    assert {k for k in expected if not is_hashed(k)} <= anonymous
    assert anonymous <= {ANONYMOUS_PREFIX + o.marketplace_id for o in book}


def assert_zoho_matches_book(connected) -> None:
    book_orders = connected.amazon.book.orders(connected.tenant.amazon_credentials.seller_id)
    order_id_field = field(connected, "Sales_Orders", "Amazon Order ID")
    status_field = field(connected, "Sales_Orders", "Amazon Order Status")
    asin_field = field(connected, "Products", "ASIN No")
    key_field = field(connected, "Contacts", "Amazon Buyer Key")

    orders = {r[order_id_field]: r for r in connected.zoho_records("Sales_Orders")}
    assert sorted(orders) == sorted(o.amazon_order_id for o in book_orders)
    products = [r[asin_field] for r in connected.zoho_records("Products")]
    assert sorted(products) == sorted({i.asin for o in book_orders for i in o.items})
    contacts = [r[key_field] for r in connected.zoho_records("Contacts")]
    expected_buyers = {
        contact_key(connected, o.buyer_email if o.details_visible else None, o.marketplace_id)
        for o in book_orders
    }
    assert_contacts(connected, contacts, expected_buyers)
    for book_order in book_orders:
        record = orders[book_order.amazon_order_id]
        assert record[status_field] == book_order.status
        assert len(record["Ordered_Items"]) == len(book_order.items)
        if book_order.details_visible:
            assert Decimal(str(record["Grand_Total"])) == book_order.order_total, (
                book_order.amazon_order_id
            )


@pytest.mark.django_db(transaction=True)
def test_first_sync_then_status_updates_then_nothing_to_do(connected_tenant):
    connected = connected_tenant
    tenant = connected.tenant
    book = connected.amazon.book

    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    assert first.orders_created == len(book.orders(tenant.amazon_credentials.seller_id))
    assert first.records_failed == 0
    assert_zoho_matches_book(connected)
    assert OrderEvent.objects.filter(run=first, action="created").count() == first.orders_created
    assert mail.outbox[-1].subject == "Amazon sync: Sync Amazon Record completed"
    assert f"Sales Orders created:       {first.orders_created}" in mail.outbox[-1].body

    seller_id = tenant.amazon_credentials.seller_id
    # Amazon serves changes only once they are two minutes old: date them five minutes back.
    changed_at = connected.amazon.clock.now() - timedelta(minutes=5)
    pending = [o.amazon_order_id for o in book.orders(seller_id) if o.status == "Pending"]
    assert pending, "the seeded book has Pending orders"
    book.set_status(pending[-1], "Unshipped", at=changed_at)  # money, buyer, items now visible
    moved = sorted({*book.advance(12, at=changed_at), pending[-1]})
    update = run_job(tenant, "update_order_status")
    assert update.outcome == SyncRun.Outcome.SUCCESS, update.error
    assert update.orders_updated == len(moved)
    assert_zoho_matches_book(connected)
    changes = OrderEvent.objects.filter(run=update).exclude(action="failed")
    assert sorted(e.amazon_order_id for e in changes) == moved
    filled = changes.get(amazon_order_id=pending[-1])
    assert (filled.action, filled.old_status) == ("updated", "Pending")
    assert filled.new_status == book.get(pending[-1]).status
    for event in changes:
        assert event.old_status != event.new_status

    writes_before = zoho_writes(connected.zoho)
    again_sync = run_job(tenant, "sync_amazon_record")
    again_update = run_job(tenant, "update_order_status")
    assert again_sync.outcome == again_update.outcome == SyncRun.Outcome.NO_ORDERS
    assert zoho_writes(connected.zoho) == writes_before
    assert again_sync.api_calls["amazon"].get("ListOrderItems", 0) == 0
    assert OrderEvent.objects.filter(run__in=[again_sync, again_update]).count() == 0
    assert mail.outbox[-1].subject == "Amazon sync: Update Order Status found no new orders"


@pytest.mark.django_db(transaction=True)
def test_without_credentials_the_run_fails_clearly(connected_tenant):
    tenant = connected_tenant.tenant
    tenant.amazon_credentials.delete()
    run = run_job(tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "Amazon credentials are not set up" in run.error
    assert "Traceback" not in mail.outbox[-1].body
    assert mail.outbox[-1].subject == "Amazon sync: Sync Amazon Record failed"


@pytest.mark.django_db(transaction=True)
def test_wrong_secret_names_the_secret_key_in_history_and_email(connected_tenant):
    creds = connected_tenant.tenant.amazon_credentials
    creds.secret_key = "wrongSecretKey/abcdefghijklmnop0000"
    creds.save()
    run = run_job(connected_tenant.tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "Secret Key" in run.error
    body = mail.outbox[-1].body + mail.outbox[-1].alternatives[0][0]
    assert "Secret Key" in body
    assert "wrongSecretKey" not in body
    assert connected_tenant.amazon.stats.calls  # it really asked Amazon


@pytest.mark.django_db(transaction=True)
def test_writes_whose_checkpoint_was_lost_are_not_duplicated(connected_tenant):
    """A worker that dies after Zoho accepted a page but before the page's checkpoint
    committed: the re-run finds the records by their unique keys, and the line items Zoho
    appends on update are removed again."""
    from crm_sync.models import AmazonOrderState, SyncCursor, ZohoLink

    tenant = connected_tenant.tenant
    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.SUCCESS, first.error
    for model in (ZohoLink, AmazonOrderState, SyncCursor, OrderEvent):
        model.objects.filter(tenant=tenant).delete()

    again = run_job(tenant, "sync_amazon_record")
    assert again.outcome == SyncRun.Outcome.SUCCESS, again.error
    assert again.records_failed == 0
    assert_zoho_matches_book(connected_tenant)  # same counts, same lines, same totals


@pytest.mark.django_db(transaction=True)
def test_zoho_429s_and_a_malformed_amazon_page_lose_nothing(connected_tenant, settings, caplog):
    """Zoho throttles twice mid-run and Amazon sends one truncated page: the client backs off,
    the task retries from the checkpoint, and Zoho still holds exactly the book. No secret
    reaches the logs on the way."""
    settings.ZOHO_BACKOFF_BASE = 0.01
    caplog.set_level("DEBUG")
    connected_tenant.zoho.faults.inject(status=429, count=2, path_contains="Sales_Orders")
    connected_tenant.amazon.faults.inject("malformed", count=1, operation="ListOrderItems")

    run = run_job(connected_tenant.tenant, "sync_amazon_record")

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert connected_tenant.amazon.faults.fired == 1  # the truncated page was served
    assert connected_tenant.zoho.stats.by_status[429] == 2
    assert_zoho_matches_book(connected_tenant)
    assert OrderEvent.objects.filter(tenant=connected_tenant.tenant, action="created").count() == (
        len(
            connected_tenant.amazon.book.orders(
                connected_tenant.tenant.amazon_credentials.seller_id
            )
        )
    )
    creds = connected_tenant.tenant.amazon_credentials
    secrets = [creds.secret_key.reveal(), creds.mws_auth_token.reveal(), creds.access_key.reveal()]
    zoho = connected_tenant.tenant.zoho_connection
    secrets += [zoho.refresh_token.reveal(), zoho.access_token.reveal()]
    for secret in secrets:
        assert secret not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_failed_order_holds_the_cursor_and_the_next_run_brings_it_in(connected_tenant):
    """An order that cannot be written is reported (Completed with errors, Order History)
    and the cursor stays before it, so a later run brings it in: nothing is lost."""
    tenant = connected_tenant.tenant
    book = connected_tenant.amazon.book
    orders = [o for o in book.orders(tenant.amazon_credentials.seller_id) if o.details_visible]
    broken = orders[len(orders) // 2]
    items = list(broken.items)
    broken.items.clear()  # Amazon answers ListOrderItems with no items for this one

    first = run_job(tenant, "sync_amazon_record")
    assert first.outcome == SyncRun.Outcome.PARTIAL
    assert first.records_failed == 1
    assert broken.amazon_order_id in first.error
    failed = OrderEvent.objects.get(run=first, action="failed")
    assert failed.amazon_order_id == broken.amazon_order_id
    assert "no items" in failed.message

    broken.items.extend(items)
    second = run_job(tenant, "sync_amazon_record")
    assert second.outcome == SyncRun.Outcome.SUCCESS, second.error
    assert second.orders_created == 1
    assert_zoho_matches_book(connected_tenant)


@pytest.mark.django_db(transaction=True)
def test_writing_every_page_in_one_day_windows_gives_the_same_zoho(connected_tenant, settings):
    """The backfill settings (flush after every page, one-day listing windows) change when
    records are written, not what Zoho ends up holding."""
    from crm_sync.models import StagedRecord, SyncCursor

    settings.SYNC_FLUSH_SECONDS = 0
    settings.SYNC_WINDOW_DAYS = 1
    run = run_job(connected_tenant.tenant, "sync_amazon_record")
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.api_calls["amazon"]["ListOrders"] >= 30  # one listing per day of lookback
    assert_zoho_matches_book(connected_tenant)
    assert not StagedRecord.objects.exists()
    assert SyncCursor.objects.get(tenant=connected_tenant.tenant).watermark > run.started_at - (
        timedelta(minutes=3)
    )
