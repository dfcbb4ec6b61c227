"""The dispatcher: one beat entry sends every tenant's 23:55 run.

django-celery-beat keeps a few entries only (this one and the watchdog); the per-tenant
moments live in ``TenantSchedule.next_run_at`` behind a partial index. Each tick:

1. *Claim* up to ``CLAIM_BATCH`` due rows, oldest first, in one transaction: rows locked
   ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's IMMEDIATE transactions serialise the
   writers), and moved to their next 23:55 local before the transaction commits. A second
   dispatcher (two beats by mistake, a retried or late tick) skips the locked rows and, once
   they commit, no longer finds them due: a schedule is sent at most once per due moment.
2. *Send* the claimed runs in bulk over one broker connection, after the commit. A batch the
   broker refused is put back (``next_run_at`` restored where nobody moved it since), so the
   next tick sends it: a broker outage delays runs, never drops them.
3. Repeat until nothing is due or ``TICK_BUDGET_SECONDS`` is used; the next tick goes on.

A schedule found due long after its moment (the dispatcher was down) runs once, not once
per missed night: its next moment is computed from now.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from crm_sync.models import TenantSchedule
from crm_sync.services.enqueue import scheduled_run_publish
from crm_sync.services.schedules import next_run_after

logger = logging.getLogger(__name__)

CLAIM_BATCH = 500
TICK_BUDGET_SECONDS = 40.0


@dataclass(frozen=True)
class DueRun:
    """One claimed schedule: the run to send, and the moment it was due (UTC)."""

    schedule_id: int
    tenant_id: int
    kind: str
    due_at: datetime
    next_at: datetime


@dataclass(frozen=True)
class DispatchReport:
    sent: int
    batches: int
    put_back: int
    oldest_due_at: datetime | None


Sender = Callable[[Sequence[DueRun]], None]


class PartialSendError(Exception):
    """The broker took the first ``done`` runs of a batch, then failed."""

    def __init__(self, done: int) -> None:
        super().__init__(f"sent {done} runs, then the broker failed")
        self.done = done


def schedules_claim_due(*, now: datetime, limit: int = CLAIM_BATCH) -> list[DueRun]:
    """Claim up to ``limit`` schedules due at ``now``: move each to its next 23:55 local and
    return what was due. Rows another dispatcher holds are skipped, not waited for."""
    locking = TenantSchedule.objects.select_for_update(
        skip_locked=True, of=("self",) if connection.features.has_select_for_update_of else ()
    )
    with transaction.atomic():
        rows = list(
            locking.filter(next_run_at__lte=now)
            .order_by("next_run_at", "id")
            .values_list("id", "tenant_id", "kind", "next_run_at", "tenant__time_zone")[:limit]
        )
        by_next: dict[datetime, list[int]] = defaultdict(list)
        claimed = []
        next_in_zone: dict[str, datetime] = {}
        for schedule_id, tenant_id, kind, due_at, zone in rows:
            if zone not in next_in_zone:
                next_in_zone[zone] = next_run_after(time_zone=zone, after=now)
            by_next[next_in_zone[zone]].append(schedule_id)
            claimed.append(DueRun(schedule_id, tenant_id, kind, due_at, next_in_zone[zone]))
        for next_at, ids in by_next.items():
            # The due condition again: under READ COMMITTED it is re-checked on the row as
            # committed, so a row another transaction already moved is left alone.
            TenantSchedule.objects.filter(id__in=ids, next_run_at__lte=now).update(
                next_run_at=next_at, last_dispatched_at=now
            )
    return claimed


def _put_back(runs: Sequence[DueRun]) -> int:
    """Undo the claim of runs the broker did not take, unless the schedule changed since
    (switched off, retimed, or already claimed again)."""
    restored = 0
    with transaction.atomic():
        for run in runs:
            restored += TenantSchedule.objects.filter(
                id=run.schedule_id, next_run_at=run.next_at
            ).update(next_run_at=run.due_at)
    return restored


def publish_scheduled_runs(runs: Sequence[DueRun], *, connection=None) -> None:
    """Send ``crm_sync.tasks.scheduled_run(tenant_id, schedule)`` for each run over one
    producer (one broker connection, no per-message set-up): the app's pool, or
    ``connection`` when given."""
    from contextlib import nullcontext

    from config.celery_app import app

    done = 0
    try:
        with (
            nullcontext(app.amqp.Producer(connection))
            if connection is not None
            else app.producer_or_acquire()
        ) as producer:
            for run in runs:
                scheduled_run_publish(tenant_id=run.tenant_id, schedule=run.kind, producer=producer)
                done += 1
    except Exception as exc:
        raise PartialSendError(done) from exc


def schedules_dispatch(
    *,
    now: Callable[[], datetime] = timezone.now,
    send: Sender = publish_scheduled_runs,
    batch: int = CLAIM_BATCH,
    budget_seconds: float = TICK_BUDGET_SECONDS,
) -> DispatchReport:
    """One dispatcher tick: claim and send every due schedule, batch by batch."""
    started = time.monotonic()
    sent = batches = put_back = 0
    oldest = None
    while time.monotonic() - started < budget_seconds:
        claimed = schedules_claim_due(now=now(), limit=batch)
        if not claimed:
            break
        batches += 1
        oldest = oldest or claimed[0].due_at
        try:
            send(claimed)
        except Exception as exc:
            done = exc.done if isinstance(exc, PartialSendError) else 0
            sent += done
            put_back += _put_back(claimed[done:])
            logger.exception(
                "dispatcher: the broker refused %s runs; they are sent at the next tick",
                len(claimed) - done,
            )
            break
        sent += len(claimed)
        if len(claimed) < batch:
            break
    if sent:
        logger.info("dispatcher: sent %s scheduled runs in %s batches", sent, batches)
    return DispatchReport(sent=sent, batches=batches, put_back=put_back, oldest_due_at=oldest)
