"""One Zoho CRM API call under the shared retry policy (``outbound.retry``).

Every call goes to ``connection.api_domain + /crm/v8`` with ``Authorization: Zoho-oauthtoken``,
holds one of the tenant's concurrency slots (``limits.call_slot``) while in flight, and is
counted in ``stats`` so a sync can report its Zoho calls.

What is Zoho's own is only how one answer is read (``answers.classify``): 429 → back off and retry
(``rate_limited_attempts``); 5xx and network errors → the same, but only for requests that are
safe to repeat (not a plain insert); 401 INVALID_TOKEN → one refresh and one retry at once,
within the attempt; any other 4xx → ``ZohoApiError`` at once. Logs carry tenant id, method,
path and status, never tokens or record payloads.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings

from crm_sync.models import ZohoConnection
from crm_sync.zoho import http, tokens
from crm_sync.zoho.answers import classify, error_parts, response_json
from crm_sync.zoho.errors import ZohoApiError
from crm_sync.zoho.limits import ACQUIRE_TIMEOUT_SECONDS, call_slot
from crm_sync.zoho.policy import BACKOFF_CAP_SECONDS, MAX_ATTEMPTS, zoho_policy
from outbound.errors import OutboundError
from outbound.retry import Outcome, call_with_retries

log = logging.getLogger(__name__)

API_VERSION = "v8"
CREDITS_PERSIST_SECONDS = 10.0
TOKEN_REJECTED = frozenset({"INVALID_TOKEN", "INVALID_OAUTHTOKEN", "AUTHENTICATION_FAILURE"})


def _route(path: str) -> str:
    """``/Products/4150868000000376008`` → ``/Products/{id}`` for per-route counting."""
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


class ZohoTransport:
    """Authenticated, rate-capped, retried calls for one tenant's connection. Thread-safe."""

    def __init__(
        self,
        connection: ZohoConnection,
        *,
        backoff_base: float | None = None,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        max_concurrency: int | None = None,
        redis_url: str | None = None,
        timeout: float | None = None,
        slot_timeout: float = ACQUIRE_TIMEOUT_SECONDS,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection = connection
        self.policy = zoho_policy(
            backoff_base=backoff_base, backoff_cap=backoff_cap, max_attempts=max_attempts
        )
        self.max_concurrency = max_concurrency
        self.redis_url = redis_url
        self.timeout = settings.ZOHO_HTTP_TIMEOUT if timeout is None else timeout
        self.slot_timeout = slot_timeout
        self.stats: Counter[str] = Counter()  # "METHOD /route" → calls, writes, records_written
        self.events: Counter[str] = Counter()  # retries and refreshes, for diagnosis
        self._session = session or requests.Session()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._credits_saved_at = 0.0
        self._credits_saved: int | None = connection.credits_remaining

    def __repr__(self) -> str:
        return f"<{type(self).__name__} tenant={self.connection.tenant_id} api={self.connection.api_domain}>"

    def __enter__(self) -> ZohoTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Save the last credits count and close the HTTP session."""
        self.flush_credits(force=True)
        self._session.close()

    def ensure_token(self) -> None:
        """Have a usable access token (refreshed if needed) before work begins, so a run
        that cannot reach Zoho (a refresh throttle, a revoked grant) stops before it spends
        Amazon's quota listing orders it could not write."""
        tokens.ensure_access_token(self.connection, policy=self.policy, sleep=self._sleep)

    @property
    def calls(self) -> int:
        """HTTP calls made (every attempt, retries included)."""
        return sum(n for key, n in self.stats.items() if " " in key)

    @property
    def base_url(self) -> str:
        return f"{self.connection.api_domain.rstrip('/')}/crm/{API_VERSION}"

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.stats[key] += n

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        results_key: str | None = None,
        expected: int = 0,
        idempotent: bool = True,
    ) -> http.Response:
        """One API call under the policy; raises a ``ZohoError`` when it fails for good.

        ``results_key``/``expected``: a 400 whose body holds one result per item sent is a
        batch where every item failed, which the caller reports item by item.
        """
        resp, _ = self._exchange(
            method,
            path,
            params=params,
            json=json,
            results_key=results_key,
            expected=expected,
            idempotent=idempotent,
        )
        return resp

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        results_key: str | None = None,
        expected: int = 0,
        idempotent: bool = True,
    ) -> tuple[http.Response, bool]:
        """``_call``, and whether its outcome is *uncertain*: an earlier attempt got no
        answer (timeout, dropped connection) or a 5xx, so Zoho may have applied the request
        before the answer we got, or may still apply it after; a write like that must be
        verified, not trusted. (429 and 401 are refusals: nothing was applied.)"""
        method = method.upper()
        path = "/" + path.lstrip("/")
        refreshed = False
        uncertain = False

        def send_once(attempt: int) -> Outcome[http.Response]:
            nonlocal refreshed, uncertain
            try:
                resp, token = self._send(method, path, params=params, json=json)
                if resp.status_code == 401 and not refreshed:
                    code, _, _ = error_parts(response_json(resp))
                    if code in TOKEN_REJECTED:
                        # Zoho's clock passed the token's hour before ours did: refresh once
                        # and retry at once; not a transient failure, so no backoff.
                        refreshed = True
                        with self._lock:
                            self.events["token_rejected"] += 1
                        resp, _ = self._send(method, path, params=params, json=json, reject=token)
            except _UnreachableError as exc:
                uncertain = True
                exc.error.uncertain = True
                if idempotent:
                    return Outcome.retry(exc.error)
                raise exc.error from None  # Zoho may have acted on it: do not repeat
            if resp.status_code >= 500:
                uncertain = True
            return classify(
                resp,
                connection=self.connection,
                method=method,
                path=path,
                results_key=results_key,
                expected=expected,
                idempotent=idempotent,
            )

        try:
            resp = call_with_retries(
                send_once,
                policy=self.policy,
                what=f"Zoho {method} {path}",
                sleep=self._sleep,
                on_retry=self._on_retry,
            )
        except ZohoApiError as exc:
            # Read by the pipeline: a write that failed for good may still have been applied.
            exc.uncertain = getattr(exc, "uncertain", False) or uncertain
            raise
        if uncertain and method != "GET":
            with self._lock:
                self.events["uncertain_writes"] += 1
        return resp, uncertain

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict | None,
        json: Any,
        reject: str | None = None,
    ) -> tuple[http.Answer, str]:
        """One HTTP request holding a call slot, and the token it used; a network error
        raises ``_UnreachableError``. A token refresh has its own retries (``tokens``)."""
        token = tokens.ensure_access_token(
            self.connection, rejected=reject, policy=self.policy, sleep=self._sleep
        )
        tenant = self.connection.tenant_id
        route = f"{method} {_route(path)}"
        try:
            with call_slot(
                tenant,
                limit=self.max_concurrency,
                redis_url=self.redis_url,
                timeout=self.slot_timeout,
            ):
                resp = http.request(
                    self._session,
                    method,
                    self.base_url + path,
                    params=params,
                    json_body=json,
                    headers={"Authorization": f"Zoho-oauthtoken {token}"},
                    timeout=self.timeout,
                )
        except requests.RequestException as exc:
            self._count(route)
            log.warning("zoho tenant=%s %s %s failed: %s", tenant, method, path, type(exc).__name__)
            error = ZohoApiError(0, "NETWORK_ERROR", type(exc).__name__, method=method, path=path)
            raise _UnreachableError(error) from None
        self._count(route)
        self._track_credits(resp)
        level = logging.DEBUG if resp.status_code < 300 else logging.INFO
        log.log(level, "zoho tenant=%s %s %s %s", tenant, method, path, resp.status_code)
        return resp, token

    def _on_retry(self, error: OutboundError, delay: float) -> None:
        status = getattr(error, "status", 0)
        why = str(status) if status else "network"
        with self._lock:
            self.events[f"retry_{why}"] += 1
        log.info("zoho tenant=%s backing off %.2fs after %s", self.connection.tenant_id, delay, why)

    def _track_credits(self, resp: http.Response) -> None:
        raw = resp.headers.get("X-API-CREDITS-REMAINING")
        if raw is None:
            return
        try:
            self.connection.credits_remaining = int(raw)
        except ValueError:
            return
        self.flush_credits()

    def flush_credits(self, *, force: bool = False) -> None:
        """Save credits remaining at most every few seconds (it changes on every call)."""
        value = self.connection.credits_remaining
        now = time.monotonic()
        if value is None or value == self._credits_saved or self.connection.pk is None:
            return
        if not force and now - self._credits_saved_at < CREDITS_PERSIST_SECONDS:
            return
        self._credits_saved, self._credits_saved_at = value, now
        ZohoConnection.objects.filter(pk=self.connection.pk).update(credits_remaining=value)


class _UnreachableError(Exception):
    """A request that got no answer (connection refused or dropped, timeout)."""

    def __init__(self, error: ZohoApiError) -> None:
        super().__init__(str(error))
        self.error = error
