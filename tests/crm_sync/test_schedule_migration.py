"""Migration 0005: existing tenants' per-tenant beat tasks become next_run_at, and go."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("crm_sync", "0004_staged_record_typed_columns")]
AFTER = [("crm_sync", "0005_schedule_next_run_at")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_periodic_tasks_move_to_next_run_at_and_are_deleted():
    old = _migrate(BEFORE)
    Tenant = old.get_model("tenants", "Tenant")
    TenantSchedule = old.get_model("crm_sync", "TenantSchedule")
    PeriodicTask = old.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = old.get_model("django_celery_beat", "CrontabSchedule")
    keep = PeriodicTask.objects.create(name="someone else's", task="x.y", interval=None)
    tenants = {}
    for zone, enabled in (("Europe/Berlin", True), ("America/Santiago", False)):
        tenant = Tenant.objects.create(name=zone, time_zone=zone)
        tenants[zone] = tenant
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute="55",
            hour="23",
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=zone,
        )
        for kind, label in (
            ("sync_amazon_record", "Sync Amazon Record"),
            ("update_order_status", "Update Order Status"),
        ):
            on = enabled or kind == "sync_amazon_record"
            task = PeriodicTask.objects.create(
                name=f"tenant {tenant.pk}: {label}",
                task="crm_sync.tasks.scheduled_run",
                crontab=crontab,
                kwargs=json.dumps({"tenant_id": tenant.pk, "schedule": kind}),
                enabled=on,
            )
            TenantSchedule.objects.create(tenant=tenant, kind=kind, enabled=on, periodic_task=task)
    try:
        new = _migrate(AFTER)
        TenantSchedule = new.get_model("crm_sync", "TenantSchedule")
        PeriodicTask = new.get_model("django_celery_beat", "PeriodicTask")
        CrontabSchedule = new.get_model("django_celery_beat", "CrontabSchedule")
        assert not PeriodicTask.objects.filter(task="crm_sync.tasks.scheduled_run").exists()
        assert PeriodicTask.objects.filter(pk=keep.pk).exists()
        assert not CrontabSchedule.objects.filter(minute="55", hour="23").exists()
        now = timezone.now()
        for zone, tenant in tenants.items():
            for schedule in TenantSchedule.objects.filter(tenant_id=tenant.pk):
                if not schedule.enabled:
                    assert schedule.next_run_at is None
                    continue
                local = schedule.next_run_at.astimezone(ZoneInfo(zone))
                assert (local.hour, local.minute) == (23, 55)
                assert now < schedule.next_run_at <= now + timedelta(days=1)
        off = TenantSchedule.objects.get(
            tenant_id=tenants["America/Santiago"].pk, kind="update_order_status"
        )
        assert not off.enabled
    finally:
        _migrate()  # every app back at its latest migration for the tests after this one
