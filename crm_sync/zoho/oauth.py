"""Zoho's OAuth 2.0 authorization-code flow, token refresh and revocation.

Three rules from Zoho's multi-DC docs shape this module: every token call goes to the
``accounts-server`` the callback named (checked against Zoho's list, since we send it our
client secret), every API call goes to the ``api_domain`` the token response named, and the
accounts server reports errors in HTTP 200 bodies, so the body, not the status, decides.

Refresh is single-flight per tenant: Zoho allows 10 new access tokens per refresh token per
10 minutes, then answers "Access Denied" for 15–30 minutes. See ``ensure_access_token``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from crm_sync.models import ZohoConnection
from crm_sync.zoho.errors import (
    RECONNECT_MESSAGE,
    ZohoConnectError,
    ZohoReconnectRequired,
    ZohoStateError,
    ZohoTokenError,
    ZohoTokenRevokedError,
    ZohoTokenThrottledError,
)
from tenants.encryption import Secret
from tenants.oauth_state import StateFlow, StateRejectedError

log = logging.getLogger(__name__)

SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.users.READ",
    "ZohoCRM.org.READ",
    "ZohoCRM.coql.READ",
    # Zoho's search API also needs this one; without it search() answers OAUTH_SCOPE_MISMATCH.
    "ZohoSearch.securesearch.READ",
)
# An access token is used until this long before it expires, then refreshed.
REFRESH_MARGIN = timedelta(minutes=5)
# Zoho's "Access Denied" refresh throttle clears after 15–30 minutes without token calls.
THROTTLE_PAUSE_SECONDS = 15 * 60
STATE_FLOW = StateFlow(session_key="zoho_oauth_pending", salt="crm_sync.zoho.oauth.state")

# Zoho's accounts servers per data centre (multi-DC docs; /oauth/serverinfo lists the same).
KNOWN_ACCOUNTS_SERVERS = (
    "https://accounts.zoho.com",
    "https://accounts.zoho.eu",
    "https://accounts.zoho.in",
    "https://accounts.zoho.com.au",
    "https://accounts.zoho.jp",
    "https://accounts.zoho.com.cn",
    "https://accounts.zoho.sa",
    "https://accounts.zoho.uk",
    "https://accounts.zohocloud.ca",
)
SERVERINFO_CACHE_SECONDS = 3600
REVOKED_ERRORS = frozenset({"invalid_code", "invalid_token"})


@dataclass(frozen=True)
class TokenResponse:
    """What the token endpoint returned. Tokens are kept out of ``repr``."""

    access_token: str = field(repr=False)
    expires_in: int
    api_domain: str
    scope: str = ""
    refresh_token: str = field(default="", repr=False)


def reveal(value: Secret | str | None) -> str:
    """Plaintext of a secret field, whether loaded (``Secret``) or just assigned (``str``)."""
    if isinstance(value, Secret):
        return value.reveal()
    return str(value or "")


# ---------------------------------------------------------------------------------------------
# state: signed, bound to the session and user, single use, expiring


def state_issue(*, session, tenant_id: int, user_id: int) -> str:
    """A ``state`` for one authorize redirect (see tenants.oauth_state)."""
    return STATE_FLOW.issue(session=session, tenant_id=tenant_id, user_id=user_id)


_STATE_PROBLEMS = {
    "missing": "The Zoho sign-in answer had no state. Start again from Settings.",
    "expired": "The Zoho sign-in took longer than 10 minutes. Start again from Settings.",
    "forged": "The Zoho sign-in answer was not one we started.",
    "spent": "This Zoho sign-in answer was already used or belongs to another session. "
    "Start again from Settings.",
}


def state_consume(*, session, state: str, user_id: int) -> int:
    """Check a callback's ``state`` and return its tenant id; the state is spent either way."""
    try:
        entry = STATE_FLOW.consume(session=session, state=state, user_id=user_id)
    except StateRejectedError as exc:
        raise ZohoStateError(_STATE_PROBLEMS[exc.reason]) from None
    return int(entry["t"])


def authorize_url(*, state: str) -> str:
    """Where to send the administrator: Zoho's consent page, asking for a refresh token."""
    query = urlencode(
        {
            "scope": ",".join(SCOPES),
            "client_id": settings.ZOHO_CLIENT_ID,
            "response_type": "code",
            "access_type": "offline",
            "prompt": "consent",
            "redirect_uri": settings.ZOHO_REDIRECT_URI,
            "state": state,
        }
    )
    return f"{_origin(settings.ZOHO_ACCOUNTS_URL)}/oauth/v2/auth?{query}"


# ---------------------------------------------------------------------------------------------
# accounts servers


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def _serverinfo(*, fresh: bool = False) -> dict[str, str]:
    """Zoho's own data-centre list from the configured accounts server (cached an hour)."""
    base = _origin(settings.ZOHO_ACCOUNTS_URL)
    key = f"zoho:serverinfo:{base}"
    found = None if fresh else cache.get(key)
    if found is None:
        found = {}
        try:
            resp = requests.get(f"{base}/oauth/serverinfo", timeout=settings.ZOHO_HTTP_TIMEOUT)
            locations = resp.json().get("locations") if resp.ok else None
            if isinstance(locations, dict):
                found = {str(k): _origin(str(v)) for k, v in locations.items()}
        except (requests.RequestException, ValueError, AttributeError):
            log.warning("zoho serverinfo unavailable from %s; using the built-in list", base)
        cache.set(key, found, SERVERINFO_CACHE_SECONDS if found else 60)
    return found


def allowed_accounts_server(candidate: str) -> str:
    """The callback's ``accounts-server`` if it is one of Zoho's; we will send it our client
    secret, so a forged callback must not be able to choose it."""
    origin = _origin(candidate or "")
    allowed = {*KNOWN_ACCOUNTS_SERVERS, _origin(settings.ZOHO_ACCOUNTS_URL)}
    if origin and origin not in allowed:
        allowed.update(_serverinfo().values())
    if origin and origin not in allowed:  # Zoho may have opened a data centre since
        allowed.update(_serverinfo(fresh=True).values())
    if not origin or origin not in allowed:
        raise ZohoConnectError(
            "Zoho named an accounts server we do not recognise; nothing was connected. "
            "Start again from Settings."
        )
    return origin


# ---------------------------------------------------------------------------------------------
# token endpoint


def _is_throttle(error: str, description: str) -> bool:
    text = f"{error} {description}".lower().replace("_", " ")
    return "access denied" in text or "too many requests" in text


def _token_call(accounts_server: str, data: dict[str, str], *, what: str) -> TokenResponse:
    url = f"{_origin(accounts_server)}/oauth/v2/token"
    try:
        resp = requests.post(url, data=data, timeout=settings.ZOHO_HTTP_TIMEOUT)
    except requests.RequestException as exc:
        raise ZohoTokenError("unreachable", type(exc).__name__, http_status=0) from None
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ZohoTokenError(
            "bad_response", f"HTTP {resp.status_code}", http_status=resp.status_code
        )
    error = str(body.get("error") or "")
    if error or resp.status_code >= 400 or not body.get("access_token"):
        description = str(body.get("error_description") or "")
        error = error or f"http_{resp.status_code}"
        log.warning("zoho %s refused by %s: %s", what, _origin(accounts_server), error)
        if _is_throttle(error, description):
            raise ZohoTokenThrottledError(error, description, http_status=resp.status_code)
        if what == "refresh" and error in REVOKED_ERRORS:
            raise ZohoTokenRevokedError(error, description, http_status=resp.status_code)
        raise ZohoTokenError(error, description, http_status=resp.status_code)
    return TokenResponse(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or ""),
        expires_in=int(body.get("expires_in") or 3600),
        api_domain=_origin(str(body.get("api_domain") or "")),
        scope=str(body.get("scope") or ""),
    )


def exchange_code(*, accounts_server: str, code: str) -> TokenResponse:
    """Trade the callback's single-use grant code for a refresh and an access token."""
    tokens = _token_call(
        accounts_server,
        {
            "grant_type": "authorization_code",
            "client_id": settings.ZOHO_CLIENT_ID,
            "client_secret": settings.ZOHO_CLIENT_SECRET,
            "redirect_uri": settings.ZOHO_REDIRECT_URI,
            "code": code,
        },
        what="code exchange",
    )
    if not tokens.refresh_token:
        raise ZohoConnectError(
            "Zoho did not issue a refresh token, so the sync could not run unattended. "
            "Start again from Settings."
        )
    if not tokens.api_domain:
        raise ZohoConnectError("Zoho did not say which API domain serves this organisation.")
    return tokens


def refresh_access_token(*, accounts_server: str, refresh_token: str) -> TokenResponse:
    """One refresh call. Callers go through ``ensure_access_token`` (single-flight)."""
    return _token_call(
        accounts_server,
        {
            "grant_type": "refresh_token",
            "client_id": settings.ZOHO_CLIENT_ID,
            "client_secret": settings.ZOHO_CLIENT_SECRET,
            "refresh_token": refresh_token,
        },
        what="refresh",
    )


def revoke_token(*, accounts_server: str, token: str) -> bool:
    """Revoke a refresh token (and its access tokens). True when Zoho confirmed it."""
    url = f"{_origin(accounts_server)}/oauth/v2/token/revoke"
    try:
        # In the form body, not the query string Zoho's docs show: URLs end up in logs.
        resp = requests.post(url, data={"token": token}, timeout=settings.ZOHO_HTTP_TIMEOUT)
        body = resp.json() if resp.content else {}
    except (requests.RequestException, ValueError):
        return False
    return resp.ok and not (isinstance(body, dict) and body.get("error"))


def revoke(*, connection: ZohoConnection) -> bool:
    """Revoke a connection's refresh token, e.g. on uninstall or disconnect."""
    if not connection.refresh_token:
        return False
    ok = revoke_token(
        accounts_server=connection.accounts_server, token=reveal(connection.refresh_token)
    )
    log.info("zoho refresh token revoke tenant=%s ok=%s", connection.tenant_id, ok)
    return ok


# ---------------------------------------------------------------------------------------------
# access tokens: cached, refreshed single-flight

_tenant_locks: dict[int, threading.Lock] = {}
_tenant_locks_guard = threading.Lock()


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


def ensure_access_token(connection: ZohoConnection, *, rejected: str | None = None) -> str:
    """A usable access token for ``connection``, refreshing it when needed.

    ``rejected`` is a token Zoho just answered 401 INVALID_TOKEN to; it is never returned.

    Single-flight: one refresh per tenant however many threads and processes ask at once.
    The row lock (``select_for_update``) serialises processes on PostgreSQL. SQLite ignores
    it, but the project opens SQLite transactions with BEGIN IMMEDIATE, which takes the
    database write lock up front, so the atomic block still serialises processes. The
    per-tenant thread lock serialises threads of one process before they reach the
    database (so they queue here instead of on database locks). Whoever gets in second
    finds a fresh token in the row and uses it.
    """
    if rejected is None:
        token = _usable_token(connection)
        if token:
            return token
    if connection.status == ZohoConnection.Status.BROKEN:
        raise ZohoReconnectRequired(connection.status_reason or RECONNECT_MESSAGE)
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
