"""Starting, claiming and finishing runs: one run per tenant at a time.

A run holds a lease refreshed by its heartbeat. A run whose heartbeat is older than
RUN_STALE_AFTER belongs to a worker that died; the next trigger marks it interrupted and
starts afresh, and since every page is checkpointed the new run resumes where it stopped.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from history.models import SyncRun
from tenants.models import Tenant

RUN_STALE_AFTER = timedelta(seconds=getattr(settings, "SYNC_RUN_STALE_SECONDS", 600))


def _is_stale(run: SyncRun, now) -> bool:
    return (run.heartbeat_at or run.started_at) < now - RUN_STALE_AFTER


@transaction.atomic
def sync_run_start(
    *, tenant: Tenant, schedule: str, trigger: str, user=None, record_skip: bool = True
) -> SyncRun | None:
    """Open a run. When another run of this tenant is alive, record a skipped run, or with
    ``record_skip=False`` return None (the caller will try again later)."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    now = timezone.now()
    live = None
    for active in SyncRun.objects.filter(tenant=tenant, outcome=SyncRun.Outcome.RUNNING):
        if _is_stale(active, now):
            active.outcome = SyncRun.Outcome.FAILED
            active.finished_at = now
            active.error = (
                "Interrupted: the worker running it stopped. The next run continued from the "
                "last saved page; nothing was lost."
            )
            active.save(update_fields=["outcome", "finished_at", "error"])
        else:
            live = active
    common = {"tenant": tenant, "schedule": schedule, "trigger": trigger, "triggered_by": user}
    if live is not None and not record_skip:
        return None
    if live is not None:
        local = timezone.localtime(live.started_at, _zone(tenant))
        return SyncRun.objects.create(
            **common,
            started_at=now,
            finished_at=now,
            outcome=SyncRun.Outcome.SKIPPED,
            error=(
                f"Skipped: already running ({live.get_schedule_display()} started "
                f"{local:%H:%M} {tenant.time_zone})."
            ),
        )
    return SyncRun.objects.create(**common, started_at=now, heartbeat_at=now)


def sync_run_claim(*, run_id: int, task_id: str) -> SyncRun | None:
    """Take the run for this task. A redelivered task (same id, after a worker died) takes
    it back; a second copy of a live run does not."""
    now = timezone.now()
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.outcome != SyncRun.Outcome.RUNNING:
            return None
        fresh_elsewhere = run.task_id and run.task_id != task_id and not _is_stale(run, now)
        if fresh_elsewhere:
            return None
        run.task_id = task_id
        run.heartbeat_at = now
        run.save(update_fields=["task_id", "heartbeat_at"])
        return run


def sync_run_heartbeat(*, run_id: int, api_calls: dict | None = None) -> None:
    fields = {"heartbeat_at": timezone.now()}
    if api_calls is not None:
        fields["api_calls"] = api_calls
    SyncRun.objects.filter(pk=run_id, outcome=SyncRun.Outcome.RUNNING).update(**fields)


def sync_run_finish(
    *,
    run_id: int,
    failed_with: str = "",
    notes: list[str] | None = None,
    api_calls: dict | None = None,
    failures: list[str] | None = None,
) -> SyncRun:
    """Close the run with its outcome, decided from the counts the pages recorded."""
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().get(pk=run_id)
        if run.outcome != SyncRun.Outcome.RUNNING:
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
            run.error = failed_with
        elif run.records_failed:
            run.outcome = SyncRun.Outcome.PARTIAL
            shown = (failures or [])[:20]
            more = run.records_failed - len(shown)
            run.error = f"{run.records_failed} record(s) could not be written to Zoho CRM:\n" + (
                "\n".join(shown) + (f"\n… and {more} more." if more > 0 else "")
            )
        elif changed == 0:
            run.outcome = SyncRun.Outcome.NO_ORDERS
        else:
            run.outcome = SyncRun.Outcome.SUCCESS
        run.save()
    return run


def _zone(tenant: Tenant):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tenant.time_zone)
