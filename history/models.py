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
        """What started the run: the daily schedule, an administrator's Run Now, a Replay of
        chosen orders, or the Retry of a failed run (neither uses Run Now's allowance)."""

        SCHEDULED = "scheduled", "Scheduled"
        MANUAL = "manual", "Run Now"
        REPLAY = "replay", "Replay"
        RETRY = "retry", "Retry"
        LIVE = "live", "Live update"  # ORDER_CHANGE notifications (crm_sync live updates)
        BACKFILL = "backfill", "Backfill"  # order reports over a chosen range (crm_sync)

    class Outcome(models.TextChoices):
        """How the run ended, as the "Amazon Sync History" list shows it."""

        RUNNING = "running", "Running"
        SUCCESS = "success", "Success"
        PARTIAL = "partial", "Completed with errors"
        NO_ORDERS = "no_orders", "No orders"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="sync_runs",
        help_text="The organisation whose schedule ran",
    )
    schedule = models.CharField(
        max_length=32,
        choices=ScheduleKind.choices,
        help_text='Which schedule ran, e.g. "Sync Amazon Record"',
    )
    trigger = models.CharField(
        max_length=16,
        choices=Trigger.choices,
        help_text='"Scheduled" (daily at 11:55 PM) or "Run Now"',
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who pressed Run Now; empty for a scheduled run",
    )
    started_at = models.DateTimeField(db_index=True, help_text="When the run began (UTC)")
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="When the run ended; empty while it is running"
    )
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The last sign of life from the worker; a stale one marks a dead run",
    )
    outcome = models.CharField(
        max_length=16,
        choices=Outcome.choices,
        default=Outcome.RUNNING,
        help_text='How the run ended, e.g. "Success" or "Completed with errors"',
    )
    orders_fetched = models.PositiveIntegerField(
        default=0, help_text="Orders Amazon listed for this run"
    )
    orders_expected = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="While it runs: the Sales Orders this run writes to Zoho CRM, once its "
        "listing is done and the number is known; empty until then",
    )
    orders_created = models.PositiveIntegerField(
        default=0, help_text="Sales Orders created in Zoho CRM"
    )
    orders_updated = models.PositiveIntegerField(
        default=0, help_text="Sales Orders updated in Zoho CRM (details or status)"
    )
    products_created = models.PositiveIntegerField(
        default=0, help_text="Products created in Zoho CRM"
    )
    products_updated = models.PositiveIntegerField(
        default=0, help_text="Products updated in Zoho CRM"
    )
    contacts_created = models.PositiveIntegerField(
        default=0, help_text="Contacts (buyers) created in Zoho CRM"
    )
    contacts_updated = models.PositiveIntegerField(
        default=0, help_text="Contacts (buyers) updated in Zoho CRM"
    )
    records_failed = models.PositiveIntegerField(
        default=0, help_text="Orders, products or contacts that could not be written to Zoho CRM"
    )
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
    quota_wait_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While the run waits for Amazon's request quota: when the call may go "
        "(UTC); empty when it is not waiting",
    )
    quota_wait_for = models.CharField(
        max_length=40,
        blank=True,
        help_text='What waits for Amazon\'s quota, e.g. "next page" or "next order"',
    )
    replay_order_ids = models.JSONField(
        default=list,
        blank=True,
        help_text='A Replay run\'s Amazon Order IDs, re-read from Amazon, e.g. ["113-1234567-1234567"]',
    )
    next_step = models.CharField(
        max_length=64,
        blank=True,
        help_text=(
            'What the user should do about the error, e.g. "settings:lwa_refresh_token" '
            '(fix that field in Settings) or "zoho:reconnect"'
        ),
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
        """What a run did to one order in Zoho CRM."""

        CREATED = "created", "Created in Zoho"
        UPDATED = "updated", "Details updated"
        STATUS_CHANGED = "status_changed", "Status changed"
        FAILED = "failed", "Failed"
        QUARANTINED = "quarantined", "Quarantined"
        FLAGGED = "flagged", "Flagged"
        REPLAYED = "replayed", "Replayed"
        LIVE_UPDATE = "live_update", "Live update"  # written from an ORDER_CHANGE notification
        REDACTED = "redacted", "Buyer data removed"  # Amazon data protection (crm_sync)

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="order_events",
        help_text="The organisation whose order changed",
    )
    run = models.ForeignKey(
        SyncRun,
        on_delete=models.CASCADE,
        related_name="order_events",
        help_text="The Amazon Sync History run that made the change",
    )
    amazon_order_id = models.CharField(
        max_length=32, help_text="Amazon's order id, e.g. 113-1234567-1234567"
    )
    action = models.CharField(
        max_length=16,
        choices=Action.choices,
        help_text='What happened to the order, e.g. "Status changed"',
    )
    old_status = models.CharField(
        max_length=32, blank=True, help_text="Amazon order status before, e.g. Pending"
    )
    new_status = models.CharField(
        max_length=32, blank=True, help_text="Amazon order status after, e.g. Shipped"
    )
    amazon_last_update = models.DateTimeField(
        null=True, blank=True, help_text="Amazon's LastUpdateDate this event reflects"
    )
    zoho_record_id = models.CharField(
        max_length=32,
        blank=True,
        help_text="The Sales Order's record id in Zoho CRM, e.g. 4876876000000624001",
    )
    message = models.TextField(blank=True, help_text="Details, or why Zoho CRM refused the record")
    # The order's amounts and where it was sold, never its buyer (no PII in history).
    order_total = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Amazon's OrderTotal when recorded, e.g. 59.80; empty while Amazon gives none",
    )
    currency = models.CharField(
        max_length=3, blank=True, help_text='The order total\'s currency, e.g. "BRL"'
    )
    marketplace_id = models.CharField(
        max_length=20, blank=True, help_text='Where the order was placed, e.g. "A2Q3Y263D00KWC"'
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When this was recorded")

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


class QuarantinedOrder(models.Model):
    """An order Amazon sent that could not be read or mapped. It does not block the tenant:
    the rest of its page goes on and the cursor moves; the next runs re-read it by id a few
    times (``attempts``), then it waits for a Replay from Order History."""

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="quarantined_orders",
        help_text="The organisation the order belongs to",
    )
    amazon_order_id = models.CharField(
        max_length=32, help_text="Amazon's order id, e.g. 113-1234567-1234567"
    )
    reason = models.TextField(
        help_text="Why it was set aside, e.g. \"PurchaseDate 'inf' is outside 1995–2100\""
    )
    attempts = models.PositiveSmallIntegerField(
        default=1,
        help_text="How many times it was read and set aside (automatic retries stop at 3)",
    )
    last_run = models.ForeignKey(
        SyncRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The run that last set it aside",
    )
    first_seen_at = models.DateTimeField(
        auto_now_add=True, help_text="When it was first set aside (UTC)"
    )
    last_seen_at = models.DateTimeField(auto_now=True, help_text="When it was last set aside (UTC)")
    resolved_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a later run or a Replay brought it into Zoho CRM; empty while it waits",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "amazon_order_id"], name="one_quarantine_per_order"
            )
        ]
        indexes = [models.Index(fields=["tenant", "resolved_at"], name="quarantine_open")]

    def __str__(self) -> str:
        return f"{self.amazon_order_id} quarantined ({self.attempts}×)"
