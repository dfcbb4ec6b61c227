"""The two schedules of each tenant as django-celery-beat tasks, daily at 23:55 in the
tenant's time zone (manual §2), and the Schedules page's rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

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


def _crontab(tenant: Tenant) -> CrontabSchedule:
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(RUN_AT.minute),
        hour=str(RUN_AT.hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=ZoneInfo(tenant.time_zone),
    )
    return crontab


def _task_name(tenant: Tenant, kind: str) -> str:
    return f"tenant {tenant.pk}: {ScheduleKind(kind).label}"


@transaction.atomic
def schedules_install(*, tenant: Tenant) -> None:
    """One PeriodicTask per schedule; safe to call again."""
    crontab = _crontab(tenant)
    for kind in ScheduleKind:
        schedule, _ = TenantSchedule.objects.get_or_create(tenant=tenant, kind=kind)
        task, _ = PeriodicTask.objects.update_or_create(
            name=_task_name(tenant, kind),
            defaults={
                "task": SCHEDULED_TASK,
                "crontab": crontab,
                "kwargs": json.dumps({"tenant_id": tenant.pk, "schedule": kind.value}),
                "enabled": schedule.enabled,
                "description": f"{kind.label} for {tenant.name}, daily at 23:55 {tenant.time_zone}",
            },
        )
        if schedule.periodic_task_id != task.pk:
            schedule.periodic_task = task
            schedule.save(update_fields=["periodic_task"])


@transaction.atomic
def schedules_retime(*, tenant: Tenant) -> None:
    """Keep the tasks at 23:55 local after the tenant's time zone changed."""
    crontab = _crontab(tenant)
    for schedule in TenantSchedule.objects.filter(tenant=tenant).select_related("periodic_task"):
        if schedule.periodic_task is not None:
            schedule.periodic_task.crontab = crontab
            schedule.periodic_task.description = f"{schedule.get_kind_display()} for {tenant.name}, daily at 23:55 {tenant.time_zone}"
            schedule.periodic_task.save()


@transaction.atomic
def schedule_set_enabled(*, tenant: Tenant, kind: str, enabled: bool) -> None:
    schedule = TenantSchedule.objects.select_for_update().get(tenant=tenant, kind=kind)
    schedule.enabled = enabled
    schedule.save(update_fields=["enabled"])
    if schedule.periodic_task_id:
        task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
        task.enabled = enabled
        task.save()


def schedules_delete(*, tenant: Tenant) -> int:
    task_ids = list(
        TenantSchedule.objects.filter(tenant=tenant).values_list("periodic_task_id", flat=True)
    )
    deleted, _ = PeriodicTask.objects.filter(pk__in=[t for t in task_ids if t]).delete()
    return deleted


def next_run_at(*, tenant: Tenant, now: datetime | None = None) -> datetime:
    """The next 23:55 in the tenant's zone, as an aware datetime in that zone."""
    zone = ZoneInfo(tenant.time_zone)
    local_now = (now or timezone.now()).astimezone(zone)
    candidate = datetime.combine(local_now.date(), RUN_AT, tzinfo=zone)
    if candidate <= local_now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), RUN_AT, tzinfo=zone)
    return candidate


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
    enabled = dict(TenantSchedule.objects.filter(tenant=tenant).values_list("kind", "enabled"))
    rows = []
    for kind in ScheduleKind:
        runs = SyncRun.objects.filter(tenant=tenant, schedule=kind.value)
        running = runs.filter(outcome=SyncRun.Outcome.RUNNING).order_by("-started_at").first()
        last = runs.exclude(outcome=SyncRun.Outcome.RUNNING).order_by("-started_at").first()
        left = max(0, MANUAL_RUNS_PER_DAY - used[kind.value])
        is_enabled = enabled.get(kind.value, False)
        rows.append(
            ScheduleRow(
                kind=kind.value,
                name=kind.label,
                last_run=last,
                next_run=next_run_at(tenant=tenant, now=now) if is_enabled else None,
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
