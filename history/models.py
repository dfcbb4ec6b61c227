"""The extension's history modules: "Amazon Sync History" (SyncRun) and "Order History"
(OrderEvent)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.models import Tenant


class ScheduleKind(models.TextChoices):
    """The manual's two schedules."""

    SYNC_RECORDS = "sync_amazon_record", "Sync Amazon Record"
    UPDATE_STATUS = "update_order_status", "Update Order Status"


class SyncRun(models.Model):
    """One run of a schedule: an "Amazon Sync History" record."""

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        MANUAL = "manual", "Run Now"

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Success"
        PARTIAL = "partial", "Completed with errors"
        NO_ORDERS = "no_orders", "No orders"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sync_runs")
    schedule = models.CharField(
        max_length=32,
        choices=ScheduleKind.choices,
        help_text='Which schedule ran, e.g. "Sync Amazon Record"',
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    orders_fetched = models.PositiveIntegerField(default=0)
    orders_created = models.PositiveIntegerField(default=0)
    orders_updated = models.PositiveIntegerField(default=0)
    products_created = models.PositiveIntegerField(default=0)
    products_updated = models.PositiveIntegerField(default=0)
    contacts_created = models.PositiveIntegerField(default=0)
    contacts_updated = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="What went wrong, in plain words")
    notes = models.JSONField(
        default=list, blank=True, help_text="Warnings, e.g. buyer data withheld"
    )
    api_calls = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"amazon": 3, "zoho": 2}'
    )
    lease_owner = models.CharField(
        max_length=64,
        blank=True,
        help_text="The execution attempt that holds this run (one live executor per run)",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-started_at", "-id"], name="run_tenant_started"),
            models.Index(fields=["tenant", "schedule", "outcome"], name="run_tenant_filters"),
        ]

    def __str__(self) -> str:
        return f"{self.get_schedule_display()} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None


class OrderEvent(models.Model):
    """One change to one order: an "Order History" record."""

    class Action(models.TextChoices):
        CREATED = "created", "Created in Zoho"
        UPDATED = "updated", "Details updated"
        STATUS_CHANGED = "status_changed", "Status changed"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="order_events")
    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="order_events")
    amazon_order_id = models.CharField(max_length=32)
    action = models.CharField(max_length=16, choices=Action.choices)
    old_status = models.CharField(max_length=32, blank=True)
    new_status = models.CharField(max_length=32, blank=True)
    amazon_last_update = models.DateTimeField(
        null=True, blank=True, help_text="Amazon's LastUpdateDate this event reflects"
    )
    zoho_record_id = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "amazon_order_id"], name="event_tenant_order"),
            models.Index(fields=["tenant", "-created_at", "-id"], name="event_tenant_created"),
        ]
        constraints = [
            # The same Amazon change is recorded once, however often a page is re-processed.
            models.UniqueConstraint(
                fields=["tenant", "amazon_order_id", "action", "amazon_last_update"],
                name="one_event_per_change",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amazon_order_id} {self.action} {self.old_status}→{self.new_status}"
