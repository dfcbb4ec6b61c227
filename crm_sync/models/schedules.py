"""Each tenant's daily schedules and its Run Now quota."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from history.models import ScheduleKind
from tenants.models import Tenant


class TenantSchedule(models.Model):
    """A tenant's schedule: daily at 23:55 in the tenant's time zone (manual §2).

    ``next_run_at`` is the one source of truth for when it fires: the dispatcher (one beat
    entry, see crm_sync.services.dispatch) claims the rows whose moment has come through the
    partial index on it, the Schedules page shows it, switching the schedule off empties it,
    a time-zone change recomputes it, uninstall deletes the row.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="schedules", help_text="Whose schedule"
    )
    kind = models.CharField(
        max_length=32,
        choices=ScheduleKind.choices,
        help_text='"Sync Amazon Record" or "Update Order Status"',
    )
    enabled = models.BooleanField(default=True, help_text="Off: the daily run does not happen")
    next_run_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name="next run at (UTC)",
        help_text="The next 23:55 in the tenant's time zone, in UTC, e.g. 2026-11-27 07:55 for "
        "Los Angeles; empty while the schedule is off",
    )
    last_dispatched_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the dispatcher last sent this schedule's daily run (UTC)",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="one_schedule_per_kind"),
            models.CheckConstraint(
                condition=models.Q(enabled=True) | models.Q(next_run_at__isnull=True),
                name="schedule_off_has_no_next_run",
            ),
        ]
        indexes = [
            # The dispatcher's only query: due rows, oldest first. Off schedules are not in it.
            models.Index(
                fields=["next_run_at"],
                name="schedule_due",
                condition=models.Q(next_run_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.tenant}"


class ManualRunSlot(models.Model):
    """One used Run Now. At most two slots per schedule per tenant-local day: the unique
    constraint, not application code, makes a third impossible under concurrent clicks."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", help_text="Whose Run Now this was"
    )
    schedule = models.CharField(
        max_length=32, choices=ScheduleKind.choices, help_text="The job that was run"
    )
    local_date = models.DateField(help_text="The day in the tenant's time zone")
    slot = models.PositiveSmallIntegerField(help_text="1 or 2: the day's first or second Run Now")
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who clicked Run Now",
    )
    used_at = models.DateTimeField(auto_now_add=True, help_text="When Run Now was clicked")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "schedule", "local_date", "slot"], name="one_use_per_slot"
            ),
            models.CheckConstraint(condition=models.Q(slot__in=[1, 2]), name="two_slots_a_day"),
        ]

    def __str__(self) -> str:
        return f"Run Now {self.slot}/2 of {self.schedule} on {self.local_date}"
