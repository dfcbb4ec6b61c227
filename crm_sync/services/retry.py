"""After a failed run: its Retry button, and the Run Now slot it gives back.

* Retry re-runs the failed run's schedule (or its replay) as a tracked run with trigger
  "Retry"; it does not use Run Now's allowance (the failure was not the user's doing).
* A Run Now that failed before writing anything gives its slot back: the user got nothing
  for it.
"""

from __future__ import annotations

from django.db import transaction

from crm_sync.models import ManualRunSlot
from crm_sync.services.enqueue import run_execution_enqueue
from crm_sync.services.runs import sync_run_start
from crm_sync.services.schedules import tenant_today
from crm_sync.services.setup import setup_problems
from history.models import SyncRun
from tenants.models import Tenant

SLOT_RETURNED_NOTE = "This Run Now failed before writing anything, so it was not counted."
WRITE_COUNTERS = (
    "orders_created",
    "orders_updated",
    "products_created",
    "products_updated",
    "contacts_created",
    "contacts_updated",
)


class RetryRefusedError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def wrote_nothing(run: SyncRun) -> bool:
    return not any(getattr(run, name) for name in WRITE_COUNTERS)


def can_retry(run: SyncRun) -> bool:
    return run.outcome == SyncRun.Outcome.FAILED


def run_retry(*, tenant: Tenant, user, run: SyncRun) -> SyncRun:
    """Start the Retry of a failed run; the worker gets it on commit."""
    if run.tenant_id != tenant.id or not can_retry(run):
        raise RetryRefusedError(f"Run #{run.pk} did not fail, so there is nothing to retry.")
    problems = setup_problems(tenant=tenant)
    if problems:
        raise RetryRefusedError(
            " ".join(p.message for p in problems) + " Finish the set-up, then retry."
        )
    with transaction.atomic():
        retry = sync_run_start(
            tenant=tenant,
            schedule=run.schedule,
            trigger=SyncRun.Trigger.REPLAY
            if run.trigger == SyncRun.Trigger.REPLAY
            else SyncRun.Trigger.RETRY,
            user=user,
        )
        if run.replay_order_ids:
            retry.replay_order_ids = list(run.replay_order_ids)
            retry.save(update_fields=["replay_order_ids"])
        if retry.outcome == SyncRun.Outcome.RUNNING:
            run_execution_enqueue(run_id=retry.pk)
    return retry


@transaction.atomic
def manual_slot_give_back(*, run_id: int) -> bool:
    """Give a failed Run Now's slot back if it wrote nothing; True when given back. Safe to
    call again (the run's note says it was done)."""
    run = SyncRun.objects.select_for_update().select_related("tenant").filter(pk=run_id).first()
    if (
        run is None
        or run.trigger != SyncRun.Trigger.MANUAL
        or run.outcome != SyncRun.Outcome.FAILED
        or not wrote_nothing(run)
        or SLOT_RETURNED_NOTE in (run.notes or [])
    ):
        return False
    day = tenant_today(tenant=run.tenant, now=run.started_at)
    slot = (
        ManualRunSlot.objects.filter(tenant_id=run.tenant_id, schedule=run.schedule, local_date=day)
        .order_by("-slot")
        .first()
    )
    if slot is None:
        return False
    slot.delete()
    run.notes = [*(run.notes or []), SLOT_RETURNED_NOTE]
    run.save(update_fields=["notes"])
    return True
