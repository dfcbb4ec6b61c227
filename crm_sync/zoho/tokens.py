"""Access tokens: cached in the connection row, refreshed single-flight, retried like any call.

Zoho allows 10 new access tokens per refresh token per 10 minutes, then answers "Access
Denied" for 15–30 minutes, so a refresh is single-flight per tenant (see
``ensure_access_token``) and a throttled refresh is never retried. A refresh that meets a
network blip or a 5xx is retried under the same policy as API calls; when that budget is
spent it raises ``ZohoTokenUnavailableError`` (retryable), because nothing is wrong with the
authorisation and reconnecting would not help.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from crm_sync.models import ZohoConnection
from crm_sync.zoho.accounts import TokenResponse, refresh_access_token
from crm_sync.zoho.errors import (
    RECONNECT_MESSAGE,
    ZohoReconnectRequired,
    ZohoTokenError,
    ZohoTokenRevokedError,
    ZohoTokenThrottledError,
    ZohoTokenUnavailableError,
)
from crm_sync.zoho.policy import zoho_policy
from outbound.errors import OutboundError
from outbound.retry import Outcome, RetryPolicy, call_with_retries
from tenants.encryption import Secret

log = logging.getLogger(__name__)

# An access token is used until this long before it expires, then refreshed.
REFRESH_MARGIN = timedelta(minutes=5)
# Zoho's "Access Denied" refresh throttle clears after 15–30 minutes without token calls.
THROTTLE_PAUSE_SECONDS = 15 * 60

_tenant_locks: dict[int, threading.Lock] = {}
_tenant_locks_guard = threading.Lock()


def reveal(value: Secret | str | None) -> str:
    """Plaintext of a secret field, whether loaded (``Secret``) or just assigned (``str``)."""
    if isinstance(value, Secret):
        return value.reveal()
    return str(value or "")


def _tenant_lock(tenant_id: int) -> threading.Lock:
    with _tenant_locks_guard:
        return _tenant_locks.setdefault(tenant_id, threading.Lock())


def _throttle_key(refresh_token: str) -> str:
    # Keyed by the grant (hashed), not the tenant id: a reconnect starts afresh.
    return "zoho:refresh-throttled:" + hashlib.sha256(refresh_token.encode()).hexdigest()[:24]


def _usable_token(connection: ZohoConnection) -> str:
    expires = connection.access_token_expires_at
    if not connection.access_token or expires is None:
        return ""
    if expires - REFRESH_MARGIN <= timezone.now():
        return ""
    return reveal(connection.access_token)


def _store_tokens(connection: ZohoConnection, tokens: TokenResponse) -> None:
    connection.access_token = Secret.from_plaintext(tokens.access_token, "Zoho access token")
    connection.access_token_expires_at = timezone.now() + timedelta(seconds=tokens.expires_in)


def ensure_access_token(
    connection: ZohoConnection,
    *,
    rejected: str | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """A usable access token for ``connection``, refreshing it when needed.

    ``rejected`` is a token Zoho just answered 401 INVALID_TOKEN to; it is never returned.
    ``policy`` bounds retries of a refresh that got no answer or a 5xx (default: Zoho's).
    Each retry takes the locks afresh, so the wait holds no database lock and another
    worker's successful refresh is picked up instead of making a second one.
    """
    if rejected is None:
        token = _usable_token(connection)
        if token:
            return token
    if connection.status == ZohoConnection.Status.BROKEN:
        raise ZohoReconnectRequired(connection.status_reason or RECONNECT_MESSAGE)

    def attempt(_: int) -> Outcome[str]:
        try:
            return Outcome.done(_token_single_flight(connection, rejected=rejected))
        except ZohoTokenError as exc:
            if not exc.retryable:
                raise
            reason = f"{exc.error}: {exc.description}" if exc.description else exc.error
            return Outcome.retry(
                ZohoTokenUnavailableError(
                    exc.http_status, reason, accounts_server=connection.accounts_server
                )
            )

    def on_retry(error: OutboundError, delay: float) -> None:
        log.warning(
            "zoho token refresh tenant=%s retrying in %.2fs: %s",
            connection.tenant_id,
            delay,
            getattr(error, "zoho_message", ""),
        )

    return call_with_retries(
        attempt,
        policy=policy or zoho_policy(),
        what="Zoho token refresh",
        sleep=sleep,
        on_retry=on_retry,
    )


def _token_single_flight(connection: ZohoConnection, *, rejected: str | None) -> str:
    """One refresh attempt, or the token another worker just got.

    Single-flight: one refresh per tenant however many threads and processes ask at once.
    The row lock (``select_for_update``) serialises processes on PostgreSQL. SQLite ignores
    it, but the project opens SQLite transactions with BEGIN IMMEDIATE, which takes the
    database write lock up front, so the atomic block still serialises processes. The
    per-tenant thread lock serialises threads of one process before they reach the
    database (so they queue here instead of on database locks). Whoever gets in second
    finds a fresh token in the row and uses it.
    """
    if connection.pk is None:
        # Not saved yet (connecting): nobody else can hold this token, nothing to share.
        tokens = refresh_access_token(
            accounts_server=connection.accounts_server,
            refresh_token=reveal(connection.refresh_token),
        )
        _store_tokens(connection, tokens)
        return tokens.access_token

    revoked: ZohoTokenRevokedError | None = None
    with _tenant_lock(connection.tenant_id), transaction.atomic():
        row = ZohoConnection.objects.select_for_update().get(pk=connection.pk)
        if row.status == ZohoConnection.Status.BROKEN:
            _copy_status(row, connection)
            raise ZohoReconnectRequired(row.status_reason or RECONNECT_MESSAGE)
        token = _usable_token(row)
        if token and token != rejected:
            _copy_tokens(row, connection)
            return token
        refresh_token = reveal(row.refresh_token)
        throttle_key = _throttle_key(refresh_token)
        if cache.get(throttle_key):
            # Asking again while Zoho throttles keeps the throttle closed; wait it out.
            raise ZohoTokenThrottledError(
                "Access Denied", "waiting for Zoho's token throttle to clear"
            )
        try:
            tokens = refresh_access_token(
                accounts_server=row.accounts_server, refresh_token=refresh_token
            )
        except ZohoTokenThrottledError:
            cache.set(throttle_key, True, THROTTLE_PAUSE_SECONDS)
            log.warning("zoho token refresh throttled tenant=%s", row.tenant_id)
            raise
        except ZohoTokenRevokedError as exc:
            revoked = exc
            row.status = ZohoConnection.Status.BROKEN
            row.status_reason = RECONNECT_MESSAGE
            row.access_token = ""
            row.access_token_expires_at = None
            row.save(
                update_fields=[
                    "status",
                    "status_reason",
                    "access_token",
                    "access_token_expires_at",
                    "updated_at",
                ]
            )
        else:
            _store_tokens(row, tokens)
            row.save(update_fields=["access_token", "access_token_expires_at", "updated_at"])
            log.info("zoho access token refreshed tenant=%s", row.tenant_id)
    _copy_status(row, connection)
    _copy_tokens(row, connection)
    if revoked is not None:
        log.warning("zoho refresh token refused tenant=%s: %s", row.tenant_id, revoked.error)
        raise ZohoReconnectRequired() from None
    return tokens.access_token


def _copy_tokens(source: ZohoConnection, target: ZohoConnection) -> None:
    target.access_token = source.access_token
    target.access_token_expires_at = source.access_token_expires_at


def _copy_status(source: ZohoConnection, target: ZohoConnection) -> None:
    target.status = source.status
    target.status_reason = source.status_reason


def mark_broken(*, connection: ZohoConnection, reason: str = RECONNECT_MESSAGE) -> None:
    """Flag the connection for reconnecting (Settings shows ``reason``)."""
    connection.status = ZohoConnection.Status.BROKEN
    connection.status_reason = reason
    if connection.pk is not None:
        ZohoConnection.objects.filter(pk=connection.pk).update(
            status=connection.status, status_reason=reason, updated_at=timezone.now()
        )
    log.warning("zoho connection marked broken tenant=%s", connection.tenant_id)
