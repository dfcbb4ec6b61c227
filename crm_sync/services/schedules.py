"""The two schedules of each tenant, daily at 23:55 in the tenant's time zone (manual §2),
and the Schedules page's rows.

Each schedule keeps its next moment in ``TenantSchedule.next_run_at`` (UTC); one beat entry
runs the dispatcher (crm_sync.services.dispatch), which claims the due rows and sends their
runs. No per-tenant beat entry: django-celery-beat re-reads and re-evaluates every entry each
tick, which stalls at 10,000 tenants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from crm_sync.models import ManualRunSlot, ScheduleKind, TenantSchedule
from history.models import SyncRun
from tenants.models import Tenant

RUN_AT = time(23, 55)
MANUAL_RUNS_PER_DAY = 2
SCHEDULED_TASK = "crm_sync.tasks.scheduled_run"


@dataclass(frozen=True)
class ScheduleRow:
    kind: str
    name: str
    last_run: SyncRun | None
    next_run: datetime | None
    frequency: str
    enabled: bool
    manual_runs_left: int
    manual_runs_allowed_again_at: datetime | None
    running: SyncRun | None


def _local_run(day, zone: ZoneInfo) -> datetime:
    """23:55 of ``day`` in ``zone`` as UTC. fold=0: on a night whose 23:55 happens twice
    (clocks go back at midnight, as America/Santiago's do) the first one; on a night where it
    does not exist (a gap) the moment as far past the gap as 23:55 was into it."""
    return datetime.combine(day, RUN_AT, tzinfo=zone).astimezone(UTC)


def next_run_after(*, time_zone: str, after: datetime) -> datetime:
    """The first daily 23:55 in ``time_zone`` strictly after ``after``, in UTC.

    Counted per local day, never by adding 24 hours: the instant of a day's 23:55 is fixed
    (see ``_local_run``), so a run dispatched at that instant, or later the same local night,
    gets the next local day's, and spring-forward and fall-back nights each fire exactly once.
    """
    zone = ZoneInfo(time_zone)
    day = after.astimezone(zone).date()
    for offset in range(3):
        candidate = _local_run(day + timedelta(days=offset), zone)
        if candidate > after:
            return candidate
    raise AssertionError("a local day always has a 23:55 after it")  # pragma: no cover


@transaction.atomic
def schedules_install(*, tenant: Tenant) -> None:
    """Both schedules, switched on, next at 23:55 tenant-local; safe to call again (an
    existing schedule keeps its switch and its next moment)."""
    now = timezone.now()
    for kind in ScheduleKind:
        schedule, created = TenantSchedule.objects.select_for_update().get_or_create(
            tenant=tenant,
            kind=kind,
            defaults={"next_run_at": next_run_after(time_zone=tenant.time_zone, after=now)},
        )
        if not created and schedule.enabled and schedule.next_run_at is None:
            schedule.next_run_at = next_run_after(time_zone=tenant.time_zone, after=now)
            schedule.save(update_fields=["next_run_at"])


@transaction.atomic
def schedules_retime(*, tenant: Tenant) -> None:
    """Keep the schedules at 23:55 local after the tenant's time zone changed."""
    TenantSchedule.objects.filter(tenant=tenant, enabled=True).update(
        next_run_at=next_run_after(time_zone=tenant.time_zone, after=timezone.now())
    )


@transaction.atomic
def schedule_set_enabled(*, tenant: Tenant, kind: str, enabled: bool) -> None:
    """Switch a schedule on (next 23:55 local) or off (no next run)."""
    schedule = TenantSchedule.objects.select_for_update().get(tenant=tenant, kind=kind)
    if schedule.enabled == enabled:
        return
    schedule.enabled = enabled
    schedule.next_run_at = (
        next_run_after(time_zone=tenant.time_zone, after=timezone.now()) if enabled else None
    )
    schedule.save(update_fields=["enabled", "next_run_at"])


def schedules_delete(*, tenant: Tenant) -> int:
    """Remove the tenant's schedules (uninstall): the dispatcher no longer sees them."""
    deleted, _ = TenantSchedule.objects.filter(tenant=tenant).delete()
    return deleted


def next_run_at(*, tenant: Tenant, now: datetime | None = None) -> datetime:
    """The next 23:55 in the tenant's zone, as an aware datetime in that zone."""
    after = now or timezone.now()
    return next_run_after(time_zone=tenant.time_zone, after=after).astimezone(
        ZoneInfo(tenant.time_zone)
    )


def tenant_today(*, tenant: Tenant, now: datetime | None = None):
    return (now or timezone.now()).astimezone(ZoneInfo(tenant.time_zone)).date()


def tenant_midnight_after(*, tenant: Tenant, now: datetime | None = None) -> datetime:
    zone = ZoneInfo(tenant.time_zone)
    tomorrow = tenant_today(tenant=tenant, now=now) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=zone)


def schedules_for_tenant(*, tenant: Tenant) -> list[ScheduleRow]:
    """The Schedules page: a handful of queries whatever the history size."""
    now = timezone.now()
    today = tenant_today(tenant=tenant, now=now)
    used = dict.fromkeys(ScheduleKind.values, 0)
    for slot in ManualRunSlot.objects.filter(tenant=tenant, local_date=today):
        used[slot.schedule] += 1
    stored = {
        kind: (enabled, next_at)
        for kind, enabled, next_at in TenantSchedule.objects.filter(tenant=tenant).values_list(
            "kind", "enabled", "next_run_at"
        )
    }
    zone = ZoneInfo(tenant.time_zone)
    rows = []
    for kind in ScheduleKind:
        runs = SyncRun.objects.filter(tenant=tenant, schedule=kind.value)
        running = runs.filter(outcome=SyncRun.Outcome.RUNNING).order_by("-started_at").first()
        last = runs.exclude(outcome=SyncRun.Outcome.RUNNING).order_by("-started_at").first()
        left = max(0, MANUAL_RUNS_PER_DAY - used[kind.value])
        is_enabled, next_at = stored.get(kind.value, (False, None))
        rows.append(
            ScheduleRow(
                kind=kind.value,
                name=kind.label,
                last_run=last,
                # The dispatcher's own column: what fires is what the page shows.
                next_run=next_at.astimezone(zone) if next_at is not None else None,
                frequency="Daily",
                enabled=is_enabled,
                manual_runs_left=left,
                manual_runs_allowed_again_at=(
                    tenant_midnight_after(tenant=tenant, now=now) if left == 0 else None
                ),
                running=running,
            )
        )
    return rows
