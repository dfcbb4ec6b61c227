"""Schedules per tenant, the Run Now quota under concurrent clicks, one run per tenant,
stale runs, and the run email through a real SMTP server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm_sync.models import ManualRunSlot, TenantSchedule
from crm_sync.services.notifications import run_email_send
from crm_sync.services.run_now import RunNowRefusedError, run_now
from crm_sync.services.runs import sync_run_finish, sync_run_start
from crm_sync.services.schedules import (
    next_run_at,
    schedule_set_enabled,
    schedules_for_tenant,
    schedules_retime,
)
from history.models import SyncRun
from installation.services.install import tenant_install, tenant_uninstall
from tenants.models import Tenant
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.fixtures.tenants import complete_setup


@pytest.fixture
def installed(db):
    tenant = TenantFactory(time_zone="Asia/Kolkata", installed_at=None)
    admin = UserFactory()
    MembershipFactory(tenant=tenant, user=admin, profile="Administrator")
    tenant_install(tenant=tenant, user=admin, install_scope="admins")
    return tenant, admin


@pytest.fixture
def ready(installed):
    """``installed`` with Amazon and Zoho set up (offline), so its runs are not paused."""
    complete_setup(installed[0])
    return installed


def test_install_creates_two_schedules_due_at_2355_in_the_tenant_zone(installed):
    tenant, _ = installed
    schedules = TenantSchedule.objects.filter(tenant=tenant)
    assert sorted(s.get_kind_display() for s in schedules) == [
        "Sync Amazon Record",
        "Update Order Status",
    ]
    for schedule in schedules:
        local = schedule.next_run_at.astimezone(ZoneInfo("Asia/Kolkata"))
        assert (local.hour, local.minute) == (23, 55)
        assert schedule.enabled
        assert timezone.now() < schedule.next_run_at <= timezone.now() + timedelta(days=1)
    # No per-tenant beat entry: the dispatcher's one entry serves every tenant.
    assert not PeriodicTask.objects.filter(task="crm_sync.tasks.scheduled_run").exists()


def test_time_zone_change_retimes_and_switch_disables(installed):
    tenant, _ = installed
    tenant.time_zone = "Europe/Berlin"
    tenant.save()
    schedules_retime(tenant=tenant)
    schedule_set_enabled(tenant=tenant, kind="update_order_status", enabled=False)
    stored = {s.kind: s for s in TenantSchedule.objects.filter(tenant=tenant)}
    berlin = stored["sync_amazon_record"].next_run_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (berlin.hour, berlin.minute) == (23, 55)
    assert stored["update_order_status"].next_run_at is None
    rows = {row.kind: row for row in schedules_for_tenant(tenant=tenant)}
    assert rows["update_order_status"].next_run is None
    assert rows["sync_amazon_record"].next_run.tzinfo == ZoneInfo("Europe/Berlin")
    # The page shows the column the dispatcher reads.
    assert rows["sync_amazon_record"].next_run == stored["sync_amazon_record"].next_run_at
    schedule_set_enabled(tenant=tenant, kind="update_order_status", enabled=True)
    assert TenantSchedule.objects.get(tenant=tenant, kind="update_order_status").next_run_at


def test_next_run_is_2355_local_across_midnight():
    tenant = Tenant(time_zone="America/Los_Angeles")
    before = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 23:00 in Los Angeles
    after = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 00:00 next day there
    assert next_run_at(tenant=tenant, now=before).isoformat() == "2026-11-26T23:55:00-08:00"
    assert next_run_at(tenant=tenant, now=after).isoformat() == "2026-11-27T23:55:00-08:00"


def test_uninstall_deletes_the_schedules(installed):
    tenant, _ = installed
    report = tenant_uninstall(tenant=tenant)
    assert report["schedules_deleted"] == 2
    assert not TenantSchedule.objects.filter(tenant_id=tenant.pk).exists()
    assert not Tenant.objects.filter(pk=tenant.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_run_now_twice_then_refused_with_when(ready, settings):
    tenant, admin = ready
    from config.celery_app import app

    # The runs are not executed; each ends (nothing to do) before the next click. A run
    # that failed before writing would give its slot back (crm_sync.services.retry).
    app.conf.task_always_eager, eager = False, app.conf.task_always_eager
    app.conf.broker_url, broker = "memory://", app.conf.broker_url

    def click(kind: str) -> None:
        sync_run_finish(run_id=run_now(tenant=tenant, kind=kind, user=admin).pk)

    try:
        click("sync_amazon_record")
        click("sync_amazon_record")
        with pytest.raises(RunNowRefusedError, match="allowed again from 00:00") as refused:
            click("sync_amazon_record")
        assert "Asia/Kolkata" in refused.value.message
        # The other schedule has its own two.
        click("update_order_status")
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker
    rows = {row.kind: row for row in schedules_for_tenant(tenant=tenant)}
    assert rows["sync_amazon_record"].manual_runs_left == 0
    assert rows["update_order_status"].manual_runs_left == 1
    assert SyncRun.objects.filter(tenant=tenant, trigger="manual").count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_never_make_a_third_run(ready):
    """Eight threads click Run Now at once; the database allows exactly two (run this on
    PostgreSQL, where the clicks really are concurrent)."""
    tenant, admin = ready
    # Keep the runs "running" so the clicks race on the slots, not on run execution.
    from config.celery_app import app

    app.conf.task_always_eager, eager = False, app.conf.task_always_eager
    app.conf.broker_url, broker = "memory://", app.conf.broker_url
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def click() -> None:
        try:
            barrier.wait(timeout=10)
            try:
                run = run_now(tenant=tenant, kind="sync_amazon_record", user=admin)
                outcomes.append(run.outcome)
            except RunNowRefusedError:
                outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    try:
        threads = [threading.Thread(target=click) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker
    assert len(outcomes) == 8
    assert ManualRunSlot.objects.filter(tenant=tenant).count() <= 2
    assert outcomes.count("refused") + outcomes.count("skipped") == 8 - outcomes.count("running")
    assert outcomes.count("running") == 1  # one run per tenant at a time
    assert ManualRunSlot.objects.filter(tenant=tenant).count() == 1  # skipped clicks give it back


@pytest.mark.django_db(transaction=True)
def test_one_run_per_tenant_and_a_dead_workers_run_is_resumed(installed):
    tenant, _ = installed
    first = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    second = sync_run_start(tenant=tenant, schedule="update_order_status", trigger="scheduled")
    assert first.outcome == "running"
    assert second.outcome == "skipped"
    assert second.error.startswith("Skipped: already running (Sync Amazon Record started")
    SyncRun.objects.filter(pk=first.pk).update(
        lease_owner="dead-worker", heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    third = sync_run_start(tenant=tenant, schedule="update_order_status", trigger="scheduled")
    first.refresh_from_db()
    # The dead worker's run is sent again (here eagerly: it ran to its end at once) and
    # taken by a new executor; it is not closed as "Interrupted" by the trigger.
    assert first.lease_owner not in ("", "dead-worker")
    assert "Interrupted" not in first.error
    assert third.outcome == "skipped"


@pytest.mark.django_db(transaction=True)
def test_run_email_through_a_real_smtp_server(installed, settings):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        tenant, _ = installed
        tenant.super_admin_email = "boss@acme.example"
        tenant.save()
        started = datetime(2026, 11, 26, 18, 25, tzinfo=UTC)  # 23:55 in Kolkata
        run = SyncRun.objects.create(
            tenant=tenant,
            schedule="sync_amazon_record",
            trigger="scheduled",
            started_at=started,
            finished_at=started + timedelta(minutes=2),
            outcome="success",
            orders_fetched=12,
            orders_created=10,
            products_created=3,
            contacts_created=7,
        )
        assert run_email_send(run=run) == 1
    finally:
        controller.stop()
    assert len(received) == 1
    message = received[0]
    assert message["To"] == "boss@acme.example"
    assert message["Subject"] == "Amazon sync: Sync Amazon Record completed"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "Sales Orders created:       10" in parts["text/plain"]
    assert "Started:  2026-11-26 23:55 (Asia/Kolkata)" in parts["text/plain"]
    assert '<td>Sales Orders created</td><td align="right">10</td>' in parts["text/html"]


@pytest.mark.django_db(transaction=True)
def test_the_second_schedule_at_2355_waits_instead_of_being_skipped(ready):
    """Both schedules fire at 23:55: the busy one is retried later, not recorded as skipped,
    until its retries run out."""
    from crm_sync.tasks import BUSY_MAX_RETRIES, scheduled_run

    tenant, _ = ready
    live = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    waiting = sync_run_start(
        tenant=tenant, schedule="update_order_status", trigger="scheduled", record_skip=False
    )
    assert waiting is None
    assert SyncRun.objects.filter(tenant=tenant).count() == 1

    scheduled_run.apply(args=[tenant.pk, "update_order_status"], retries=BUSY_MAX_RETRIES)
    skipped = SyncRun.objects.get(tenant=tenant, schedule="update_order_status")
    assert skipped.outcome == "skipped"

    SyncRun.objects.filter(pk=live.pk).update(outcome="success", finished_at=timezone.now())
    from config.celery_app import app

    # Started, not executed here (the set-up points nowhere): it is a run, not a skip.
    app.conf.task_always_eager, eager = False, app.conf.task_always_eager
    app.conf.broker_url, broker = "memory://", app.conf.broker_url
    try:
        scheduled_run.apply(args=[tenant.pk, "update_order_status"])
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker
    ran = SyncRun.objects.filter(tenant=tenant, schedule="update_order_status").latest("id")
    assert ran.outcome == "running"
