"""Tenants (one organisation's installation), who may use it, and its Amazon credentials."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from amazon_ext.encryption import EncryptedSecretField


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as Europe/Berlin.")


class InstallScope(models.TextChoices):
    ADMINS_ONLY = "admins", "Install for admins only"
    ALL_USERS = "all", "Install for all users"
    CHOSEN_PROFILES = "profiles", "Choose profiles"


class ConnectionKind(models.TextChoices):
    MWS = "mws", "Amazon MWS (the manual's seven fields)"
    SPAPI = "spapi", "Amazon Selling Partner API (Login with Amazon)"


ADMINISTRATOR_PROFILE = "Administrator"


class Tenant(models.Model):
    """One organisation's installation of the extension. Every other row hangs off it."""

    name = models.CharField("organisation name", max_length=200, help_text="e.g. Acme Outdoor Ltd")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA time zone the schedules run in, e.g. America/Los_Angeles",
    )
    install_scope = models.CharField(
        max_length=16,
        choices=InstallScope.choices,
        default=InstallScope.ADMINS_ONLY,
        help_text="Who may use the extension (manual 1.1, 'Choose Users/Profiles')",
    )
    allowed_profiles = models.JSONField(
        default=list,
        blank=True,
        help_text='Profile names allowed when the scope is "Choose profiles", e.g. ["Sales"]',
    )
    super_admin_email = models.EmailField(
        blank=True, help_text="The CRM's super administrator; receives run emails by default"
    )
    notification_emails = models.JSONField(
        default=list,
        blank=True,
        help_text="Who receives run emails; empty means the super administrator",
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_installed(self) -> bool:
        return self.installed_at is not None

    def email_recipients(self) -> list[str]:
        return list(self.notification_emails) or (
            [self.super_admin_email] if self.super_admin_email else []
        )


class Membership(models.Model):
    """A user's place in a tenant, with the Zoho-style profile that install scope checks."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    profile = models.CharField(
        max_length=100,
        default="Standard",
        help_text='"Administrator", "Standard" or a custom profile name such as "Sales"',
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.profile})"

    @property
    def is_administrator(self) -> bool:
        return self.profile == ADMINISTRATOR_PROFILE


class AmazonCredentials(models.Model):
    """The tenant's Amazon connection. Secrets are encrypted at rest (amazon_ext.encryption).

    Seller ID and Marketplace IDs are stored in the clear: they are identifiers Amazon shows
    on every Seller Central page, and the sync keys on them.
    """

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="amazon_credentials"
    )
    kind = models.CharField(
        max_length=8, choices=ConnectionKind.choices, default=ConnectionKind.MWS
    )
    seller_id = models.CharField(
        "Seller ID",
        max_length=32,
        help_text="Seller Central → Settings → User Permissions, e.g. A2X13Y8357WGYA",
    )
    marketplace_ids = models.JSONField(
        "Marketplace IDs", default=list, help_text='Up to three, e.g. ["ATVPDKIKX0DER"]'
    )
    # MWS
    access_key = EncryptedSecretField("AWS Access Key", blank=True)
    secret_key = EncryptedSecretField("Secret Key", blank=True)
    mws_auth_token = EncryptedSecretField("MWS Auth Token", blank=True)
    # SP-API (Login with Amazon)
    lwa_client_id = models.CharField("LWA client id", max_length=200, blank=True)
    lwa_client_secret = EncryptedSecretField("LWA client secret", blank=True)
    lwa_refresh_token = EncryptedSecretField("LWA refresh token", blank=True)

    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When Amazon last accepted these credentials"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Amazon credentials"
        verbose_name_plural = "Amazon credentials"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} credentials for {self.tenant}"

    def __repr__(self) -> str:
        return (
            f"<AmazonCredentials tenant={self.tenant_id} kind={self.kind} seller={self.seller_id}>"
        )
