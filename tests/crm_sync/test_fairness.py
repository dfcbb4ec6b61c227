"""Fair workers: large runs go to the backlog queue and at most SYNC_BACKLOG_CONCURRENCY of
them hold a worker process; the beat's ticks have a queue of their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from config.celery_app import app
from crm_sync.models import SyncCursor
from crm_sync.services.fairness import (
    backlog_lane_enter,
    backlog_lane_holders,
    run_admitted,
    run_is_backlog,
)
from history.models import SyncRun
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db
KIND = "sync_amazon_record"


@pytest.fixture(autouse=True)
def _empty_lane():
    cache.clear()
    yield
    cache.clear()


def _run(tenant, **fields) -> SyncRun:
    now = timezone.now()
    defaults = {"schedule": KIND, "trigger": "scheduled", "started_at": now, "heartbeat_at": now}
    return SyncRun.objects.create(tenant=tenant, **{**defaults, **fields})


def _cursor(tenant, age: timedelta) -> None:
    SyncCursor.objects.create(
        tenant=tenant,
        schedule=KIND,
        marketplace_key="ATVPDKIKX0DER",
        watermark=timezone.now() - age,
    )


def _small_tenant():
    tenant = TenantFactory()
    _cursor(tenant, timedelta(hours=24))
    _run(tenant, outcome="success", orders_fetched=40, finished_at=timezone.now())
    return tenant


def test_first_runs_stale_cursors_and_big_sellers_are_backlog(settings):
    settings.SYNC_BACKLOG_ORDERS = 2000
    first = _run(TenantFactory())
    assert run_is_backlog(run_id=first.pk)
    stale = TenantFactory()
    _cursor(stale, timedelta(days=5))
    assert run_is_backlog(run_id=_run(stale).pk)
    big = TenantFactory()
    _cursor(big, timedelta(hours=24))
    _run(big, outcome="success", orders_fetched=5000, finished_at=timezone.now())
    assert run_is_backlog(run_id=_run(big).pk)
    small = _small_tenant()
    assert not run_is_backlog(run_id=_run(small).pk)


def test_the_lane_admits_one_backlog_run_and_frees_itself_when_it_ends(settings):
    settings.SYNC_BACKLOG_CONCURRENCY = 1
    big_a, big_b = _run(TenantFactory()), _run(TenantFactory())
    assert run_admitted(run_id=big_a.pk)
    assert run_admitted(run_id=big_a.pk)  # a retry of the holder keeps its place
    long_ago = timezone.now() - timedelta(minutes=10)
    SyncRun.objects.filter(pk=big_b.pk).update(heartbeat_at=long_ago)
    assert not run_admitted(run_id=big_b.pk)
    # The waiting run was kept alive, so the watchdog does not send it again meanwhile.
    big_b.refresh_from_db()
    assert big_b.heartbeat_at > long_ago
    # Small runs never wait for the lane.
    assert run_admitted(run_id=_run(_small_tenant()).pk)
    SyncRun.objects.filter(pk=big_a.pk).update(outcome="success", finished_at=timezone.now())
    assert run_admitted(run_id=big_b.pk)
    assert backlog_lane_holders() == [big_b.pk]


def test_a_dead_holder_frees_its_place(settings):
    settings.SYNC_BACKLOG_CONCURRENCY = 1
    dead, waiting = _run(TenantFactory()), _run(TenantFactory())
    assert backlog_lane_enter(run_id=dead.pk)
    assert not backlog_lane_enter(run_id=waiting.pk)
    stale = timezone.now() - timedelta(seconds=settings.SYNC_RUN_LEASE_SECONDS + 5)
    SyncRun.objects.filter(pk=dead.pk).update(heartbeat_at=stale)  # its worker died
    assert backlog_lane_enter(run_id=waiting.pk)


def test_two_places_with_concurrency_two(settings):
    settings.SYNC_BACKLOG_CONCURRENCY = 2
    runs = [_run(TenantFactory()) for _ in range(3)]
    assert [backlog_lane_enter(run_id=r.pk) for r in runs] == [True, True, False]


def test_routes(settings):
    router = app.amqp.router
    small = _run(_small_tenant())
    big = _run(TenantFactory())

    def queue(name, args=()):
        return router.route({}, name, args=args, kwargs={})["queue"].name

    assert queue("crm_sync.tasks.dispatch_due_schedules") == "dispatch"
    assert queue("crm_sync.tasks.recover_stale_runs") == "dispatch"
    assert queue("crm_sync.tasks.scheduled_run", (1, KIND)) == "celery"
    assert queue("crm_sync.tasks.execute_sync_run", (small.pk,)) == "celery"
    assert queue("crm_sync.tasks.execute_sync_run", (big.pk,)) == "backlog"
    assert queue("crm_sync.tasks.send_run_email", (small.pk,)) == "celery"
    # A worker started without -Q consumes all three queues.
    assert set(app.amqp.queues) == {"dispatch", "celery", "backlog"}
