"""One live executor per run: a second copy of a live run stops; a dead one is taken over."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from crm_sync.services.lease import LeaseLostError, RunLease, new_executor_token
from crm_sync.services.runs import (
    sync_run_claim,
    sync_run_heartbeat,
    sync_run_release,
    sync_run_start,
    sync_runs_recover,
)
from history.models import SyncRun
from tests.factories import TenantFactory


@pytest.fixture
def run(db):
    tenant = TenantFactory()
    return sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")


def test_same_task_delivered_twice_gets_one_executor(run):
    first = new_executor_token("task-1")
    second = new_executor_token("task-1")  # Celery redelivered the same task id
    assert first != second
    assert sync_run_claim(run_id=run.pk, executor=first) is not None
    assert sync_run_claim(run_id=run.pk, executor=second) is None
    assert sync_run_heartbeat(run_id=run.pk, executor=first)
    assert not sync_run_heartbeat(run_id=run.pk, executor=second)


def test_dead_executor_is_taken_over_and_the_old_one_learns_it(run):
    old = new_executor_token("t")
    assert sync_run_claim(run_id=run.pk, executor=old)
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    new = new_executor_token("t")
    assert sync_run_claim(run_id=run.pk, executor=new) is not None
    # The old executor wakes up (it was paused, not dead): its renewal fails and it stops.
    lease = RunLease(lambda extra: sync_run_heartbeat(run_id=run.pk, executor=old), every=3600)
    lease.renew_now()
    assert lease.lost
    with pytest.raises(LeaseLostError):
        lease.check()


def test_release_lets_the_retry_claim_at_once(run):
    first = new_executor_token("t")
    assert sync_run_claim(run_id=run.pk, executor=first)
    sync_run_release(run_id=run.pk, executor=first)
    assert sync_run_claim(run_id=run.pk, executor=new_executor_token("t")) is not None


@pytest.mark.django_db(transaction=True)
def test_lease_renews_in_the_background_while_the_run_waits():
    tenant = TenantFactory()
    run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="scheduled")
    me = new_executor_token("t")
    assert sync_run_claim(run_id=run.pk, executor=me)
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=1))
    renewed = threading.Event()

    def renew(extra):
        ok = sync_run_heartbeat(run_id=run.pk, executor=me, api_calls=extra)
        renewed.set()
        return ok

    with RunLease(renew, extra=lambda: {"amazon": {"ListOrders": 3}}, every=0.05):
        assert renewed.wait(10)
        time.sleep(0.1)
    run.refresh_from_db()
    assert run.heartbeat_at > timezone.now() - timedelta(seconds=30)
    assert run.api_calls == {"amazon": {"ListOrders": 3}}


@pytest.mark.django_db(transaction=True)
def test_watchdog_resends_only_runs_whose_lease_expired():
    from config.celery_app import app

    sent = []
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the resent task runs here, at once
    try:
        live_tenant, dead_tenant = TenantFactory(), TenantFactory()
        live = sync_run_start(
            tenant=live_tenant, schedule="sync_amazon_record", trigger="scheduled"
        )
        dead = sync_run_start(
            tenant=dead_tenant, schedule="sync_amazon_record", trigger="scheduled"
        )
        assert sync_run_claim(run_id=live.pk, executor="live")
        assert sync_run_claim(run_id=dead.pk, executor="dead")
        SyncRun.objects.filter(pk=dead.pk).update(
            heartbeat_at=timezone.now() - timedelta(minutes=5)
        )
        sent = sync_runs_recover()
    finally:
        app.conf.task_always_eager = eager
    assert sent == [dead.pk]
    dead.refresh_from_db()
    live.refresh_from_db()
    assert live.outcome == "running" and live.lease_owner == "live"
    # The resent task ran (eagerly): a tenant without Amazon credentials fails clearly.
    assert dead.outcome == "failed"
    assert "Amazon credentials are not set up" in dead.error
