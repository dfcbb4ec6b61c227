"""SpApiTransport: one paced, retried SP-API call at a time.

The shared attempt loop (amazon_ext.amazon.calls) paces every call by its operation's usage
plan and retries it under :data:`SPAPI_POLICY`; one attempt goes through the shared HTTP layer
(amazon_ext.amazon.http: pooled session, total deadline, body cap) with ``x-amz-access-token``
(an LWA access token or an RDT) and a User-Agent. What is SP-API's own is
:meth:`SpApiTransport._classify`, the table from an answer to an action:

* 200 → the body. ``x-amzn-RateLimit-Limit`` (on 200/400/404) replaces the documented rate
  for the rest of this client's life.
* 429 ``QuotaExceeded`` → rate-limited: empty our bucket (so the next acquire waits a refill
  interval) and retry, at most 5 times.
* 5xx, and no answer at all → transient: 1 s / 4 s / 10 s / 30 s with jitter (divided by the
  quota time scale for the stand-ins), at most 4 times.
* 403 ``Unauthorized`` → once: the token may have expired or been revoked under us, so ask
  the token provider for a new one and retry at once; twice → AmazonCredentialError.
* other 4xx → AmazonRequestError (an InvalidInput about a configured marketplace names that
  Marketplace ID field), 404 → :class:`AmazonNotFoundError`.

With settings.AMAZON_SPAPI_ENDPOINT_OVERRIDE requests go to that address but keep the real
``Host`` (``sellingpartnerapi-na.amazon.com`` …), which tells the stand-in the region.
No SigV4: Amazon dropped it on 2 Oct 2023 (spec §5).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote, urlencode

from django.conf import settings

from amazon_ext.amazon import http
from amazon_ext.amazon.base import ClientStats
from amazon_ext.amazon.calls import Bucket, kept_throttling, not_completed, paced_call
from amazon_ext.amazon.complete import CutShortError, json_cut_short
from amazon_ext.amazon.errors import AmazonCredentialError, AmazonRequestError
from amazon_ext.amazon.http import HttpAnswer
from amazon_ext.amazon.pacing import QuotaPacer, pacer_from_settings
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.spapi.operations import CREATE_RDT, USAGE_PLANS
from outbound.retry import Outcome, RetryPolicy
from tenants.encryption import MASK

logger = logging.getLogger("amazon_ext.amazon.spapi")

SPAPI_POLICY = RetryPolicy(
    attempts=4,
    rate_limited_attempts=5,
    immediate_attempts=1,  # one fresh token after a 403
    schedule=(1.0, 4.0, 10.0, 30.0),
    min_backoff=0.01,
    jitter=0.25,
)
# Answers that are one small document; every other operation may be a list page.
SMALL_ANSWERS = frozenset({CREATE_RDT})

# A token provider: returns a token, never the ``rejected`` one.
TokenProvider = Callable[..., str]


class AmazonNotFoundError(AmazonRequestError):
    """404: the order (or resource) does not exist for this seller."""


def query_string(params: Mapping[str, str]) -> str:
    """Every value percent-encoded (RFC 3986, nothing kept safe): a NextToken's ``+ / =``
    must reach Amazon as ``%2B %2F %3D`` (spec §7.2)."""
    return urlencode(params, quote_via=quote, safe="")


class SpApiTransport:
    """Paces, sends and retries SP-API calls for one seller and region; counts them in
    ``stats``. ``scrub`` removes the given secrets from anything we quote. ``timeout`` is the
    total deadline of one attempt (settings.AMAZON_HTTP_TIMEOUT by default)."""

    def __init__(
        self,
        *,
        seller_id: str,
        host: str,
        bucket_prefix: str,
        stats: ClientStats,
        secrets: Sequence[str] = (),
        pacer: QuotaPacer | None = None,
        endpoint_override: str | None = None,
        time_scale: float | None = None,
        timeout: float | None = None,
        app_name: str | None = None,
        marketplace_ids: Sequence[str] = (),
    ) -> None:
        self.seller_id = seller_id
        self.host = host
        self.stats = stats
        self.marketplace_ids = list(marketplace_ids)
        self._secrets = tuple(s for s in secrets if s)
        self._pacer = pacer or pacer_from_settings()
        if endpoint_override is None:
            endpoint_override = getattr(settings, "AMAZON_SPAPI_ENDPOINT_OVERRIDE", "") or ""
        self.base_url = endpoint_override.rstrip("/") or f"https://{host}"
        scale = float(time_scale or getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0)
        self.policy = dataclasses.replace(SPAPI_POLICY, time_scale=scale)
        self._timeout = float(timeout or getattr(settings, "AMAZON_HTTP_TIMEOUT", 30.0))
        self._user_agent = http.user_agent(app_name or getattr(settings, "AMAZON_APP_NAME", ""))
        self._bucket_prefix = bucket_prefix
        self.rates: dict[str, float] = {}  # operation → rate Amazon announced
        self._session = http.new_session(self.base_url)

    def __repr__(self) -> str:
        return f"<SpApiTransport seller={self.seller_id} host={self.host}>"

    def close(self) -> None:
        self._session.close()

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def _note_rate(self, operation: str, headers: Mapping[str, str]) -> None:
        raw = headers.get("x-amzn-RateLimit-Limit")
        if not raw:
            return
        try:
            rate = float(raw)
        except ValueError:
            return
        if 0 < rate < 1e6 and self.rates.get(operation) != rate:
            if rate != USAGE_PLANS[operation].rate:
                logger.info("SP-API %s: Amazon grants %s requests/s", operation, rate)
            self.rates[operation] = rate

    def call(
        self,
        operation: str,
        path: str,
        *,
        token: TokenProvider,
        params: Mapping[str, str] | None = None,
        json_body: str | None = None,
        method: str | None = None,
    ) -> tuple[bytes, str | None]:
        """Send one operation; return (body, x-amzn-RequestId) of a 200, or raise. ``method``
        defaults to POST with a body, GET without (DELETE for deleteSubscriptionById)."""
        plan = USAGE_PLANS[operation]
        url = self.base_url + path
        if params:
            url += "?" + query_string(params)
        method = method or ("POST" if json_body is not None else "GET")
        cap = http.MAX_SMALL_BODY_BYTES if operation in SMALL_ANSWERS else http.MAX_PAGE_BYTES
        access = [token()]  # replaced once after a 403
        refreshed = [False]

        def send() -> HttpAnswer:
            headers = {
                "Host": self.host,
                "User-Agent": self._user_agent,
                "x-amz-access-token": access[0],
                "Accept": "application/json",
            }
            if json_body is not None:
                headers["Content-Type"] = "application/json"
            return http.send(
                self._session,
                method,
                url,
                headers=headers,
                data=json_body,
                deadline_seconds=self._timeout,
                max_body_bytes=cap,
                what=operation,
            )

        def classify(answer: HttpAnswer, tries: int) -> Outcome[tuple[bytes, str | None]]:
            outcome = self._classify(operation, answer, tries)
            if outcome.immediate:
                if refreshed[0] and outcome.error is not None:
                    raise outcome.error  # a fresh token was refused too
                # Expired or revoked under us (or a cached token from another process the
                # server has forgotten): one fresh token, one retry.
                refreshed[0] = True
                access[0] = token(rejected=access[0])
            return outcome

        return paced_call(
            operation,
            policy=self.policy,
            stats=self.stats,
            pacer=self._pacer,
            bucket=lambda: Bucket(
                f"{self._bucket_prefix}:{operation}",
                plan.burst,
                self.rates.get(operation, plan.rate),
            ),
            send=send,
            classify=classify,
            logger=logger,
        )

    def _classify(
        self, operation: str, answer: HttpAnswer, tries: int
    ) -> Outcome[tuple[bytes, str | None]]:
        """SP-API's table: what one answer means (see the module docstring)."""
        request_id = answer.headers.get("x-amzn-RequestId")
        status = answer.status
        if status in (200, 202, 400, 404):
            self._note_rate(operation, answer.headers)
        if status in (200, 202):  # 202 Accepted: createReport (Reports API 2021-06-30)
            if json_cut_short(answer.body):
                return Outcome.retry(CutShortError(operation, request_id=request_id))
            return Outcome.done((answer.body, request_id))
        error = parsing.parse_error(answer.body)
        if status == 429:
            throttled = kept_throttling(
                operation, tries=tries, code=error.code or "QuotaExceeded", request_id=request_id
            )
            return Outcome.wait(throttled, 0.0)  # the pacer's next acquire is the wait
        if status == 403:
            return Outcome.again(self._unauthorized(operation, error, request_id))
        if status < 500:
            raise self._refused(operation, status, error, request_id)
        failure = f"HTTP {status} {error.code}".strip()
        return Outcome.retry(
            not_completed(operation, tries=tries, failure=failure, request_id=request_id)
        )

    def _unauthorized(
        self, operation: str, error: parsing.SpErrorBody, request_id: str | None
    ) -> AmazonCredentialError:
        return AmazonCredentialError(
            f"Amazon denied {operation} ({error.code or 'Unauthorized'}) with a fresh access "
            f"token. Either the seller {self.seller_id} has not authorized this app (or "
            "authorized it for another selling account: authorize again with Amazon), or the "
            f"Marketplace IDs are not in the region of {self.host}.",
            field="lwa_refresh_token",
            code=error.code or "Unauthorized",
            request_id=request_id,
        )

    def _refused(
        self, operation: str, status: int, error: parsing.SpErrorBody, request_id: str | None
    ) -> AmazonRequestError | AmazonCredentialError:
        message = self.scrub(error.message) or f"HTTP {status}"
        code = error.code or f"HTTP{status}"
        if status == 404:
            return AmazonNotFoundError(
                f"Amazon found nothing for {operation}: {message}",
                code=code,
                request_id=request_id,
            )
        if "marketplace" in message.lower():
            for position, marketplace_id in enumerate(self.marketplace_ids, 1):
                if marketplace_id in message:
                    return AmazonCredentialError(
                        f"Amazon refused Marketplace ID {marketplace_id}: {message}",
                        field=f"marketplace_id_{position}",
                        code=code,
                        request_id=request_id,
                    )
        return AmazonRequestError(
            f"Amazon refused {operation}: {message}", code=code, request_id=request_id
        )
