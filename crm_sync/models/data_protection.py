"""Amazon Data Protection Policy: a tenant's settings, the buyer data each order holds and
when it goes, and what each run of the daily data-protection job removed.

See ``crm_sync.services.data_protection`` for the job and ``crm_sync.retention`` for when an
order's buyer data expires.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from crm_sync.buyer_keys import PER_MARKETPLACE, PER_ORDER
from tenants.encryption import EncryptedSecretField
from tenants.models import Tenant

MAX_RETENTION_DAYS = 30  # Amazon: buyer PII at most 30 days after delivery
MAX_NON_PII_DAYS = 548  # Amazon: non-PII Amazon data at most 18 months (18 × 30.4 days)


class DataProtectionSettings(models.Model):
    """Per tenant: how long buyer data stays, where buyers without an identity go, and the
    secret that turns a buyer's relay alias into a Contact key."""

    class Anonymous(models.TextChoices):
        PER_MARKETPLACE = PER_MARKETPLACE, "One “Amazon Customer” contact per marketplace"
        PER_ORDER = PER_ORDER, "One contact per order"

    tenant = models.OneToOneField(
        Tenant,
        on_delete=models.CASCADE,
        related_name="data_protection",
        help_text="The organisation these settings belong to",
    )
    retention_days = models.PositiveSmallIntegerField(
        "keep buyer data (days after delivery)",
        default=MAX_RETENTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)],
        help_text="Buyer name, email, street and phone are removed this many days after "
        "delivery, e.g. 30 (Amazon's limit; shorter is allowed, longer is not)",
    )
    non_pii_days = models.PositiveSmallIntegerField(
        "keep order history (days)",
        default=MAX_NON_PII_DAYS,
        validators=[MinValueValidator(30), MaxValueValidator(MAX_NON_PII_DAYS)],
        help_text="Order History, Amazon Sync History and order states older than this are "
        "deleted, e.g. 548 (18 months, Amazon's limit for non-PII data)",
    )
    anonymous_contacts = models.CharField(
        "orders without a buyer identity",
        max_length=16,
        choices=Anonymous.choices,
        default=PER_MARKETPLACE,
        help_text="Where orders without Amazon's relay email go: one contact per marketplace "
        '("Amazon Customer (Amazon.de)") or one contact per order',
    )
    buyer_key_secret = EncryptedSecretField(
        "buyer key secret",
        help_text="Encrypted at rest; the HMAC key that turns a relay email into a Contact "
        "key. Never shown; changing it would split every buyer from their contact",
    )
    keys_migrated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When contacts keyed by email (before this version) got their buyer key",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When these were created")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change")

    class Meta:
        verbose_name = "data protection settings"
        verbose_name_plural = "data protection settings"

    def __str__(self) -> str:
        return f"Data protection for {self.tenant}: {self.retention_days} days"


class BuyerDataHold(models.Model):
    """One order whose buyer data (name, email, street lines, phone) we or the Zoho records
    we wrote hold, and when it expires.

    ``values`` is the encrypted list of the very values Amazon handed out for the order: the
    job needs them to find and remove them from free text (Order History messages, run
    notes, stored emails) and is emptied with them. Nothing else here is PII.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", help_text="Whose order this is"
    )
    amazon_order_id = models.CharField(
        max_length=32, help_text='Amazon Order ID, e.g. "305-1234567-1234567"'
    )
    marketplace_id = models.CharField(
        max_length=20, blank=True, help_text='Where it was sold, e.g. "A1PA6795UKMFR9"'
    )
    buyer_key = models.CharField(
        max_length=96,
        help_text='The Contact key (a keyed hash, not PII), e.g. "bk1:9f2c…" or '
        '"amazon-customer:A1PA6795UKMFR9"',
    )
    contact_has_pii = models.BooleanField(
        default=False,
        help_text="True when the order's buyer data went onto its contact too (identified "
        "buyer, or one contact per order)",
    )
    values = EncryptedSecretField(
        "buyer data values",
        blank=True,
        help_text="Encrypted; the buyer data Amazon gave, to find it in free text. Emptied "
        "when it is removed",
    )
    purchase_date = models.DateTimeField(help_text="Amazon's PurchaseDate")
    latest_delivery_date = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Amazon's LatestDeliveryDate / deliverByWindow.latestDateTime, if it gave one",
    )
    shipped_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Amazon's LastUpdateDate when we first saw the order Shipped",
    )
    cancelled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Amazon's LastUpdateDate when we first saw the order Canceled",
    )
    delivered_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Delivery as we count it (see crm_sync.retention); empty while not shipped",
    )
    delivery_basis = models.CharField(
        max_length=24,
        blank=True,
        help_text='What delivered_at comes from: "latest delivery date", "shipment" or '
        '"cancellation"',
    )
    expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the buyer data is removed: delivered_at + the retention period (UTC)",
    )
    removed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the buyer data was removed (UTC)"
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When we first held it")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "amazon_order_id"], name="one_buyer_data_hold_per_order"
            )
        ]
        indexes = [
            models.Index(
                fields=["tenant", "expires_at"],
                name="buyer_data_due",
                condition=models.Q(removed_at__isnull=True),
            ),
            models.Index(fields=["tenant", "buyer_key"], name="buyer_data_by_key"),
        ]

    def __str__(self) -> str:
        state = "removed" if self.removed_at else f"expires {self.expires_at or 'after shipment'}"
        return f"Buyer data of {self.amazon_order_id} ({state})"


class DataProtectionRun(models.Model):
    """One run of the daily data-protection job for one tenant: what it removed. The
    evidence a seller shows in Amazon's security review."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        PARTIAL = "partial", "Completed with errors"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", help_text="Whose data"
    )
    started_at = models.DateTimeField(help_text="When the job began (UTC)")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it ended (UTC)")
    outcome = models.CharField(
        max_length=16,
        choices=Outcome.choices,
        default=Outcome.SUCCESS,
        help_text='"Success", or "Completed with errors" when Zoho refused some records',
    )
    orders_redacted = models.PositiveIntegerField(
        default=0, help_text="Orders whose buyer data was removed"
    )
    sales_orders_redacted = models.PositiveIntegerField(
        default=0, help_text="Zoho Sales Orders whose shipping street was cleared"
    )
    contacts_anonymised = models.PositiveIntegerField(
        default=0, help_text="Zoho Contacts whose every order expired, made anonymous"
    )
    local_rows_scrubbed = models.PositiveIntegerField(
        default=0,
        help_text="Our own rows (staged records, history messages, run notes) cleaned",
    )
    emails_scrubbed = models.PositiveIntegerField(
        default=0, help_text="Stored sent emails cleaned of buyer data"
    )
    zoho_writes = models.PositiveIntegerField(default=0, help_text="Zoho write calls made")
    purged = models.JSONField(
        default=dict,
        blank=True,
        help_text='Non-PII rows deleted for age, e.g. {"order_events": 120, "sync_runs": 3}',
    )
    error = models.TextField(blank=True, help_text="What went wrong and what to do next")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-started_at"], name="dp_run_latest")]

    def __str__(self) -> str:
        return f"Data protection {self.started_at:%Y-%m-%d %H:%M}: {self.orders_redacted} orders"
