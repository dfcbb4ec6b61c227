"""Fixtures for the Django test-client tests of the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery_app import app as celery_app
from crm_sync.services.schedules import schedules_install
from history.models import OrderEvent, SyncRun


@pytest.fixture
def eager_celery():
    """Run Now executes inline, as in the browser tests (the real-worker tests are elsewhere)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def installed(tenant):
    """The tenant from tests.fixtures.tenants, installed with its two schedules."""
    schedules_install(tenant=tenant)
    return tenant


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def make_runs(tenant, n: int, *, events_per_run: int = 0, start=None, **fields) -> list[SyncRun]:
    """``n`` finished runs one hour apart (newest last), each with Order History rows."""
    start = start or timezone.now() - timedelta(hours=n)
    runs = SyncRun.objects.bulk_create(
        [
            SyncRun(
                tenant=tenant,
                schedule=fields.get("schedule", "sync_amazon_record"),
                trigger=fields.get("trigger", SyncRun.Trigger.SCHEDULED),
                started_at=start + timedelta(hours=i),
                finished_at=start + timedelta(hours=i, minutes=1),
                outcome=fields.get("outcome", SyncRun.Outcome.SUCCESS),
                orders_fetched=events_per_run,
                orders_created=events_per_run,
            )
            for i in range(n)
        ]
    )
    events = [
        OrderEvent(
            tenant=tenant,
            run=run,
            amazon_order_id=f"111-{run.pk:07d}-{j:07d}",
            action=OrderEvent.Action.CREATED,
            new_status="Shipped",
            amazon_last_update=run.started_at,
            zoho_record_id=f"9000{run.pk}{j}",
        )
        for run in runs
        for j in range(events_per_run)
    ]
    OrderEvent.objects.bulk_create(events, batch_size=500)
    return runs
