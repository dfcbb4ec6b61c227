"""SpApiTransport: one paced, retried SP-API call at a time.

Every call takes a token from the quota pacer (amazon_ext.amazon.pacing) for its operation's
usage plan, sends ``x-amz-access-token`` (an LWA access token or an RDT) and a User-Agent,
and reads the answer:

* 200 → the body. ``x-amzn-RateLimit-Limit`` (on 200/400/404) replaces the documented rate
  for the rest of this client's life.
* 429 ``QuotaExceeded`` → empty our bucket (so the next acquire waits a refill interval) and
  retry, at most MAX_THROTTLE_RETRIES times.
* 5xx, timeouts, dropped connections → exponential backoff with jitter, at most
  len(BACKOFF_STEPS) times (divided by the quota time scale for the stand-ins).
* 403 ``Unauthorized`` → once: the token may have expired or been revoked under us, so ask
  the token provider for a new one and retry; twice → AmazonCredentialError.
* other 4xx → AmazonRequestError (an InvalidInput about a configured marketplace names that
  Marketplace ID field), 404 → :class:`AmazonNotFoundError`.

With settings.AMAZON_SPAPI_ENDPOINT_OVERRIDE requests go to that address but keep the real
``Host`` (``sellingpartnerapi-na.amazon.com`` …), which tells the stand-in the region.
No SigV4: Amazon dropped it on 2 Oct 2023 (spec §5).
"""

from __future__ import annotations

import logging
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from amazon_ext.amazon.base import ClientStats
from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonServiceError,
    AmazonThrottledError,
)
from amazon_ext.amazon.pacing import QuotaPacer, pacer_from_settings
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.spapi.operations import USAGE_PLANS
from tenants.encryption import MASK

logger = logging.getLogger("amazon_ext.amazon.spapi")

BACKOFF_STEPS = (1.0, 4.0, 10.0, 30.0)
MIN_BACKOFF_SECONDS = 0.01
MAX_THROTTLE_RETRIES = 5
_CONNECTION_TROUBLE = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)

# A token provider: returns a token, never the ``rejected`` one.
TokenProvider = Callable[..., str]


class AmazonNotFoundError(AmazonRequestError):
    """404: the order (or resource) does not exist for this seller."""


def _user_agent(app_name: str) -> str:
    name = re.sub(r"[()/\\;=]", "", app_name).strip() or "AmazonZohoSync"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = re.sub(r"[()\\;=]", "", f"{platform.system()}/{platform.machine()}")
    return f"{name}/1.0 (Language=Python/{python}; Platform={system})"


def query_string(params: Mapping[str, str]) -> str:
    """Every value percent-encoded (RFC 3986, nothing kept safe): a NextToken's ``+ / =``
    must reach Amazon as ``%2B %2F %3D`` (spec §7.2)."""
    return urlencode(params, quote_via=quote, safe="")


class SpApiTransport:
    """Paces, sends and retries SP-API calls for one seller and region; counts them in
    ``stats``. ``scrub`` removes the given secrets from anything we quote."""

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
        self._time_scale = float(
            time_scale or getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0
        )
        self._timeout = float(timeout or getattr(settings, "AMAZON_HTTP_TIMEOUT", 30.0))
        self._user_agent = _user_agent(app_name or getattr(settings, "AMAZON_APP_NAME", ""))
        self._bucket_prefix = bucket_prefix
        self.rates: dict[str, float] = {}  # operation → rate Amazon announced
        self._session = self._new_session()

    def __repr__(self) -> str:
        return f"<SpApiTransport seller={self.seller_id} host={self.host}>"

    def close(self) -> None:
        self._session.close()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.proxies = requests.utils.get_environ_proxies(self.base_url)
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
            "CURL_CA_BUNDLE", True
        )
        session.trust_env = False
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=16, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def _backoff(self, attempt: int) -> float:
        step = BACKOFF_STEPS[min(attempt, len(BACKOFF_STEPS) - 1)]
        return max(MIN_BACKOFF_SECONDS, step / self._time_scale) * random.uniform(0.75, 1.25)

    def _note_rate(self, operation: str, headers: Mapping[str, str]) -> None:
        raw = headers.get("x-amzn-RateLimit-Limit")
        if not raw:
            return
        try:
            rate = float(raw)
        except ValueError:
            return
        if rate > 0 and self.rates.get(operation) != rate:
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
    ) -> tuple[bytes, str | None]:
        """Send one operation; return (body, x-amzn-RequestId) of a 200, or raise."""
        plan = USAGE_PLANS[operation]
        bucket = f"{self._bucket_prefix}:{operation}"
        url = self.base_url + path
        if params:
            url += "?" + query_string(params)
        method = "POST" if json_body is not None else "GET"
        access = token()
        throttles = transients = unauthorized = 0
        budget = 1 + MAX_THROTTLE_RETRIES + len(BACKOFF_STEPS) + 1
        for _attempt in range(budget):
            rate = self.rates.get(operation, plan.rate)
            self._pacer.acquire(bucket, capacity=plan.burst, restore_per_second=rate)
            headers = {
                "Host": self.host,
                "User-Agent": self._user_agent,
                "x-amz-access-token": access,
                "Accept": "application/json",
            }
            if json_body is not None:
                headers["Content-Type"] = "application/json"
            self.stats.count_call(operation)
            started = time.monotonic()
            try:
                response = self._session.request(
                    method, url, data=json_body, headers=headers, timeout=self._timeout
                )
            except _CONNECTION_TROUBLE as exc:
                failure, request_id = f"no answer ({type(exc).__name__})", None
            else:
                request_id = response.headers.get("x-amzn-RequestId")
                status = response.status_code
                logger.debug(
                    "SP-API %s HTTP %s in %.3fs RequestId=%s",
                    operation,
                    status,
                    time.monotonic() - started,
                    request_id,
                )
                if status in (200, 400, 404):
                    self._note_rate(operation, response.headers)
                if status == 200:
                    return response.content, request_id
                error = parsing.parse_error(response.content)
                if status == 429:
                    self.stats.count_throttled()
                    throttles += 1
                    if throttles > MAX_THROTTLE_RETRIES:
                        raise AmazonThrottledError(
                            f"Amazon kept throttling {operation} after {throttles} tries; "
                            "the next run will continue.",
                            code=error.code or "QuotaExceeded",
                            request_id=request_id,
                        )
                    logger.warning(
                        "SP-API %s throttled (RequestId=%s); waiting one refill interval",
                        operation,
                        request_id,
                    )
                    self._pacer.drain(bucket, capacity=plan.burst, restore_per_second=rate)
                    self.stats.count_retry()
                    continue
                if status == 403:
                    unauthorized += 1
                    if unauthorized == 1:
                        # Expired or revoked under us (or a cached token from another
                        # process the server has forgotten): one fresh token, one retry.
                        access = token(rejected=access)
                        self.stats.count_retry()
                        continue
                    raise self._unauthorized(operation, error, request_id)
                if status < 500:
                    raise self._refused(operation, status, error, request_id)
                failure = f"HTTP {status} {error.code}".strip()
            transients += 1
            if transients > len(BACKOFF_STEPS):
                raise AmazonServiceError(
                    f"Amazon did not complete {operation} after {transients} tries "
                    f"(last: {failure}); the next run will try again.",
                    code="ServiceUnavailable",
                    request_id=request_id,
                )
            delay = self._backoff(transients - 1)
            logger.warning(
                "SP-API %s failed (%s, RequestId=%s); retry %d in %.2fs",
                operation,
                failure,
                request_id,
                transients,
                delay,
            )
            self.stats.count_retry()
            time.sleep(delay)
        raise AmazonServiceError(f"Amazon did not complete {operation}.", code="RetriesExhausted")

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
