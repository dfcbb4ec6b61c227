"""The tenant's Zoho CRM connection, and the Amazon-key → Zoho-id links of the records
written to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

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
