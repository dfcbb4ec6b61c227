"""Build the right orders client for a tenant's stored Amazon credentials."""

from __future__ import annotations

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
        # The SP-API connector (its own issue) plugs in here and returns its client.
        raise NotImplementedError("SP-API")
    raise ValueError(f"unknown Amazon connection kind {credentials.kind!r}")


def _reveal(secret: object) -> str:
    """Plaintext of an encrypted field (a ``Secret``), or "" when the field is empty."""
    if not secret:
        return ""
    reveal = getattr(secret, "reveal", None)
    return reveal() if reveal is not None else str(secret)
