"""The live-updates consumer as its own process (``manage.py consume_order_changes``) against
moto's SQS server and the stand-ins: a change reaches Zoho; duplicates and reordering make
one write with the newest state; SIGKILL mid-batch loses and duplicates nothing; a poison
message goes to the dead-letter queue without holding the others."""

from __future__ import annotations

import json
import signal
import uuid

import pytest
from django.conf import settings

from crm_sync.models import NotificationReceipt
from crm_sync.services import live_queue
from crm_sync.services.live_subscription import live_updates_subscribe
from history.models import OrderEvent, SyncRun
from tests.crm_sync.live_support import (
    later,
    start_consumer,
    status_field,
    stop,
    wait_for,
    zoho_orders,
)
from tests.crm_sync.test_live_updates import full_run

pytestmark = pytest.mark.django_db(transaction=True)


def seller_orders(connected, status: str, count: int):
    seller_id = connected.tenant.amazon_credentials.seller_id
    found = [o for o in connected.amazon.book.orders(seller_id) if o.status == status]
    assert len(found) >= count, f"the book has only {len(found)} {status} orders"
    return found[:count]


def statuses_in_zoho(connected, order_ids) -> dict[str, list[str]]:
    orders, status = zoho_orders(connected), status_field(connected)
    return {oid: [r[status] for r in orders.get(oid, [])] for oid in order_ids}


def test_duplicates_and_reordering_make_one_write_with_the_newest_state(
    spapi_tenant, live_queue_settings, tmp_path
):
    connected = spapi_tenant
    full_run(connected, "sync_amazon_record")
    live_updates_subscribe(tenant_id=connected.tenant.pk)
    publisher = connected.amazon.spapi.notifications.publisher
    publisher.configure(duplicate=1.0, reorder=0.5, reorder_seconds=0.4)
    (order,) = seller_orders(connected, "Pending", 1)
    book = connected.amazon.book
    book.set_status(order.amazon_order_id, "Unshipped", at=later(order, 10))
    book.set_status(order.amazon_order_id, "Shipped", at=later(order, 20))
    publisher.wait_idle()
    assert publisher.snapshot()["counts"]["duplicated"] == 2

    consumer = start_consumer(tmp_path, "c1")
    try:
        wait_for(
            lambda: (
                statuses_in_zoho(connected, [order.amazon_order_id])[order.amazon_order_id]
                == ["Shipped"]
                and not NotificationReceipt.objects.filter(state="pending").exists()
            ),
            timeout=60,
            what="the newest state in Zoho",
        )
    finally:
        stop(consumer)
    events = OrderEvent.objects.filter(amazon_order_id=order.amazon_order_id, action="live_update")
    # One write: Pending → Shipped (the older Unshipped never reached Zoho on its own).
    assert [(e.old_status, e.new_status) for e in events] == [("Pending", "Shipped")]
    assert NotificationReceipt.objects.filter(state="done").count() == 2
    assert live_queue.depth()["waiting"] == 0


def test_sigkill_mid_batch_then_restart_loses_and_duplicates_nothing(
    spapi_tenant, live_queue_settings, tmp_path
):
    connected = spapi_tenant
    full_run(connected, "sync_amazon_record")
    live_updates_subscribe(tenant_id=connected.tenant.pk)
    # getOrder slow enough that the kill lands inside the batch.
    connected.amazon.faults.inject("slow", count=10_000, operation="getOrder@2026-01-01", delay=0.4)
    ids = connected.amazon.book.advance(12)
    seller_id = connected.tenant.amazon_credentials.seller_id
    book = {o.amazon_order_id: o for o in connected.amazon.book.orders(seller_id)}
    connected.amazon.spapi.notifications.publisher.wait_idle()

    consumer = start_consumer(tmp_path, "c1")
    try:
        wait_for(
            lambda: connected.amazon.stats.calls.get("getOrder@2026-01-01", 0) >= 3,
            timeout=60,
            what="the consumer to be inside its batch",
        )
    finally:
        stop(consumer, signal.SIGKILL)
    live_run = SyncRun.objects.get(trigger=SyncRun.Trigger.LIVE)
    assert live_run.outcome == SyncRun.Outcome.RUNNING  # killed mid-run
    connected.amazon.faults.clear()

    restarted = start_consumer(tmp_path, "c2")
    try:
        wait_for(
            lambda: (
                all(
                    found == [book[oid].status]
                    for oid, found in statuses_in_zoho(connected, ids).items()
                )
                and not NotificationReceipt.objects.filter(state="pending").exists()
            ),
            timeout=90,
            what="every change in Zoho after the restart",
        )
    finally:
        stop(restarted)
    # Nothing duplicated: one record per order, one Order History row per change.
    assert all(len(r) == 1 for r in zoho_orders(connected).values())
    for order_id in ids:
        assert (
            OrderEvent.objects.filter(amazon_order_id=order_id, action="live_update").count() == 1
        )
    live_run.refresh_from_db()
    assert live_run.outcome != SyncRun.Outcome.RUNNING
    assert live_queue.depth()["waiting"] == 0


def test_a_poison_message_goes_to_the_dead_letter_queue_and_others_go_on(
    spapi_tenant, live_queue_settings, tmp_path, amazon_seller
):
    connected = spapi_tenant
    full_run(connected, "sync_amazon_record")
    live_updates_subscribe(tenant_id=connected.tenant.pk)
    poison = {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": "2026-01-01T00:00:00Z",
        "Payload": {
            "OrderChangeNotification": {
                "SellerId": amazon_seller.seller_id,
                "AmazonOrderId": "not-an-order-id",
                "OrderChangeType": "OrderStatusChange",
            }
        },
        "NotificationMetadata": {"NotificationId": str(uuid.uuid4())},
    }
    live_queue.sqs_client().send_message(
        QueueUrl=settings.AMAZON_SQS_QUEUE_URL, MessageBody=json.dumps(poison)
    )
    (order,) = seller_orders(connected, "Unshipped", 1)
    connected.amazon.book.set_status(order.amazon_order_id, "Shipped", at=later(order, 5))
    connected.amazon.spapi.notifications.publisher.wait_idle()

    consumer = start_consumer(tmp_path, "c1")
    try:
        wait_for(
            lambda: (
                statuses_in_zoho(connected, [order.amazon_order_id])[order.amazon_order_id]
                == ["Shipped"]
            ),
            timeout=60,
            what="the good change in Zoho",
        )
        wait_for(
            lambda: live_queue.depth(settings.AMAZON_SQS_DLQ_URL)["waiting"] == 1,
            timeout=90,
            what="the poison message in the dead-letter queue",
        )
    finally:
        stop(consumer)
    failed = SyncRun.objects.get(trigger=SyncRun.Trigger.LIVE, outcome=SyncRun.Outcome.FAILED)
    assert "dead-letter queue" in failed.error and "not-an-order-id" in failed.error
    assert live_queue.depth()["waiting"] == 0
