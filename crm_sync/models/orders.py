"""Per-order sync state, the listing cursors, and the staged records of a run's batches."""

from __future__ import annotations

from django.db import models

from crm_sync.decimal_json import DecimalJSONDecoder, DecimalJSONEncoder
from history.models import ScheduleKind
from tenants.models import Tenant


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
    currency = models.CharField(
        max_length=3, blank=True, help_text='Sales orders: the amounts\' currency, e.g. "BRL"'
    )
    order_total = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Sales orders: Amazon's OrderTotal, e.g. 59.80; empty while Pending",
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
