"""Amazon Sync History and Order History inside Zoho CRM (manual §2.1): which modules the
extension created in the tenant's org, their fields' API names, and how far each run has
been mirrored into them.

Imported by crm_sync.models so Django sees them as crm_sync models.
"""

from __future__ import annotations

from django.db import models

from history.models import SyncRun
from tenants.models import Tenant


class ZohoHistoryModules(models.Model):
    """The two history modules in a tenant's Zoho org, or why the org has none."""

    class Status(models.TextChoices):
        READY = "ready", "In Zoho CRM"
        UNSUPPORTED = "unsupported", "Edition has no custom modules"
        LIMIT = "limit", "Custom module limit reached"
        FAILED = "failed", "Set-up failed"

    tenant = models.OneToOneField(
        Tenant,
        on_delete=models.CASCADE,
        related_name="zoho_history_modules",
        help_text="The organisation whose Zoho CRM holds these modules",
    )
    org_id = models.CharField(
        max_length=32,
        blank=True,
        help_text='The Zoho org these modules were set up in, e.g. "771234567"; another org '
        "after a reconnect means setting them up again",
    )
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.FAILED,
        help_text="Whether run history is also written to Zoho CRM, or why not",
    )
    message = models.TextField(
        blank=True,
        help_text="What Settings tells the administrator, e.g. why the edition refused",
    )
    sync_module = models.CharField(
        max_length=100,
        blank=True,
        help_text='API name of the Amazon Sync History module, e.g. "Amazon_Sync_History"',
    )
    order_module = models.CharField(
        max_length=100,
        blank=True,
        help_text='API name of the Order History module, e.g. "Order_History"',
    )
    created_modules = models.JSONField(
        default=list,
        blank=True,
        help_text='Modules this extension created (not merely found), e.g. ["Order_History"]',
    )
    field_api_names = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per module, label → generated API name, e.g. {"Order_History": {"History Key": '
        '"History_Key"}}',
    )
    checked_at = models.DateTimeField(
        auto_now=True, help_text="When the modules were last set up or checked (UTC)"
    )

    class Meta:
        verbose_name = "Zoho CRM history modules"
        verbose_name_plural = "Zoho CRM history modules"

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.get_status_display()}"

    @property
    def ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.sync_module and self.order_module)


class ZohoHistoryMirror(models.Model):
    """How far one run has been written into the Zoho history modules. Every record is an
    upsert on its unique History Key, so this marker only saves calls: a crash between a write
    and the marker rewrites the same records, never duplicates them."""

    run = models.OneToOneField(
        SyncRun,
        on_delete=models.CASCADE,
        related_name="zoho_mirror",
        help_text="The Amazon Sync History row mirrored",
    )
    zoho_id = models.CharField(
        max_length=32, blank=True, help_text="Id of the run's Amazon Sync History record in Zoho"
    )
    events_upto = models.BigIntegerField(
        default=0, help_text="Highest Order History row id already written to Zoho"
    )
    done = models.BooleanField(
        default=False, help_text="The finished run and all its Order History rows are in Zoho"
    )
    error = models.TextField(blank=True, help_text="Why the last attempt stopped, if it did")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last attempt (UTC)")

    class Meta:
        verbose_name = "Zoho CRM history mirror"

    def __str__(self) -> str:
        return f"run {self.run_id} → {self.zoho_id or '—'}"
