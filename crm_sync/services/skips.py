"""Skipped runs: a trigger that finds a run of the tenant still live is recorded as one
*Skipped* row per tenant, schedule and live run, counting the triggers, instead of one row per
click (a burst of Run Now clicks used to write 45–49 rows to Amazon Sync History)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from history.models import SyncRun
from tenants.models import Tenant

_COUNTED = re.compile(r"^Skipped(?: (\d+) times)?(: .*)$", re.DOTALL)


def skip_message(*, live: SyncRun, tenant: Tenant) -> str:
    """Why a trigger was skipped; names the live run (its schedule and local start time)."""
    from zoneinfo import ZoneInfo

    local = timezone.localtime(live.started_at, ZoneInfo(tenant.time_zone))
    return (
        f"Skipped: already running ({live.get_schedule_display()} started "
        f"{local:%H:%M} {tenant.time_zone})."
    )


def live_run(*, tenant: Tenant) -> SyncRun | None:
    """The latest run of the tenant still running (what a skipped trigger waited for)."""
    return (
        SyncRun.objects.filter(tenant=tenant, outcome=SyncRun.Outcome.RUNNING)
        .order_by("-started_at")
        .first()
    )


@transaction.atomic
def sync_run_skipped(
    *, tenant: Tenant, schedule: str, trigger: str, user=None, live: SyncRun
) -> SyncRun:
    """Record a trigger skipped because ``live`` is running: the Skipped row of this
    schedule made since ``live`` started, if any, counts one more trigger; else a new row
    is made."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # concurrent clicks queue
    message = skip_message(live=live, tenant=tenant)
    matched = _COUNTED.match(message)
    reason = matched.group(2) if matched else f": {message}"
    now = timezone.now()
    earlier = (
        SyncRun.objects.select_for_update()
        .filter(
            tenant=tenant,
            schedule=schedule,
            outcome=SyncRun.Outcome.SKIPPED,
            started_at__gte=live.started_at,
            error__startswith="Skipped",
            error__endswith=reason,
        )
        .order_by("-started_at")
        .first()
    )
    if earlier is not None:
        counted = _COUNTED.match(earlier.error)
        times = int(counted.group(1) or 1) + 1 if counted else 2
        earlier.error = f"Skipped {times} times{reason}"
        earlier.finished_at = now
        earlier.save(update_fields=["error", "finished_at"])
        return earlier
    return SyncRun.objects.create(
        tenant=tenant,
        schedule=schedule,
        trigger=trigger,
        triggered_by=user,
        started_at=now,
        finished_at=now,
        outcome=SyncRun.Outcome.SKIPPED,
        error=f"Skipped{reason}",
    )
