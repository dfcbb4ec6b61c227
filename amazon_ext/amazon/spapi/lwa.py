"""Login with Amazon (LWA): access tokens from a refresh token, and the website workflow's
code exchange.

Spec: ../shared/specs/amazon-apis.md §5 "LWA token". An access token lives an hour; we use it
until ~5 minutes before it expires (a tenth of its life for short-lived test tokens).

Single flight: however many threads and worker processes need a token for one refresh token
at once, one of them asks LWA and the others wait and reuse its answer. Threads of a process
queue on a per-key lock; processes queue on a Redis lock when settings.REDIS_URL is set. The
token is shared through the Django cache (Redis when configured), encrypted with the field
keys, keyed by a hash of (token URL, client id, refresh token) — never by the secret itself.

Errors: 400 ``invalid_grant`` → AmazonCredentialError(field="lwa_refresh_token"); 401
``invalid_client`` → AmazonCredentialError(field="lwa_client_secret"); 429/5xx/no answer →
bounded retries with backoff, then AmazonServiceError / AmazonThrottledError.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache

from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonServiceError,
    AmazonThrottledError,
)
from amazon_ext.amazon.sealed import Sealed
from tenants.encryption import MASK, SecretDecryptionError, decrypt_text, encrypt_text

logger = logging.getLogger("amazon_ext.amazon.spapi")

REFRESH_MARGIN_SECONDS = 300.0
MAX_TRIES = 4
BACKOFF_SECONDS = (0.5, 2.0, 5.0)
LOCK_TIMEOUT_SECONDS = 60
_CONNECTION_TROUBLE = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)

REFRESH_REFUSED = (
    "Amazon refused the LWA refresh token; authorize again with Amazon (Settings → "
    "Authorize with Amazon) or paste a new refresh token. It stops working when the seller "
    "revokes the app or the app's authorization expires."
)
CLIENT_REFUSED = (
    "Amazon refused the LWA client id and client secret (Client authentication failed). Copy "
    "them again from Developer Central; LWA client secrets must be rotated every 180 days."
)


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


def _timeout() -> float:
    return float(getattr(settings, "AMAZON_HTTP_TIMEOUT", 30.0) or 30.0)


def _post_token(
    form: dict[str, str], *, token_url: str, secrets: tuple[str, ...], what: str
) -> dict:
    """POST to LWA with bounded retries for throttling and server trouble; returns the JSON
    answer of a 200, raises the AmazonError for anything else. ``secrets`` are scrubbed
    from anything quoted."""
    last = ""
    for attempt in range(MAX_TRIES):
        try:
            response = requests.post(
                token_url,
                data=form,
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
                timeout=_timeout(),
            )
        except _CONNECTION_TROUBLE as exc:
            last = f"no answer ({type(exc).__name__})"
        else:
            try:
                body = response.json()
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            error = str(body.get("error") or "")
            if response.status_code == 200 and body.get("access_token"):
                return body
            if error == "invalid_client" or response.status_code == 401:
                raise AmazonCredentialError(
                    CLIENT_REFUSED, field="lwa_client_secret", code="invalid_client"
                )
            if error == "invalid_grant":
                if what == "refresh":
                    raise AmazonCredentialError(
                        REFRESH_REFUSED, field="lwa_refresh_token", code="invalid_grant"
                    )
                raise AmazonCredentialError(
                    "Amazon refused the authorization code: it is used once and expires "
                    "after 5 minutes. Press Authorize with Amazon again.",
                    field="lwa_refresh_token",
                    code="invalid_grant",
                )
            if response.status_code != 429 and response.status_code < 500:
                description = str(body.get("error_description") or "")
                for secret in secrets:
                    if secret:
                        description = description.replace(secret, MASK)
                raise AmazonRequestError(
                    f"Login with Amazon refused the {what} request "
                    f"({error or response.status_code}: {description[:200]}).",
                    code=error or f"HTTP{response.status_code}",
                )
            last = f"HTTP {response.status_code} {error}".strip()
            if response.status_code == 429 and attempt == MAX_TRIES - 1:
                raise AmazonThrottledError(
                    "Login with Amazon is throttling token requests; the next run will try again.",
                    code="slow_down",
                )
        if attempt < MAX_TRIES - 1:
            delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
            delay /= float(getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0)
            logger.warning("LWA %s failed (%s); retry %d", what, last, attempt + 1)
            time.sleep(max(0.01, delay) * random.uniform(0.75, 1.25))
    raise AmazonServiceError(
        f"Login with Amazon did not answer the {what} request after {MAX_TRIES} tries "
        f"(last: {last}); the next run will try again.",
        code="ServiceUnavailable",
    )


# ---- single flight -----------------------------------------------------------------------

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()
_redis_clients: dict[str, object] = {}


def _thread_lock(key: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _process_lock(key: str):
    """A Redis lock shared by every worker process, or nothing without REDIS_URL."""
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url:
        return _NoLock()
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients.setdefault(url, redis.Redis.from_url(url))
    return client.lock(
        f"amazon:lwa-lock:{key}",
        timeout=LOCK_TIMEOUT_SECONDS,
        blocking_timeout=LOCK_TIMEOUT_SECONDS + _timeout(),
    )


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
        with _thread_lock(self._cache_key):
            cached = self._cached()
            if self._fresh(cached, rejected):
                self._current = cached
                return cached.value
            with _process_lock(self.key):
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
        body = _post_token(
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
    body = _post_token(
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
