"""Live updates in this process: subscribing, an order change reaching Zoho through moto's
SQS, and the nightly run reconciling what notifications missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from amazon_ext.services.credentials import credentials_save
from crm_sync.models import LiveUpdates, NotificationDestination, NotificationReceipt
from crm_sync.services.live_consumer import LiveConsumer
from crm_sync.services.live_subscription import live_updates_set, live_updates_subscribe
from crm_sync.services.runs import sync_run_start
from crm_sync.tasks import execute_sync_run
from history.models import OrderEvent, SyncRun
from installation.services.install import tenant_uninstall
from tests.crm_sync.live_support import (
    later,
    status_field,
    zoho_orders,
)
from tests.fixtures.sync import seller_form


def full_run(connected, schedule: str) -> SyncRun:
    run = sync_run_start(tenant=connected.tenant, schedule=schedule, trigger="manual")
    execute_sync_run.delay(run.pk)  # eager in tests
    run.refresh_from_db()
    assert run.outcome in (SyncRun.Outcome.SUCCESS, SyncRun.Outcome.NO_ORDERS), run.error
    return run


def consume_until_idle(consumer: LiveConsumer, cycles: int = 30) -> None:
    idle = 0
    for _ in range(cycles):
        idle = idle + 1 if consumer.step() == 0 and not consumer.parked else 0
        if idle >= 2:
            return


@pytest.mark.django_db(transaction=True)
def test_subscribing_makes_one_destination_and_a_filtered_subscription(
    spapi_tenant, live_queue_settings, amazon_seller
):
    api = spapi_tenant.amazon.spapi.notifications
    live = live_updates_subscribe(tenant_id=spapi_tenant.tenant.pk)
    assert live.subscription_id and not live.last_error
    (subscription,) = api.subscriptions.values()
    assert subscription.seller_id == amazon_seller.seller_id
    assert subscription.event_filter == {
        "eventFilterType": "ORDER_CHANGE",
        "marketplaceIds": amazon_seller.marketplace_ids,
    }
    # Idempotent: again → the same single destination and subscription.
    live_updates_subscribe(tenant_id=spapi_tenant.tenant.pk)
    assert len(api.destinations) == 1 and len(api.subscriptions) == 1
    assert NotificationDestination.objects.count() == 1

    # Switched off in Settings → Amazon's subscription is deleted; on again → back.
    live_updates_set(tenant_id=spapi_tenant.tenant.pk, enabled=False)
    assert api.subscriptions == {}
    assert LiveUpdates.objects.get(tenant=spapi_tenant.tenant).subscription_id == ""
    live_updates_set(tenant_id=spapi_tenant.tenant.pk, enabled=True)
    assert len(api.subscriptions) == 1 and len(api.destinations) == 1

    # An MWS connection keeps the schedules only.
    credentials_save(tenant=spapi_tenant.tenant, data=seller_form(amazon_seller), kind="mws")
    live_updates_subscribe(tenant_id=spapi_tenant.tenant.pk)
    assert api.subscriptions == {}


@pytest.mark.django_db(transaction=True)
def test_uninstall_deletes_the_subscription(spapi_tenant, live_queue_settings):
    api = spapi_tenant.amazon.spapi.notifications
    live_updates_subscribe(tenant_id=spapi_tenant.tenant.pk)
    assert len(api.subscriptions) == 1
    report = tenant_uninstall(tenant=spapi_tenant.tenant)
    assert report["live_updates_unsubscribed"] is True
    assert api.subscriptions == {}


@pytest.mark.django_db(transaction=True)
def test_an_order_change_reaches_zoho_as_a_live_update(spapi_tenant, live_queue_settings):
    connected = spapi_tenant
    full_run(connected, "sync_amazon_record")
    live_updates_subscribe(tenant_id=connected.tenant.pk)
    book = connected.amazon.book
    order = next(o for o in book.orders(connected.tenant.amazon_credentials.seller_id)
                 if o.status == "Unshipped")  # fmt: skip
    book.set_status(order.amazon_order_id, "Shipped", at=later(order, 5))
    connected.amazon.spapi.notifications.publisher.wait_idle()

    consume_until_idle(LiveConsumer(name="test"))

    (record,) = zoho_orders(connected)[order.amazon_order_id]
    assert record[status_field(connected)] == "Shipped"
    event = OrderEvent.objects.get(
        tenant=connected.tenant, amazon_order_id=order.amazon_order_id, action="live_update"
    )
    assert event.old_status == "Unshipped" and event.new_status == "Shipped"
    assert event.run.trigger == SyncRun.Trigger.LIVE
    live = LiveUpdates.objects.get(tenant=connected.tenant)
    assert live.last_event_at is not None and live.last_error == ""
    assert not NotificationReceipt.objects.filter(state="pending").exists()


@pytest.mark.django_db(transaction=True)
def test_nightly_run_reconciles_dropped_duplicated_and_reordered_notifications(
    spapi_tenant, live_queue_settings
):
    connected = spapi_tenant
    full_run(connected, "sync_amazon_record")
    live_updates_subscribe(tenant_id=connected.tenant.pk)
    publisher = connected.amazon.spapi.notifications.publisher
    publisher.configure(drop=0.1, duplicate=0.3, reorder=0.3, reorder_seconds=0.5)
    book = connected.amazon.book
    # Changed a few minutes ago: the listing reads up to two minutes before now, as Amazon.
    recently = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    moved = book.advance(40, at=recently)  # 40 orders one step on, some twice
    book.advance(10, at=recently + timedelta(seconds=30))
    publisher.wait_idle()
    counts = publisher.snapshot()["counts"]
    assert counts["dropped"] >= 1 and counts["duplicated"] >= 1 and counts["reordered"] >= 1

    consume_until_idle(LiveConsumer(name="test"))
    # Whatever arrived is in Zoho once, with the newest state Amazon had.
    orders = zoho_orders(connected)
    assert all(len(records) == 1 for records in orders.values())

    full_run(connected, "update_order_status")  # the nightly reconciliation
    assert moved
    book_orders = book.orders(connected.tenant.amazon_credentials.seller_id)
    orders, status = zoho_orders(connected), status_field(connected)
    assert sorted(orders) == sorted(o.amazon_order_id for o in book_orders)
    for book_order in book_orders:
        (record,) = orders[book_order.amazon_order_id]
        assert record[status] == book_order.status, book_order.amazon_order_id
        if book_order.details_visible:
            assert Decimal(str(record["Grand_Total"])) == book_order.order_total


@pytest.mark.django_db(transaction=True)
def test_schedules_page_shows_live_updates_and_switches_them(
    spapi_tenant, live_queue_settings, client
):
    from django.urls import reverse

    connected = spapi_tenant
    live_updates_subscribe(tenant_id=connected.tenant.pk)
    NotificationReceipt.objects.create(
        notification_id="n-1",
        tenant=connected.tenant,
        amazon_order_id="113-1234567-1234567",
        change_time=datetime.now(UTC),
    )
    LiveUpdates.objects.filter(tenant=connected.tenant).update(
        last_event_at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        last_error="Live update of 113-1234567-1234567: Zoho CRM refused it.",
        last_error_at=datetime(2026, 11, 30, 12, 1, tzinfo=UTC),
    )
    client.force_login(connected.admin)
    page = client.get(reverse("crm_sync:schedules", kwargs={"tenant_id": connected.tenant.pk}))
    html = page.content.decode()
    assert 'id="live-updates-state">On<' in html
    assert "2026-11-30 12:00:00 UTC" in html
    assert "1 of this organisation" in html
    assert "Zoho CRM refused it." in html

    client.post(
        reverse("crm_sync:live_updates_switch", kwargs={"tenant_id": connected.tenant.pk}),
        {"enabled": "off"},
    )
    assert connected.amazon.spapi.notifications.subscriptions == {}
    page = client.get(reverse("crm_sync:schedules", kwargs={"tenant_id": connected.tenant.pk}))
    assert 'id="live-updates-state">Off<' in page.content.decode()
