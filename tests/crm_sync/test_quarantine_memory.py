"""A run keeps in memory only the orders its quarantine can resolve, not every order it
takes: a 50,000-order backfill used to hold all of them until the run ended."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amazon_ext.amazon.types import Order
from crm_sync.pipeline.job import SyncJob
from crm_sync.pipeline.quarantine import Quarantine
from crm_sync.services.runs import sync_run_start
from history.models import OrderEvent, QuarantinedOrder, SyncRun
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def amazon_order(n: int) -> Order:
    return Order(
        amazon_order_id=f"113-0000000-{n:07d}",
        purchase_date=WHEN,
        last_update_date=WHEN,
        order_status="Shipped",
    )


def job_for(tenant) -> SyncJob:
    run = sync_run_start(
        tenant=tenant, schedule="sync_amazon_record", trigger=SyncRun.Trigger.SCHEDULED
    )
    return SyncJob(run=run, amazon=None, zoho=None, names={})


def test_went_on_keeps_only_orders_with_an_open_quarantine_entry_and_resolve_still_works():
    tenant = TenantFactory()
    other = TenantFactory()
    QuarantinedOrder.objects.create(
        tenant=tenant, amazon_order_id=amazon_order(7).amazon_order_id, reason="bad amount"
    )
    QuarantinedOrder.objects.create(  # resolved long ago: nothing to resolve again
        tenant=tenant,
        amazon_order_id=amazon_order(8).amazon_order_id,
        reason="bad date",
        resolved_at=WHEN,
    )
    QuarantinedOrder.objects.create(  # another tenant's entry is not this run's business
        tenant=other, amazon_order_id=amazon_order(9).amazon_order_id, reason="bad items"
    )
    job = job_for(tenant)
    quarantine = Quarantine(job)

    quarantine.went_on(amazon_order(n) for n in range(1, 5001))

    assert set(quarantine.taken) == {amazon_order(7).amazon_order_id}
    quarantine.resolve()
    entry = QuarantinedOrder.objects.get(
        tenant=tenant, amazon_order_id=amazon_order(7).amazon_order_id
    )
    assert entry.resolved_at is not None
    replayed = OrderEvent.objects.filter(run=job.run, action=OrderEvent.Action.REPLAYED)
    assert list(replayed.values_list("amazon_order_id", flat=True)) == [entry.amazon_order_id]


def test_a_run_with_no_open_quarantine_keeps_nothing():
    tenant = TenantFactory()
    quarantine = Quarantine(job_for(tenant))
    quarantine.went_on(amazon_order(n) for n in range(1, 1001))
    assert quarantine.taken == {}
