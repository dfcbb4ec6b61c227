"""A tenant's Amazon connection: which API it speaks and its credentials."""

from __future__ import annotations

from django.db import models

from tenants.encryption import EncryptedSecretField
from tenants.models import Tenant


class ConnectionKind(models.TextChoices):
    """Which Amazon API a tenant's credentials are for."""

    MWS = "mws", "Amazon MWS (the manual's seven fields)"
    SPAPI = "spapi", "Amazon Selling Partner API (Login with Amazon)"


class AmazonCredentials(models.Model):
    """The tenant's Amazon connection. Secrets are encrypted at rest (tenants.encryption).

    Seller ID and Marketplace IDs are stored in the clear: they are identifiers Amazon shows
    on every Seller Central page, and the sync keys on them.
    """

    # The encrypted fields: write-only in every form and the admin (a blank input keeps the
    # stored value), shown only masked.
    SECRET_FIELDS = (
        "access_key",
        "secret_key",
        "mws_auth_token",
        "lwa_client_secret",
        "lwa_refresh_token",
    )

    tenant = models.OneToOneField(
        Tenant,
        on_delete=models.CASCADE,
        related_name="amazon_credentials",
        help_text="The organisation these credentials belong to (one Amazon connection each)",
    )
    kind = models.CharField(
        max_length=8,
        choices=ConnectionKind.choices,
        default=ConnectionKind.MWS,
        help_text="Which API the sync talks to: MWS (seven fields) or the Selling Partner API",
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
    access_key = EncryptedSecretField(
        "AWS Access Key",
        blank=True,
        help_text="MWS only, encrypted; from “View your credentials”, it starts with AKIA",
    )
    secret_key = EncryptedSecretField(
        "Secret Key",
        blank=True,
        help_text="MWS only, encrypted; shown next to the AWS Access Key (click Show)",
    )
    mws_auth_token = EncryptedSecretField(
        "MWS Auth Token",
        blank=True,
        help_text="MWS only, encrypted; from “Authorize a Developer”, e.g. amzn.mws.4ea38b7b-…",
    )
    # SP-API (Login with Amazon)
    lwa_client_id = models.CharField(
        "LWA client id",
        max_length=200,
        blank=True,
        help_text="SP-API only; the app's Client identifier, e.g. amzn1.application-oa2-client.…",
    )
    lwa_client_secret = EncryptedSecretField(
        "LWA client secret",
        blank=True,
        help_text="SP-API only, encrypted; shown next to the client identifier",
    )
    lwa_refresh_token = EncryptedSecretField(
        "LWA refresh token",
        blank=True,
        help_text="SP-API only, encrypted; from Authorize with Amazon, e.g. Atzr|IwEB…",
    )

    orders_v2026_refused_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When Amazon last refused Orders API v2026-01-01 for these marketplaces "
        "while v0 worked (runs use v0 until the retry, e.g. a week later); empty: v2026 works",
    )
    orders_v2026_refused_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="What Amazon answered then, e.g. Unauthorized, Amazon RequestId 6b1c…",
    )
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When Amazon last accepted these credentials"
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="When these were last saved")

    class Meta:
        verbose_name = "Amazon credentials"
        verbose_name_plural = "Amazon credentials"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} credentials for {self.tenant}"

    def __repr__(self) -> str:
        return (
            f"<AmazonCredentials tenant={self.tenant_id} kind={self.kind} seller={self.seller_id}>"
        )
