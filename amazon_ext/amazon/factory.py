"""Build the right orders client for a tenant's stored Amazon credentials."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from amazon_ext.amazon.base import AmazonOrdersClient
from amazon_ext.models import AmazonCredentials, ConnectionKind


def orders_client_for(
    credentials: AmazonCredentials,
    *,
    report_quota_wait: Callable[[str, float | None], None] | None = None,
) -> AmazonOrdersClient:
    """An :class:`AmazonOrdersClient` for ``credentials`` (secrets decrypted here, in memory
    only, and held sealed by the client). ``report_quota_wait(operation, until)`` hears of
    every long wait for Amazon's quota (``until`` an epoch time; None: the wait is over).

    SP-API clients speak Orders v2026-01-01 unless these credentials remember a recent
    refusal of it (then v0, until its shut-off); a new refusal, or v2026 working again, is
    saved on the credentials (amazon_ext/services/orders_api.py)."""
    pacer = None
    if report_quota_wait is not None:
        from amazon_ext.amazon.pacing import ReportingPacer, pacer_from_settings

        pacer = ReportingPacer(pacer_from_settings(), report_quota_wait)
    if credentials.kind == ConnectionKind.MWS:
        from amazon_ext.amazon.mws.client import MwsClient

        return MwsClient(
            seller_id=credentials.seller_id,
            access_key=_reveal(credentials.access_key),
            secret_key=_reveal(credentials.secret_key),
            mws_auth_token=_reveal(credentials.mws_auth_token),
            marketplace_ids=list(credentials.marketplace_ids or []),
            pacer=pacer,
        )
    if credentials.kind == ConnectionKind.SPAPI:
        from amazon_ext.amazon.spapi.client import SpApiClient

        return SpApiClient(
            seller_id=credentials.seller_id,
            marketplace_ids=list(credentials.marketplace_ids or []),
            lwa_client_id=credentials.lwa_client_id,
            lwa_client_secret=_lwa_client_secret(credentials),
            lwa_refresh_token=_reveal(credentials.lwa_refresh_token),
            pacer=pacer,
            v2026_refused_at=credentials.orders_v2026_refused_at,
            v2026_refused_reason=credentials.orders_v2026_refused_reason,
            remember_v2026=_rememberer(credentials),
        )
    raise ValueError(f"unknown Amazon connection kind {credentials.kind!r}")


def _rememberer(credentials: AmazonCredentials) -> Callable[[str | None], None] | None:
    """Saves the client's finding on the stored credentials (none while verifying unsaved
    ones: the first run finds out again)."""
    if credentials.pk is None:
        return None
    from amazon_ext.services.orders_api import credentials_remember_v2026

    def remember(refused: str | None) -> None:
        if refused is None and credentials.orders_v2026_refused_at is None:
            return  # nothing to forget: no write
        credentials_remember_v2026(credentials_id=credentials.pk, refused=refused)

    return remember


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
