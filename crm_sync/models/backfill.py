"""Backfill and Preview: a backfill of up to two years through Amazon's order reports, its
chunks (one report per marketplace and at most 30 days), and previews of what a run would
write to Zoho.

Imported by crm_sync.models so Django sees them as crm_sync models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crm_sync.decimal_json import DecimalJSONDecoder, DecimalJSONEncoder
from history.models import SyncRun
from tenants.models import Tenant


class Backfill(models.Model):
    """One backfill of a tenant: a date range and marketplaces, previewed, then run as one
    tracked run (``SyncRun`` with the trigger "Backfill") chunk by chunk."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Not started"
        RUNNING = "running", "Running"
        CANCELLING = "cancelling", "Cancelling"
        CANCELLED = "cancelled", "Cancelled"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    class Via(models.TextChoices):
        REPORTS = "reports", "Amazon order reports"
        LISTING = "listing", "Order listing (MWS)"

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="backfills",
        help_text="The organisation this backfill belongs to",
    )
    run = models.OneToOneField(
        SyncRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backfill",
        help_text='The "Amazon Sync History" run that tracks it (set when it is started)',
    )
    start = models.DateTimeField(help_text="Orders purchased at or after this moment (UTC)")
    end = models.DateTimeField(help_text="… and before this moment (UTC)")
    marketplace_ids = models.JSONField(
        default=list, help_text='The marketplaces to backfill, e.g. ["ATVPDKIKX0DER"]'
    )
    via = models.CharField(
        max_length=16,
        choices=Via.choices,
        default=Via.REPORTS,
        help_text="Order reports (SP-API) or the order listing (MWS, slower)",
    )
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Where the backfill stands",
    )
    in_batch_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text=(
            "Set while the backfill writes one batch; the daily runs wait for it to end (at "
            "most one batch), and the backfill waits for them between batches"
        ),
    )
    error = models.TextField(blank=True, help_text="Why it failed, and what to do next")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who set it up",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was set up")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it ended")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(status__in=["running", "cancelling"]),
                name="one_running_backfill_per_tenant",
            )
        ]

    def __str__(self) -> str:
        return f"Backfill {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d} ({self.status})"


class BackfillChunk(models.Model):
    """One report of a backfill: one marketplace, at most 30 days. ``processed`` chunks are
    never read again: a resumed backfill starts at the first chunk not processed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        REQUESTED = "requested", "Report requested"
        READY = "ready", "Report ready"
        PROCESSED = "processed", "Processed"
        NO_DATA = "no_data", "No orders (report cancelled by Amazon)"
        FAILED = "failed", "Failed"

    backfill = models.ForeignKey(
        Backfill,
        on_delete=models.CASCADE,
        related_name="chunks",
        help_text="The backfill this chunk belongs to",
    )
    position = models.PositiveIntegerField(help_text="Order of processing, 1 = first")
    marketplace_id = models.CharField(max_length=16, help_text='e.g. "ATVPDKIKX0DER"')
    start = models.DateTimeField(help_text="Purchase dates from (UTC)")
    end = models.DateTimeField(help_text="… to before (UTC)")
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.PENDING,
        help_text="Where this chunk's report stands",
    )
    report_id = models.CharField(
        max_length=64, blank=True, help_text='Amazon\'s reportId, e.g. "50039018869"'
    )
    report_document_id = models.CharField(
        max_length=128, blank=True, help_text="Amazon's reportDocumentId once the report is DONE"
    )
    fatal_count = models.PositiveSmallIntegerField(
        default=0, help_text="Reports Amazon ended FATAL for this chunk (asked again up to 3×)"
    )
    orders = models.PositiveIntegerField(default=0, help_text="Orders the report held")
    error = models.TextField(blank=True, help_text="Why this chunk failed")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change")

    class Meta:
        ordering = ["backfill", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["backfill", "position"], name="one_backfill_chunk_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.marketplace_id} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d} ({self.status})"


class SyncPreview(models.Model):
    """What a run would write to Zoho, computed without writing: for a schedule's next run
    or for a backfill. ``summary`` is :class:`crm_sync.pipeline.preview.PreviewSummary` as
    JSON."""

    class Status(models.TextChoices):
        RUNNING = "running", "Preparing"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="sync_previews",
        help_text="The organisation this preview belongs to",
    )
    schedule = models.CharField(
        max_length=32,
        blank=True,
        help_text='The schedule previewed, e.g. "sync_amazon_record"; empty for a backfill',
    )
    backfill = models.ForeignKey(
        Backfill,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="previews",
        help_text="The backfill previewed, if any",
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING, help_text="Progress"
    )
    summary = models.JSONField(
        default=dict,
        blank=True,
        encoder=DecimalJSONEncoder,
        decoder=DecimalJSONDecoder,
        help_text="Records to create and update per module, first records, failing orders",
    )
    error = models.TextField(blank=True, help_text="Why the preview failed, and what to do")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who asked for it",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was asked for")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it was ready")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Preview {self.schedule or 'backfill'} ({self.status})"
