"""Zoho connection, the Amazon-key → Zoho-id links, per-order sync state, cursors, schedules
and the Run Now quota."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crm_sync.decimal_json import DecimalJSONDecoder, DecimalJSONEncoder
from history.models import ScheduleKind
from tenants.encryption import EncryptedSecretField
from tenants.models import Tenant


class ZohoConnection(models.Model):
    """A tenant's OAuth connection to its Zoho CRM organisation (one data centre)."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        BROKEN = "broken", "Needs reconnecting"

    tenant = models.OneToOneField(
        Tenant,
        on_delete=models.CASCADE,
        related_name="zoho_connection",
        help_text="The tenant (seller organisation) this Zoho CRM connection belongs to",
    )
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.CONNECTED,
        help_text='"Needs reconnecting" once Zoho refused the tokens; an admin reconnects in Settings',
    )
    status_reason = models.TextField(blank=True, help_text="Why the connection needs attention")
    location = models.CharField(max_length=16, blank=True, help_text='Zoho data centre, e.g. "eu"')
    accounts_server = models.URLField(
        help_text="e.g. https://accounts.zoho.eu; every token call goes here"
    )
    api_domain = models.URLField(help_text="e.g. https://www.zohoapis.eu; every API call goes here")
    scope = models.TextField(
        blank=True, help_text='Scopes Zoho granted, e.g. "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL"'
    )
    refresh_token = EncryptedSecretField(
        "Zoho refresh token", help_text="Encrypted at rest; shown masked, never editable"
    )
    access_token = EncryptedSecretField(
        "Zoho access token", blank=True, help_text="Encrypted at rest; refreshed about hourly"
    )
    access_token_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When Zoho stops accepting the access token (UTC)"
    )
    org_id = models.CharField(
        max_length=32, blank=True, help_text='Zoho organisation id, e.g. "60012345678"'
    )
    org_name = models.CharField(
        max_length=200, blank=True, help_text='Zoho organisation name, e.g. "Acme Inc"'
    )
    edition = models.CharField(max_length=32, blank=True, help_text='e.g. "enterprise"')
    domain_name = models.CharField(
        max_length=40,
        blank=True,
        help_text='The org in Zoho CRM\'s web addresses, e.g. "org649525316" '
        "(https://crm.zoho.com/crm/org649525316/tab/SalesOrders/…)",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="The Zoho organisation's time zone, e.g. \"Europe/Berlin\"; a new tenant's "
        "schedules start in it",
    )
    field_api_names = models.JSONField(
        default=dict,
        blank=True,
        help_text='API names read back after field setup, e.g. {"Products": {"ASIN No": "ASIN_No"}}',
    )
    fields_ready_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the custom fields were set up; empty: at the next run",
    )
    credits_remaining = models.IntegerField(
        null=True, blank=True, help_text="API credits left today, as Zoho last reported"
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The administrator who connected Zoho CRM",
    )
    connected_at = models.DateTimeField(auto_now_add=True, help_text="When Zoho CRM was connected")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change to this connection")

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

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", help_text="Whose record this is"
    )
    module = models.CharField(max_length=32, help_text='"Products", "Contacts" or "Sales_Orders"')
    amazon_key = models.CharField(
        max_length=320,
        help_text='ASIN, buyer key or Amazon Order ID, e.g. "B00TEST001" or "112-1234567-1234567"',
    )
    zoho_id = models.CharField(
        max_length=32, help_text='Zoho record id, e.g. "5725767000000412345"'
    )
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Hash of what we last wrote; equal means no write"
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="When we last wrote the record")

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

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", help_text="Whose order this is"
    )
    amazon_order_id = models.CharField(
        max_length=32, help_text='Amazon Order ID, e.g. "112-1234567-1234567"'
    )
    marketplace_id = models.CharField(
        max_length=20, blank=True, help_text='Where it was sold, e.g. "ATVPDKIKX0DER"'
    )
    order_status = models.CharField(
        max_length=32, help_text='Amazon\'s OrderStatus when we last saw it, e.g. "Shipped"'
    )
    last_update_date = models.DateTimeField(help_text="Amazon's LastUpdateDate when we last saw it")
    complete = models.BooleanField(
        default=False, help_text="False while Amazon withholds money/buyer (Pending)"
    )
    zoho_id = models.CharField(
        max_length=32, blank=True, help_text="The order's Zoho Sales Order id, once written"
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="When a run last recorded it")

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

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", help_text="Whose job this is"
    )
    schedule = models.CharField(
        max_length=32, choices=ScheduleKind.choices, help_text="The job that keeps this cursor"
    )
    marketplace_key = models.CharField(
        max_length=64, help_text='e.g. "ATVPDKIKX0DER,A2Q3Y263D00KWC"'
    )
    watermark = models.DateTimeField(
        help_text="The next run lists orders from here (less a few minutes of overlap)"
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="When the cursor last moved")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "schedule", "marketplace_key"], name="one_cursor_per_job"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule} {self.marketplace_key} @ {self.watermark:%Y-%m-%d %H:%M}"


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


class StagedRecord(models.Model):
    """A Zoho write waiting for its batch. A run first stages every batch its source yields
    (Amazon's side), then writes products, contacts and orders in full batches of 100, so each
    record is written once per run with its final content. Rows are deleted as their batch
    commits; leftovers of a dead run are rebuilt from Amazon by the next one.

    What the writer needs is in typed columns; ``data`` is the Zoho record without its
    lookups (``buyer_key`` and ``product_keys`` name them until they have Zoho ids), money
    kept as exact Decimals.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", help_text="Whose record this is"
    )
    run = models.ForeignKey(
        "history.SyncRun",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The run that staged it",
    )
    module = models.CharField(max_length=32, help_text='"Products", "Contacts" or "Sales_Orders"')
    amazon_key = models.CharField(
        max_length=320, help_text='ASIN, buyer key or Amazon Order ID, e.g. "B00TEST001"'
    )
    action = models.CharField(
        max_length=16, help_text='"upsert" (products, contacts), "create", "fill" or "status"'
    )
    data = models.JSONField(
        encoder=DecimalJSONEncoder,
        decoder=DecimalJSONDecoder,
        help_text='The Zoho record without lookups; money as {"__decimal__": "19.99"}',
    )
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Hash of the record's content, kept on its link"
    )
    order_status = models.CharField(
        max_length=32, blank=True, help_text='Sales orders: Amazon\'s OrderStatus, e.g. "Shipped"'
    )
    previous_status = models.CharField(
        max_length=32, blank=True, help_text='Sales orders: the status we last saw, e.g. "Pending"'
    )
    amazon_last_update = models.DateTimeField(
        null=True, blank=True, help_text="Sales orders: Amazon's LastUpdateDate"
    )
    purchase_date = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Sales orders: Amazon's PurchaseDate; contacts: that of the buyer's latest order",
    )
    marketplace_id = models.CharField(
        max_length=20, blank=True, help_text='Sales orders: e.g. "ATVPDKIKX0DER"'
    )
    complete = models.BooleanField(
        default=False, help_text="Sales orders: False while Amazon withholds money/buyer (Pending)"
    )
    buyer_key = models.CharField(
        max_length=320, blank=True, help_text="Sales orders: the Contact lookup, by buyer key"
    )
    zoho_id = models.CharField(
        max_length=32, blank=True, help_text="Sales orders already in Zoho: their record id"
    )
    product_keys = models.JSONField(
        default=list,
        blank=True,
        help_text='Sales orders: the ASIN of each line, in line order, e.g. ["B00TEST001"]',
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "module", "amazon_key"], name="one_staged_record_per_key"
            )
        ]
        indexes = [models.Index(fields=["run", "module", "action", "id"], name="staged_batches")]

    def __str__(self) -> str:
        return f"{self.module} {self.amazon_key} ({self.action})"


# Live updates (ORDER_CHANGE notifications) keep their models in their own module.
# Backfill (order reports) and Preview keep their models in their own module.
from crm_sync.backfill_models import (  # noqa: E402, F401
    Backfill,
    BackfillChunk,
    SyncPreview,
)
from crm_sync.live_models import (  # noqa: E402, F401
    LiveUpdates,
    NotificationDestination,
    NotificationReceipt,
)

# History inside Zoho CRM (the Amazon Sync History and Order History modules).
from crm_sync.zoho_history_models import (  # noqa: E402, F401
    ZohoHistoryMirror,
    ZohoHistoryModules,
)

# Data protection (buyer keys, buyer data expiry) keeps its models in its own module.
from crm_sync.data_protection_models import (  # noqa: E402, F401
    BuyerDataHold,
    DataProtectionRun,
    DataProtectionSettings,
)


# Backfill (order reports) and Preview keep their models in their own module.
from crm_sync.backfill_models import (  # noqa: E402, F401
    Backfill,
    BackfillChunk,
    SyncPreview,
)
