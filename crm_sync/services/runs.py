"""Starting, claiming and finishing runs: one run per tenant at a time, one executor per run.

A run holds a lease (``lease_owner`` + ``heartbeat_at``, see crm_sync.services.lease). A run
whose lease holder stopped renewing belongs to a worker that died: the watchdog
(``sync_runs_recover``) or the next trigger sends it again, and since every batch is
checkpointed the new attempt resumes where the dead one stopped.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm_sync.services.backfill_turn import backfill_in_batch
from crm_sync.services.enqueue import run_execution_enqueue
from crm_sync.services.skips import sync_run_skipped
from history.models import SyncRun
from tenants.models import Tenant


def _lease_expiry() -> timedelta:
    return timedelta(seconds=settings.SYNC_RUN_LEASE_SECONDS)


def _is_stale(run: SyncRun, now) -> bool:
    return (run.heartbeat_at or run.started_at) < now - _lease_expiry()


@transaction.atomic
def sync_run_start(
    *, tenant: Tenant, schedule: str, trigger: str, user=None, record_skip: bool = True
) -> SyncRun | None:
    """Open a run. When another run of this tenant is alive, record a skipped run, or with
    ``record_skip=False`` return None (the caller will try again later)."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    now = timezone.now()
    # A backfill holds the tenant only while it writes a batch (services.backfill_turn).
    live = (
        SyncRun.objects.filter(tenant=tenant, outcome=SyncRun.Outcome.RUNNING)
        .exclude(trigger=SyncRun.Trigger.BACKFILL)
        .first()
    ) or backfill_in_batch(tenant_id=tenant.pk)
    if live is not None and _is_stale(live, now):
        # Its worker died: send it again (it resumes from its checkpoints) and let this
        # trigger wait or skip as for any live run.
        _resend(live, now)
    common = {"tenant": tenant, "schedule": schedule, "trigger": trigger, "triggered_by": user}
    if live is not None and not record_skip:
        return None
    if live is not None:
        return sync_run_skipped(
            tenant=tenant,
            schedule=schedule,
            trigger=trigger,
            user=user,
            live=live,
        )
    return SyncRun.objects.create(**common, started_at=now, heartbeat_at=now)


def sync_run_claim(*, run_id: int, executor: str) -> SyncRun | None:
    """Take the run's lease for this execution attempt. Refused (None) when the run is over
    or another executor holds a live lease: a second copy of a live run stops at once."""
    now = timezone.now()
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.outcome != SyncRun.Outcome.RUNNING:
            return None
        if run.lease_owner and run.lease_owner != executor and not _is_stale(run, now):
            return None
        run.lease_owner = executor
        run.heartbeat_at = now
        run.save(update_fields=["lease_owner", "heartbeat_at"])
        return run


def sync_run_heartbeat(*, run_id: int, executor: str, api_calls: dict | None = None) -> bool:
    """Renew the lease; False when this executor no longer holds it."""
    fields: dict = {"heartbeat_at": timezone.now()}
    if api_calls is not None:
        fields["api_calls"] = api_calls
    return bool(
        SyncRun.objects.filter(
            pk=run_id, outcome=SyncRun.Outcome.RUNNING, lease_owner=executor
        ).update(**fields)
    )


def sync_run_is_running(*, run_id: int) -> bool:
    return SyncRun.objects.filter(pk=run_id, outcome=SyncRun.Outcome.RUNNING).exists()


def sync_run_release(*, run_id: int, executor: str) -> None:
    """Give the lease up (before a retry), so the next attempt need not wait for it to expire."""
    SyncRun.objects.filter(pk=run_id, lease_owner=executor).update(lease_owner="")


def _resend(run: SyncRun, now) -> None:
    SyncRun.objects.filter(pk=run.pk).update(lease_owner="", heartbeat_at=now)
    run_execution_enqueue(run_id=run.pk)


def sync_runs_recover() -> list[int]:
    """The watchdog: send again every running run whose lease expired (its worker died, or
    its message was lost). Returns their ids."""
    now = timezone.now()
    recovered = []
    with transaction.atomic():
        stale = SyncRun.objects.select_for_update(skip_locked=True).filter(
            outcome=SyncRun.Outcome.RUNNING, heartbeat_at__lt=now - _lease_expiry()
        )
        for run in stale:
            _resend(run, now)
            recovered.append(run.pk)
    return recovered


def sync_run_finish(
    *,
    run_id: int,
    executor: str | None = None,
    failed_with: str = "",
    notes: list[str] | None = None,
    api_calls: dict | None = None,
    failures: list[str] | None = None,
    cancelled: bool = False,
) -> SyncRun:
    """Close the run with its outcome, decided from the counts the pages recorded
    (``cancelled``: the user stopped it, a backfill; what it wrote stays). With an
    ``executor``, only while it still holds the run (a superseded copy closes nothing)."""
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().get(pk=run_id)
        if run.outcome != SyncRun.Outcome.RUNNING:
            return run
        if executor is not None and run.lease_owner != executor:
            return run
        run.finished_at = timezone.now()
        if notes:
            run.notes = list(run.notes) + notes
        if api_calls is not None:
            run.api_calls = api_calls
        changed = (
            run.orders_created
            + run.orders_updated
            + run.products_created
            + (run.products_updated + run.contacts_created + run.contacts_updated)
        )
        if failed_with:
            run.outcome = SyncRun.Outcome.FAILED
            run.error = f"{failed_with} {written_before_the_error(run)}"
        elif run.records_failed:
            run.outcome = SyncRun.Outcome.CANCELLED if cancelled else SyncRun.Outcome.PARTIAL
            shown = (failures or [])[:20]
            more = run.records_failed - len(shown)
            run.error = f"{run.records_failed} record(s) could not be written to Zoho CRM:\n" + (
                "\n".join(shown) + (f"\n… and {more} more." if more > 0 else "")
            )
        elif cancelled:
            run.outcome = SyncRun.Outcome.CANCELLED
        elif changed == 0:
            run.outcome = SyncRun.Outcome.NO_ORDERS
        else:
            run.outcome = SyncRun.Outcome.SUCCESS
        run.save()
    return run


def written_before_the_error(run: SyncRun) -> str:
    """What a failed run leaves in Zoho, from its counts (a failed run's message must not
    claim Zoho holds what it does not)."""
    orders = run.orders_created + run.orders_updated
    others = run.products_created + run.products_updated
    others += run.contacts_created + run.contacts_updated
    if orders:
        return (
            f"{orders} order{'s were' if orders != 1 else ' was'} written to Zoho CRM before "
            "the error; the next run continues from there."
        )
    if others:
        return (
            f"No sales order was written to Zoho CRM ({others} product and contact record"
            f"{'s' if others != 1 else ''} were); the next run starts again from the same "
            "orders."
        )
    return "Nothing was written to Zoho CRM; the next run starts again from the same orders."
