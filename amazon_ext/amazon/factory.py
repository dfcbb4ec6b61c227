"""Build the right orders client for a tenant's stored Amazon credentials."""

from __future__ import annotations

from django.conf import settings

from amazon_ext.amazon.base import AmazonOrdersClient
from amazon_ext.models import AmazonCredentials, ConnectionKind


def orders_client_for(credentials: AmazonCredentials) -> AmazonOrdersClient:
    """An :class:`AmazonOrdersClient` for ``credentials`` (secrets decrypted here, in memory
    only, and held sealed by the client)."""
    if credentials.kind == ConnectionKind.MWS:
        from amazon_ext.amazon.mws.client import MwsClient

        return MwsClient(
            seller_id=credentials.seller_id,
            access_key=_reveal(credentials.access_key),
            secret_key=_reveal(credentials.secret_key),
            mws_auth_token=_reveal(credentials.mws_auth_token),
            marketplace_ids=list(credentials.marketplace_ids or []),
        )
    if credentials.kind == ConnectionKind.SPAPI:
        from amazon_ext.amazon.spapi.client import SpApiClient

        return SpApiClient(
            seller_id=credentials.seller_id,
            marketplace_ids=list(credentials.marketplace_ids or []),
            lwa_client_id=credentials.lwa_client_id,
            lwa_client_secret=_lwa_client_secret(credentials),
            lwa_refresh_token=_reveal(credentials.lwa_refresh_token),
        )
    raise ValueError(f"unknown Amazon connection kind {credentials.kind!r}")


def _lwa_client_secret(credentials: AmazonCredentials) -> str:
    """Tenants connected with *Authorize with Amazon* use this installation's SP-API app: its
    current secret comes from settings, so rotating it (every 180 days) needs no per-tenant
    edit. Tenants with their own app keep their stored secret."""
    app_client_id = getattr(settings, "AMAZON_LWA_CLIENT_ID", "") or ""
    app_secret = getattr(settings, "AMAZON_LWA_CLIENT_SECRET", "") or ""
    if app_client_id and app_secret and credentials.lwa_client_id == app_client_id:
        return app_secret
    return _reveal(credentials.lwa_client_secret)


def _reveal(secret: object) -> str:
    """Plaintext of an encrypted field (a ``Secret``), or "" when the field is empty."""
    if not secret:
        return ""
    reveal = getattr(secret, "reveal", None)
    return reveal() if reveal is not None else str(secret)
