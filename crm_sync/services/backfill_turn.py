"""Whose turn it is to write a tenant's orders: a backfill, or the tenant's other runs.

A backfill takes hours (Amazon prepares each report for up to 30 minutes, and createReport
allows one report a minute after a burst of 15), so it must not hold the tenant the whole
time: the daily schedules would wait for it, or be skipped. Instead it holds the tenant one
*batch* at a time (at most ``crm_sync.sources.reports.BATCH_ORDERS`` orders staged, written
and checkpointed, and never while it waits for Amazon to prepare a report):

* ``enter`` — under the tenant row lock that ``sync_run_start`` takes too — waits while any
  other run of the tenant is running, then sets ``Backfill.in_batch_since``;
* ``sync_run_start`` treats a backfill *in a batch* (with a live lease) as a running run, so
  a daily run that comes then waits (it retries every minute) for at most one batch; a
  backfill between batches, or waiting for Amazon's reports, blocks nobody;
* ``leave`` clears the flag after the batch's checkpoint. The backfill then waits for any
  run that started meanwhile before it takes its next batch.

So two pipelines never write one tenant's orders at once (no duplicate contacts, no staged
rows of one deleted by the other), and neither waits longer than one batch of the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm_sync.models import Backfill
from history.models import SyncRun
from tenants.models import Tenant

WAIT_POLL_SECONDS = 2.0


def other_run_running(*, tenant_id: int) -> bool:
    return (
        SyncRun.objects.filter(tenant_id=tenant_id, outcome=SyncRun.Outcome.RUNNING)
        .exclude(trigger=SyncRun.Trigger.BACKFILL)
        .exists()
    )


def backfill_in_batch(*, tenant_id: int) -> SyncRun | None:
    """The backfill run of the tenant that is writing a batch now (its lease alive), if any:
    a new run of the tenant waits for it (``sync_run_start``)."""
    expiry = timezone.now() - timedelta(seconds=settings.SYNC_RUN_LEASE_SECONDS)
    backfill = (
        Backfill.objects.filter(
            tenant_id=tenant_id,
            in_batch_since__isnull=False,
            run__outcome=SyncRun.Outcome.RUNNING,
            run__heartbeat_at__gte=expiry,
        )
        .select_related("run")
        .first()
    )
    return backfill.run if backfill else None


class BackfillTurn:
    """Enter and leave batches for one backfill. ``stop()`` is asked while waiting (a
    cancelled backfill stops waiting); ``sleep`` is injectable for tests."""

    def __init__(
        self,
        *,
        backfill_id: int,
        tenant_id: int,
        stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.backfill_id = backfill_id
        self.tenant_id = tenant_id
        self._stop = stop
        self._sleep = sleep
        self.inside = False
        self.waited_seconds = 0.0

    def enter(self) -> bool:
        """Wait until no other run of the tenant is running, then hold the tenant for one
        batch. False: asked to stop while waiting."""
        while True:
            with transaction.atomic():
                Tenant.objects.select_for_update().filter(pk=self.tenant_id).first()
                if not other_run_running(tenant_id=self.tenant_id):
                    Backfill.objects.filter(pk=self.backfill_id).update(
                        in_batch_since=timezone.now()
                    )
                    self.inside = True
                    return True
            if self._stop():
                return False
            started = time.monotonic()
            self._sleep(WAIT_POLL_SECONDS)
            self.waited_seconds += time.monotonic() - started

    def leave(self) -> None:
        Backfill.objects.filter(pk=self.backfill_id).update(in_batch_since=None)
        self.inside = False
