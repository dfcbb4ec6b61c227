"""Fair workers: a big tenant's run never takes the worker pool from the small ones.

How runs are queued (see README, "Fair workers"):

* ``dispatch``: the beat's ticks (the dispatcher, the watchdog). Tiny; give it a worker
  process of its own in production so 23:55 is never late behind a sync.
* ``celery``: the triggers, the daily runs of ordinary tenants, the emails. FIFO.
* ``backlog``: runs expected to be large: a schedule's first run (it reads
  ``SYNC_FIRST_RUN_LOOKBACK_DAYS``), a catch-up whose cursor is older than
  ``SYNC_BACKLOG_AFTER_HOURS``, or a tenant whose last run of that schedule listed at least
  ``SYNC_BACKLOG_ORDERS`` orders. At most ``SYNC_BACKLOG_CONCURRENCY`` of them execute at
  once (the *backlog lane*); another one waits outside the pool (an ETA message re-sent every
  ``LANE_WAIT_SECONDS``), so the other worker processes always serve the daily runs.

Each tenant already runs one run at a time (crm_sync.services.runs), so one tenant never
holds more than one process whatever it has queued.

The lane's holders are kept in the cache (Redis in production, shared by every worker
process) and checked against the database: a holder whose run ended or whose lease went
stale (its worker died) frees its place by itself.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from crm_sync.models import SyncCursor
from history.models import SyncRun

LANE_KEY = "sync:backlog-lane:{db}"  # per database: deployments may share one Redis
LANE_MUTEX = "sync:backlog-lane:{db}:mutex"
LANE_WAIT_SECONDS = 30  # well inside the lease, so the watchdog leaves a waiting run alone
RUNS_QUEUE = "celery"
BACKLOG_QUEUE = "backlog"


def run_is_backlog(*, run_id: int) -> bool:
    """Whether the run is expected to be large (see the module docstring)."""
    run = SyncRun.objects.filter(pk=run_id).values("tenant_id", "schedule").first()
    if run is None:
        return False
    watermarks = list(
        SyncCursor.objects.filter(tenant_id=run["tenant_id"], schedule=run["schedule"]).values_list(
            "watermark", flat=True
        )
    )
    if not watermarks:
        return True
    if min(watermarks) < timezone.now() - timedelta(hours=settings.SYNC_BACKLOG_AFTER_HOURS):
        return True
    last_listed = (
        SyncRun.objects.filter(tenant_id=run["tenant_id"], schedule=run["schedule"])
        .exclude(pk=run_id)
        .exclude(outcome__in=[SyncRun.Outcome.RUNNING, SyncRun.Outcome.SKIPPED])
        .order_by("-started_at", "-id")
        .values_list("orders_fetched", flat=True)
        .first()
    )
    return (last_listed or 0) >= settings.SYNC_BACKLOG_ORDERS


def run_queue(*, run_id: int) -> str:
    return BACKLOG_QUEUE if run_is_backlog(run_id=run_id) else RUNS_QUEUE


def _key(template: str) -> str:
    return template.format(db=settings.DATABASES["default"]["NAME"])


class _Mutex:
    """A short cache lock around the lane's read-prune-add (held for milliseconds)."""

    def __enter__(self) -> None:
        self.token = uuid.uuid4().hex
        deadline = time.monotonic() + 10
        while not cache.add(_key(LANE_MUTEX), self.token, timeout=10):
            if time.monotonic() > deadline:
                raise TimeoutError("the backlog lane's lock is held too long")
            time.sleep(0.02)

    def __exit__(self, *exc_info: object) -> None:
        if cache.get(_key(LANE_MUTEX)) == self.token:
            cache.delete(_key(LANE_MUTEX))


def _live(run_ids: list[int]) -> list[int]:
    fresh = timezone.now() - timedelta(seconds=settings.SYNC_RUN_LEASE_SECONDS)
    alive = set(
        SyncRun.objects.filter(
            pk__in=run_ids, outcome=SyncRun.Outcome.RUNNING, heartbeat_at__gte=fresh
        ).values_list("pk", flat=True)
    )
    return [pk for pk in run_ids if pk in alive]


def backlog_lane_enter(*, run_id: int) -> bool:
    """Take (or keep) a place in the backlog lane; False when it is full."""
    with _Mutex():
        holders = _live(list(cache.get(_key(LANE_KEY)) or []))
        if run_id not in holders:
            if len(holders) >= max(1, settings.SYNC_BACKLOG_CONCURRENCY):
                cache.set(_key(LANE_KEY), holders, timeout=None)
                return False
            holders.append(run_id)
        cache.set(_key(LANE_KEY), holders, timeout=None)
        return True


def backlog_lane_holders() -> list[int]:
    return _live(list(cache.get(_key(LANE_KEY)) or []))


def run_admitted(*, run_id: int) -> bool:
    """Whether the run may execute now. A backlog run finding the lane full is kept alive
    for the watchdog (its heartbeat touched while nobody holds it) and must wait."""
    if not run_is_backlog(run_id=run_id) or backlog_lane_enter(run_id=run_id):
        return True
    SyncRun.objects.filter(pk=run_id, outcome=SyncRun.Outcome.RUNNING, lease_owner="").update(
        heartbeat_at=timezone.now()
    )
    return False
