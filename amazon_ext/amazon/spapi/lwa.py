"""Login with Amazon (LWA): access tokens from a refresh token, and the website workflow's
code exchange.

Spec: ../shared/specs/amazon-apis.md §5 "LWA token". An access token lives an hour; we use it
until ~5 minutes before it expires (a tenth of its life for short-lived test tokens).

Single flight: however many threads and worker processes need a token for one refresh token
at once, one of them asks LWA and the others wait and reuse its answer (the locks are
amazon_ext.amazon.spapi.lwa_locks'). The token is shared through the Django cache (Redis when configured), encrypted with the field
keys, keyed by a hash of (token URL, client id, refresh token) — never by the secret itself.

The token endpoint itself — one retry policy, LWA's error table (``invalid_grant`` names the
refresh token, ``invalid_client`` the client secret) — is amazon_ext.amazon.spapi.lwa_endpoint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from amazon_ext.amazon.errors import AmazonCredentialError, AmazonRequestError
from amazon_ext.amazon.sealed import Sealed
from amazon_ext.amazon.spapi.lwa_endpoint import post_token
from amazon_ext.amazon.spapi.lwa_locks import process_lock, thread_lock
from tenants.encryption import MASK, SecretDecryptionError, decrypt_text, encrypt_text

logger = logging.getLogger("amazon_ext.amazon.spapi")

REFRESH_MARGIN_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str
    expires_at: float  # wall-clock seconds

    def usable(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) < self.expires_at

    def __repr__(self) -> str:
        return f"AccessToken({MASK})"


def refresh_margin(expires_in: float) -> float:
    return min(REFRESH_MARGIN_SECONDS, expires_in / 10)


def _token_url() -> str:
    return getattr(settings, "AMAZON_LWA_TOKEN_URL", "") or "https://api.amazon.com/auth/o2/token"


class LwaTokens:
    """Access tokens for one (LWA client, refresh token): cached, refreshed single-flight.

    ``access_token(rejected=t)`` never returns ``t`` again: pass the token an SP-API call
    just answered 403 to, and a fresh one is fetched (unless another thread already did).
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        token_url: str | None = None,
    ) -> None:
        self.client_id = client_id.strip()
        self._client_secret = Sealed(client_secret.strip())
        self._refresh_token = Sealed(refresh_token.strip())
        self.token_url = token_url or _token_url()
        digest = hashlib.sha256(
            "\n".join([self.token_url, self.client_id, self._refresh_token.reveal()]).encode()
        ).hexdigest()[:32]
        self.key = digest
        self._cache_key = f"amazon:lwa:{digest}"
        self._current: AccessToken | None = None
        self.refreshes = 0  # LWA calls made by this object (tests, stats)

    def __repr__(self) -> str:
        return f"<LwaTokens client={self.client_id} key={self.key[:8]}>"

    def secrets(self) -> tuple[str, ...]:
        return (self._client_secret.reveal(), self._refresh_token.reveal())

    def _cached(self) -> AccessToken | None:
        raw = cache.get(self._cache_key)
        if not raw:
            return None
        try:
            data = json.loads(decrypt_text(raw, what="a cached LWA access token"))
            return AccessToken(str(data["v"]), float(data["e"]))
        except (SecretDecryptionError, ValueError, KeyError, TypeError):
            return None

    def _store(self, token: AccessToken) -> None:
        ttl = max(1, int(token.expires_at - time.time()))
        payload = encrypt_text(json.dumps({"v": token.value, "e": token.expires_at}))
        cache.set(self._cache_key, payload, ttl)

    def _fresh(self, token: AccessToken | None, rejected: str | None) -> bool:
        return token is not None and token.usable() and token.value != rejected

    def access_token(self, *, rejected: str | None = None) -> str:
        if self._fresh(self._current, rejected):
            return self._current.value
        with thread_lock(self._cache_key):
            cached = self._cached()
            if self._fresh(cached, rejected):
                self._current = cached
                return cached.value
            with process_lock(self.key):
                cached = self._cached()  # another process may have refreshed meanwhile
                if self._fresh(cached, rejected):
                    self._current = cached
                    return cached.value
                token = self._refresh()
                self._store(token)
                self._current = token
                return token.value

    def _refresh(self) -> AccessToken:
        if not self._refresh_token.reveal():
            raise AmazonCredentialError(
                "Enter the LWA refresh token, or press Authorize with Amazon.",
                field="lwa_refresh_token",
            )
        started = time.time()
        body = post_token(
            {
                "grant_type": "refresh_token",
                "refresh_token": self._refresh_token.reveal(),
                "client_id": self.client_id,
                "client_secret": self._client_secret.reveal(),
            },
            token_url=self.token_url,
            secrets=self.secrets(),
            what="refresh",
        )
        self.refreshes += 1
        try:
            expires_in = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        logger.info("LWA access token refreshed key=%s expires_in=%s", self.key[:8], expires_in)
        return AccessToken(
            str(body["access_token"]), started + expires_in - refresh_margin(expires_in)
        )


def exchange_authorization_code(*, code: str, redirect_uri: str) -> str:
    """The website authorization workflow's last step: trade ``spapi_oauth_code`` for the
    seller's refresh token, with the app's LWA client (settings.AMAZON_LWA_CLIENT_ID/SECRET)."""
    client_secret = getattr(settings, "AMAZON_LWA_CLIENT_SECRET", "") or ""
    body = post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": getattr(settings, "AMAZON_LWA_CLIENT_ID", "") or "",
            "client_secret": client_secret,
        },
        token_url=_token_url(),
        secrets=(client_secret, code),
        what="authorization code",
    )
    refresh_token = str(body.get("refresh_token") or "")
    if not refresh_token:
        raise AmazonRequestError(
            "Login with Amazon answered without a refresh token; authorize again.",
            code="NoRefreshToken",
        )
    return refresh_token
