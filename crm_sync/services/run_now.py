"""Run Now: at most two manual runs per schedule per tenant-local day.

The limit lives in the database (ManualRunSlot's unique constraint on tenant, schedule, day
and slot 1 or 2), so concurrent clicks, on any number of web processes, cannot make a third.
A click that finds a run in progress does not use up a slot.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from crm_sync.models import ManualRunSlot, ScheduleKind
from crm_sync.services.enqueue import run_execution_enqueue
from crm_sync.services.runs import sync_run_start
from crm_sync.services.schedules import (
    MANUAL_RUNS_PER_DAY,
    tenant_midnight_after,
    tenant_today,
)
from crm_sync.services.setup import setup_problems
from crm_sync.services.skips import live_run, sync_run_skipped
from history.models import SyncRun
from tenants.models import Tenant


class RunNowRefusedError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def run_now(*, tenant: Tenant, kind: str, user) -> SyncRun:
    kind = ScheduleKind(kind).value
    problems = setup_problems(tenant=tenant)
    if problems:  # the run could only fail; the Schedules page's banner links the fix
        raise RunNowRefusedError(
            " ".join(p.message for p in problems) + " Finish the set-up first."
        )
    today = tenant_today(tenant=tenant)
    with transaction.atomic():
        for slot in range(1, MANUAL_RUNS_PER_DAY + 1):
            try:
                with transaction.atomic():
                    ManualRunSlot.objects.create(
                        tenant=tenant, schedule=kind, local_date=today, slot=slot, used_by=user
                    )
                break
            except IntegrityError:
                continue
        else:
            again = tenant_midnight_after(tenant=tenant)
            raise RunNowRefusedError(
                f"Run Now is allowed {MANUAL_RUNS_PER_DAY} times a day for "
                f"{ScheduleKind(kind).label}, and both have been used today. It is allowed "
                f"again from {again:%H:%M} on {again:%d %b %Y} ({tenant.time_zone})."
            )
        run = sync_run_start(
            tenant=tenant, schedule=kind, trigger=SyncRun.Trigger.MANUAL, user=user
        )
        if run.outcome == SyncRun.Outcome.SKIPPED:
            # Give the slot back: nothing ran.
            transaction.set_rollback(True)
    if run.outcome == SyncRun.Outcome.SKIPPED:
        # Recorded again outside the rolled-back transaction; a burst of clicks while one
        # run is live makes one Skipped row that counts them.
        live = live_run(tenant=tenant)
        if live is None:  # it ended meanwhile: the click still did not run
            return run
        return sync_run_skipped(
            tenant=tenant, schedule=kind, trigger=SyncRun.Trigger.MANUAL, user=user, live=live
        )
    run_execution_enqueue(run_id=run.pk)
    return run
