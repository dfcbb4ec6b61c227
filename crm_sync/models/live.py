"""Live updates: the per-tenant switch and status, the application's SQS destination, and
one receipt per ORDER_CHANGE notification (the dedupe key across consumer restarts).

Imported by crm_sync.models so Django sees them as crm_sync models.
"""

from __future__ import annotations

from django.db import models

from tenants.encryption import EncryptedSecretField
from tenants.models import Tenant


class LiveUpdates(models.Model):
    """A tenant's live updates: whether they are on, its ORDER_CHANGE subscription, and what
    the Schedules page shows (last event, last error)."""

    tenant = models.OneToOneField(
        Tenant,
        on_delete=models.CASCADE,
        related_name="live_updates",
        help_text="The organisation these live updates belong to",
    )
    enabled = models.BooleanField(
        default=True,
        help_text="Off: no ORDER_CHANGE subscription; the two daily schedules still run",
    )
    seller_id = models.CharField(
        max_length=32, blank=True, help_text='The subscribed Seller ID, e.g. "A1SELLER0001"'
    )
    lwa_client_id = models.CharField(
        max_length=128,
        blank=True,
        help_text="The SP-API application the subscription belongs to (its LWA client id)",
    )
    lwa_client_secret = EncryptedSecretField(
        "LWA client secret of the subscribing application",
        blank=True,
        help_text="Encrypted at rest; deletes the subscription (grantless) even after the "
        "tenant switched to another application or to MWS",
    )
    marketplace_ids = models.JSONField(
        default=list,
        blank=True,
        help_text='The event filter\'s marketplaces, e.g. ["ATVPDKIKX0DER"]',
    )
    subscription_id = models.CharField(
        max_length=128,
        blank=True,
        help_text="Amazon's ORDER_CHANGE subscription id; empty: not subscribed",
    )
    subscribed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the subscription was made (UTC)"
    )
    last_event_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last notification for this seller arrived (UTC)"
    )
    last_written_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a live update last finished writing to Zoho CRM (UTC)",
    )
    last_error = models.TextField(
        blank=True, help_text="The last problem with live updates, and what to do about it"
    )
    last_error_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last problem happened (UTC)"
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change to this row")

    class Meta:
        verbose_name = "live updates"
        verbose_name_plural = "live updates"

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"Live updates {state} for {self.tenant}"


class NotificationDestination(models.Model):
    """The SQS destination Amazon sends an application's notifications to: created once per
    (application, region, queue), shared by every seller of that application."""

    lwa_client_id = models.CharField(
        max_length=128, help_text="The SP-API application (its LWA client id)"
    )
    host = models.CharField(
        max_length=64, help_text='The SP-API region host, e.g. "sellingpartnerapi-na.amazon.com"'
    )
    sqs_arn = models.CharField(
        max_length=1000, help_text='The queue, e.g. "arn:aws:sqs:us-east-1:123456789012:orders"'
    )
    destination_id = models.CharField(max_length=128, help_text="Amazon's destination id")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was recorded")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lwa_client_id", "host", "sqs_arn"], name="one_destination_per_queue"
            )
        ]

    def __str__(self) -> str:
        return f"{self.destination_id} → {self.sqs_arn}"


class NotificationReceipt(models.Model):
    """One ORDER_CHANGE notification of one organisation, by Amazon's NotificationId. Amazon
    may deliver it twice and SQS may hand it out again: a receipt already ``done`` means its message is
    deleted without another getOrder. ``run`` is the live-update run that carries it; the
    run's source reads its pending receipts (so a run resumed after a crash knows them)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Written"
        IGNORED = "ignored", "Ignored (live updates off)"
        DEAD = "dead", "Dead-lettered"

    notification_id = models.CharField(
        max_length=100, help_text="Amazon's NotificationId, e.g. a UUID"
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", help_text="Whose order changed"
    )
    amazon_order_id = models.CharField(
        max_length=32, help_text='The changed order, e.g. "112-1234567-1234567"'
    )
    change_time = models.DateTimeField(
        help_text="OrderChangeTrigger.TimeOfOrderChange (else EventTime), UTC"
    )
    # What the notification's Summary says (OrderChangeNotification.json: MarketplaceId,
    # OrderStatus, PurchaseDate are required there). For an order we already hold in full,
    # that is all a status change needs, so no getOrder (crm_sync.sources.notifications).
    order_status = models.CharField(
        max_length=32, blank=True, help_text='Summary.OrderStatus, e.g. "Shipped"; empty: unread'
    )
    marketplace_id = models.CharField(
        max_length=20, blank=True, help_text='Summary.MarketplaceId, e.g. "ATVPDKIKX0DER"'
    )
    purchase_date = models.DateTimeField(
        null=True, blank=True, help_text="Summary.PurchaseDate (UTC)"
    )
    latest_delivery_date = models.DateTimeField(
        null=True, blank=True, help_text="Summary.LatestDeliveryDate (UTC), when given"
    )
    change_type = models.CharField(
        max_length=40, blank=True, help_text='OrderChangeType, e.g. "OrderStatusChange"'
    )
    state = models.CharField(
        max_length=16,
        choices=State.choices,
        default=State.PENDING,
        help_text='"Waiting" until its order is checkpointed, then "Written"',
    )
    run = models.ForeignKey(
        "history.SyncRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The live-update run that carries it",
    )
    reason = models.TextField(blank=True, help_text="Why it failed or was dead-lettered")
    received_at = models.DateTimeField(auto_now_add=True, help_text="First received (UTC)")
    done_at = models.DateTimeField(
        null=True, blank=True, help_text="When its order was checkpointed (UTC)"
    )

    class Meta:
        constraints = [
            # One per organisation: a seller connected in two gets the notification in both.
            models.UniqueConstraint(
                fields=["tenant", "notification_id"], name="one_receipt_per_tenant"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "state"], name="receipt_tenant_state"),
            models.Index(fields=["run", "state"], name="receipt_run_state"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.amazon_order_id} {self.state}"
