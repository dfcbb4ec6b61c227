"""Zoho connection, the Amazon-key → Zoho-id links, per-order sync state, cursors, schedules
and the Run Now quota."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from history.models import ScheduleKind
from tenants.encryption import EncryptedSecretField
from tenants.models import Tenant


class ZohoConnection(models.Model):
    """A tenant's OAuth connection to its Zoho CRM organisation (one data centre)."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        BROKEN = "broken", "Needs reconnecting"

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="zoho_connection")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONNECTED)
    status_reason = models.TextField(blank=True, help_text="Why the connection needs attention")
    location = models.CharField(max_length=16, blank=True, help_text='Zoho data centre, e.g. "eu"')
    accounts_server = models.URLField(
        help_text="e.g. https://accounts.zoho.eu; every token call goes here"
    )
    api_domain = models.URLField(help_text="e.g. https://www.zohoapis.eu; every API call goes here")
    scope = models.TextField(blank=True)
    refresh_token = EncryptedSecretField("Zoho refresh token")
    access_token = EncryptedSecretField("Zoho access token", blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    org_id = models.CharField(max_length=32, blank=True)
    org_name = models.CharField(max_length=200, blank=True)
    edition = models.CharField(max_length=32, blank=True, help_text='e.g. "enterprise"')
    field_api_names = models.JSONField(
        default=dict,
        blank=True,
        help_text='API names read back after field setup, e.g. {"Products": {"ASIN No": "ASIN_No"}}',
    )
    fields_ready_at = models.DateTimeField(null=True, blank=True)
    credits_remaining = models.IntegerField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return (
            f"Zoho CRM {self.org_name or self.org_id} ({self.location or 'com'}) for {self.tenant}"
        )

    def __repr__(self) -> str:
        return f"<ZohoConnection tenant={self.tenant_id} status={self.status} dc={self.location}>"


class ZohoLink(models.Model):
    """Amazon key → Zoho record id, so re-runs update instead of duplicating.

    Keys: Products by ASIN, Contacts by buyer key (email, or order id for withheld buyers),
    Sales_Orders by Amazon Order ID.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    module = models.CharField(max_length=32, help_text='"Products", "Contacts" or "Sales_Orders"')
    amazon_key = models.CharField(max_length=320)
    zoho_id = models.CharField(max_length=32)
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Hash of what we last wrote; equal means no write"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "module", "amazon_key"], name="one_link_per_amazon_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.module} {self.amazon_key} → {self.zoho_id}"


class AmazonOrderState(models.Model):
    """What we last saw of an order, to fetch items only for new or changed orders."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    amazon_order_id = models.CharField(max_length=32)
    marketplace_id = models.CharField(max_length=20, blank=True)
    order_status = models.CharField(max_length=32)
    last_update_date = models.DateTimeField()
    complete = models.BooleanField(
        default=False, help_text="False while Amazon withholds money/buyer (Pending)"
    )
    zoho_id = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "amazon_order_id"], name="one_state_per_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amazon_order_id} {self.order_status}"


class SyncCursor(models.Model):
    """Where each job resumes: the last window end Amazon confirmed, per marketplace group."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    schedule = models.CharField(max_length=32, choices=ScheduleKind.choices)
    marketplace_key = models.CharField(
        max_length=64, help_text='e.g. "ATVPDKIKX0DER,A2Q3Y263D00KWC"'
    )
    watermark = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "schedule", "marketplace_key"], name="one_cursor_per_job"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule} {self.marketplace_key} @ {self.watermark:%Y-%m-%d %H:%M}"


class TenantSchedule(models.Model):
    """A tenant's schedule and its django-celery-beat task (deleted with the tenant)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="schedules")
    kind = models.CharField(max_length=32, choices=ScheduleKind.choices)
    enabled = models.BooleanField(default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="one_schedule_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.tenant}"


class ManualRunSlot(models.Model):
    """One used Run Now. At most two slots per schedule per tenant-local day: the unique
    constraint, not application code, makes a third impossible under concurrent clicks."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    schedule = models.CharField(max_length=32, choices=ScheduleKind.choices)
    local_date = models.DateField(help_text="The day in the tenant's time zone")
    slot = models.PositiveSmallIntegerField()
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "schedule", "local_date", "slot"], name="one_use_per_slot"
            ),
            models.CheckConstraint(condition=models.Q(slot__in=[1, 2]), name="two_slots_a_day"),
        ]

    def __str__(self) -> str:
        return f"Run Now {self.slot}/2 of {self.schedule} on {self.local_date}"


class StagedRecord(models.Model):
    """A Zoho write waiting for its batch. A run first stages every page (Amazon's side),
    then writes products, contacts and orders in full batches of 100, so each record is
    written once per run with its final content. Rows are deleted as their batch commits;
    leftovers of a dead run are rebuilt from Amazon by the next one."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey("history.SyncRun", on_delete=models.CASCADE, related_name="+")
    module = models.CharField(max_length=32)
    amazon_key = models.CharField(max_length=320)
    action = models.CharField(
        max_length=16, help_text='"upsert" (products, contacts), "create", "fill" or "status"'
    )
    data = models.JSONField(help_text="The Zoho record, lookups still as Amazon keys")
    fingerprint = models.CharField(max_length=64, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    sort_key = models.CharField(max_length=40, blank=True, help_text="Latest wins (ISO time)")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "module", "amazon_key"], name="one_staged_record_per_key"
            )
        ]
        indexes = [models.Index(fields=["run", "module", "action", "id"], name="staged_batches")]

    def __str__(self) -> str:
        return f"{self.module} {self.amazon_key} ({self.action})"
