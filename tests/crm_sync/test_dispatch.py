"""The dispatcher: every tenant's 23:55 from one beat entry, exactly once per local night
(DST nights included, north and south), never twice with two dispatchers, never lost when
the broker fails."""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import close_old_connections

from crm_sync.models import TenantSchedule
from crm_sync.services.dispatch import (
    DueRun,
    PartialSendError,
    publish_scheduled_runs,
    schedules_claim_due,
    schedules_dispatch,
)
from crm_sync.services.schedules import next_run_after, schedules_install
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _tenant_due_from(zone: str, start: datetime):
    tenant = TenantFactory(time_zone=zone)
    schedules_install(tenant=tenant)
    TenantSchedule.objects.filter(tenant=tenant).update(
        next_run_at=next_run_after(time_zone=zone, after=start)
    )
    return tenant


def _simulate(zone: str, first: date, last: date, step_minutes: int = 5) -> list[DueRun]:
    """Run the dispatcher every ``step_minutes`` from noon before ``first`` to noon after
    ``last`` (local) and return what it sent."""
    tz = ZoneInfo(zone)
    start = datetime(first.year, first.month, first.day, 12, tzinfo=tz).astimezone(UTC)
    end = datetime(last.year, last.month, last.day, 12, tzinfo=tz).astimezone(UTC)
    tenant = _tenant_due_from(zone, start)
    clock, sent = Clock(start), []
    while clock.now <= end + timedelta(days=1):
        schedules_dispatch(now=clock, send=sent.extend)
        clock.now += timedelta(minutes=step_minutes)
    return [run for run in sent if run.tenant_id == tenant.id]


# (zone, night clocks go forward, night clocks go back): one northern, two southern zones.
# America/Santiago changes at local midnight, so on 4 April 2026 the hour 23:00-24:00, 23:55
# included, happens twice; Berlin and Sydney change in the small hours.
DST_NIGHTS = [
    ("Europe/Berlin", date(2026, 3, 28), date(2026, 10, 24)),
    ("America/Santiago", date(2026, 9, 5), date(2026, 4, 4)),
    ("Australia/Sydney", date(2026, 10, 3), date(2026, 4, 4)),
]


@pytest.mark.parametrize(("zone", "spring", "autumn"), DST_NIGHTS)
def test_each_dst_night_fires_exactly_once_at_2355_local(zone, spring, autumn):
    tz = ZoneInfo(zone)
    for night in (spring, autumn):
        first, last = night - timedelta(days=1), night + timedelta(days=1)
        sent = _simulate(zone, first, last)
        per_schedule = Counter((run.kind, run.due_at.astimezone(tz).date()) for run in sent)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        assert per_schedule == Counter({(kind, day): 1 for kind in _KINDS for day in days})
        for run in sent:
            local = run.due_at.astimezone(tz)
            assert (local.hour, local.minute) == (23, 55), (zone, local)
            # Sent at its moment (the simulated dispatcher ticks on it), not an hour off.
            assert run.due_at == next_run_after(
                time_zone=zone, after=run.due_at - timedelta(minutes=1)
            )


def test_santiago_fall_back_night_fires_at_the_first_2355():
    tz = ZoneInfo("America/Santiago")
    sent = _simulate("America/Santiago", date(2026, 4, 4), date(2026, 4, 4), step_minutes=1)
    that_night = [r for r in sent if r.due_at.astimezone(tz).date() == date(2026, 4, 4)]
    assert len(that_night) == 2  # one per schedule
    for run in that_night:
        assert run.due_at == datetime(2026, 4, 5, 2, 55, tzinfo=UTC)  # 23:55 -03, not -04
        assert run.due_at.astimezone(tz).utcoffset() == timedelta(hours=-3)


def test_a_dispatcher_down_for_days_sends_one_catch_up_run_not_one_per_night():
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    tenant = _tenant_due_from("Asia/Tokyo", start)
    sent: list[DueRun] = []
    later = start + timedelta(days=4, hours=1)
    schedules_dispatch(now=Clock(later), send=sent.extend)
    schedules_dispatch(now=Clock(later + timedelta(minutes=1)), send=sent.extend)
    assert sorted(r.kind for r in sent) == ["sync_amazon_record", "update_order_status"]
    for schedule in TenantSchedule.objects.filter(tenant=tenant):
        assert schedule.next_run_at == next_run_after(time_zone="Asia/Tokyo", after=later)
        assert schedule.last_dispatched_at == later


def test_switched_off_and_retimed_schedules_follow_the_column():
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    tokyo = _tenant_due_from("Asia/Tokyo", start)
    TenantSchedule.objects.filter(tenant=tokyo, kind="update_order_status").update(
        enabled=False, next_run_at=None
    )
    sent: list[DueRun] = []
    schedules_dispatch(now=Clock(start + timedelta(days=1)), send=sent.extend)
    assert [r.kind for r in sent] == ["sync_amazon_record"]


def test_broker_failure_mid_batch_puts_the_rest_back_for_the_next_tick():
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    tenants = [_tenant_due_from("Europe/Berlin", start) for _ in range(5)]
    due = start + timedelta(days=1)
    delivered: list[DueRun] = []

    def flaky(runs):
        delivered.extend(runs[:3])
        raise PartialSendError(done=3)

    report = schedules_dispatch(now=Clock(due), send=flaky)
    assert (report.sent, report.put_back) == (3, 7)
    schedules_dispatch(now=Clock(due + timedelta(seconds=10)), send=delivered.extend)
    keys = Counter((r.tenant_id, r.kind) for r in delivered)
    assert len(keys) == 2 * len(tenants) and set(keys.values()) == {1}
    # The runs put back kept their own due moment (their lateness is visible).
    assert {r.due_at for r in delivered} == {next_run_after(time_zone="Europe/Berlin", after=start)}


def test_claims_in_batches_oldest_first():
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    for zone in ("Asia/Tokyo", "Europe/Berlin", "America/New_York"):
        _tenant_due_from(zone, start)
    now = start + timedelta(days=1)
    first = schedules_claim_due(now=now, limit=2)
    rest = schedules_claim_due(now=now, limit=10)
    assert [r.due_at for r in first + rest] == sorted(r.due_at for r in first + rest)
    assert len(first) == 2 and len(rest) == 4
    assert schedules_claim_due(now=now, limit=10) == []


@pytest.mark.django_db(transaction=True)
def test_four_dispatchers_at_once_send_every_schedule_exactly_once():
    """Two beats by mistake and retried ticks: each due schedule is sent once. On
    PostgreSQL the claims really run concurrently (FOR UPDATE SKIP LOCKED)."""
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    zones = ["Europe/Berlin", "Asia/Tokyo", "America/Santiago", "Australia/Sydney"]
    for i in range(120):
        _tenant_due_from(zones[i % len(zones)], start)
    now = Clock(start + timedelta(days=2))
    barrier = threading.Barrier(4)
    sent: list[DueRun] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def send(runs):
        with lock:
            sent.extend(runs)

    def dispatcher():
        try:
            barrier.wait(timeout=10)
            schedules_dispatch(now=now, send=send, batch=25)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    counts = Counter((r.tenant_id, r.kind) for r in sent)
    assert len(counts) == 240
    assert max(counts.values()) == 1


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
def test_dispatcher_publishes_scheduled_run_to_the_broker_in_bulk(settings):
    """Through the real publisher onto Redis: one scheduled_run(tenant_id, schedule) message
    per due schedule, on the "celery" queue, and nothing on the dispatch queue."""
    import json

    import redis

    from config.celery_app import app

    url = os.environ["TEST_REDIS_URL"]
    client = redis.Redis.from_url(url)
    client.delete("celery", "dispatch", "backlog")
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    tenants = [_tenant_due_from("Europe/Berlin", start) for _ in range(30)]
    app.conf.task_always_eager, eager = False, app.conf.task_always_eager
    try:
        with app.connection_for_write(url) as conn:
            report = schedules_dispatch(
                now=Clock(start + timedelta(days=1)),
                send=functools.partial(publish_scheduled_runs, connection=conn),
            )
    finally:
        app.conf.task_always_eager = eager
    assert report.sent == 60
    messages = [json.loads(m) for m in client.lrange("celery", 0, -1)]
    client.delete("celery")
    assert {m["headers"]["task"] for m in messages} == {"crm_sync.tasks.scheduled_run"}
    kwargs = Counter((k["tenant_id"], k["schedule"]) for m in messages for k in [_body_kwargs(m)])
    assert set(kwargs) == {(t.id, kind) for t in tenants for kind in _KINDS}
    assert set(kwargs.values()) == {1}
    assert client.llen("dispatch") == 0


_KINDS = ("sync_amazon_record", "update_order_status")


def _body_kwargs(message: dict) -> dict:
    import base64
    import json

    _args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    return kwargs
