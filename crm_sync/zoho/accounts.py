"""Zoho's accounts server: its token endpoint and revocation, one HTTP call each.

The accounts server reports errors in HTTP 200 bodies, so the body, not the status, decides
what an answer means. Retrying is the caller's business (``tokens`` retries a refresh under
the shared policy; a code exchange is never repeated, since a grant code is single use).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings

from crm_sync.zoho.errors import ZohoTokenError, ZohoTokenRevokedError, ZohoTokenThrottledError

log = logging.getLogger(__name__)

REVOKED_ERRORS = frozenset({"invalid_code", "invalid_token"})


@dataclass(frozen=True)
class TokenResponse:
    """What the token endpoint returned. Tokens are kept out of ``repr``."""

    access_token: str = field(repr=False)
    expires_in: int
    api_domain: str
    scope: str = ""
    refresh_token: str = field(default="", repr=False)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` in lower case, or "" if it is not an http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port out of range or not a number: not a server we will call
        return ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def _is_throttle(error: str, description: str) -> bool:
    text = f"{error} {description}".lower().replace("_", " ")
    return "access denied" in text or "too many requests" in text


def token_call(accounts_server: str, data: dict[str, str], *, what: str) -> TokenResponse:
    """POST ``/oauth/v2/token`` once. Raises ``ZohoTokenError``: retryable when the server
    could not be reached (``http_status`` 0) or failed (5xx); throttled and revoked are
    their own classes, never retryable."""
    url = f"{origin(accounts_server)}/oauth/v2/token"
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
        log.warning("zoho %s refused by %s: %s", what, origin(accounts_server), error)
        if _is_throttle(error, description):
            raise ZohoTokenThrottledError(error, description, http_status=resp.status_code)
        if what == "refresh" and error in REVOKED_ERRORS:
            raise ZohoTokenRevokedError(error, description, http_status=resp.status_code)
        raise ZohoTokenError(error, description, http_status=resp.status_code)
    return TokenResponse(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or ""),
        expires_in=int(body.get("expires_in") or 3600),
        api_domain=origin(str(body.get("api_domain") or "")),
        scope=str(body.get("scope") or ""),
    )


def refresh_access_token(*, accounts_server: str, refresh_token: str) -> TokenResponse:
    """One refresh call. Callers go through ``tokens.ensure_access_token`` (single-flight,
    retried under the policy)."""
    return token_call(
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
    url = f"{origin(accounts_server)}/oauth/v2/token/revoke"
    try:
        # In the form body, not the query string Zoho's docs show: URLs end up in logs.
        resp = requests.post(url, data={"token": token}, timeout=settings.ZOHO_HTTP_TIMEOUT)
        body = resp.json() if resp.content else {}
    except (requests.RequestException, ValueError):
        return False
    return resp.ok and not (isinstance(body, dict) and body.get("error"))
