"""MwsTransport: one signed, paced, retried MWS call at a time.

Every call is a form POST signed with Signature Version 2 (amazon_ext.amazon.signing) to the
MWS endpoint of the seller's marketplaces, after taking a token from the quota pacer
(amazon_ext.amazon.pacing). ``503 RequestThrottled`` empties our bucket and retries after at
least one restore interval; 5xx answers, timeouts and dropped connections retry with
exponential backoff and jitter, at most 4 times (the 1 s / 4 s / 10 s / 30 s schedule of
../shared/specs/amazon-apis.md §3, divided by the quota time scale). Everything else becomes
the AmazonError of amazon_ext.amazon.mws.answers at once.

With settings.AMAZON_MWS_ENDPOINT_OVERRIDE (e.g. ``http://127.0.0.1:8101``) requests go to that
address but keep the real Amazon ``Host`` header and are signed for the real host, so a
stand-in verifies signatures exactly as Amazon would and tells regions apart.

Secrets (Secret Key, MWS Auth Token, Access Key) stay sealed: they never appear in
exceptions, logs or reprs, and Amazon's own messages are scrubbed of them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import random
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from amazon_ext.amazon import signing
from amazon_ext.amazon.base import ClientStats
from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonServiceError,
    AmazonThrottledError,
)
from amazon_ext.amazon.marketplaces import marketplace_for
from amazon_ext.amazon.mws import parsing
from amazon_ext.amazon.mws.answers import error_for
from amazon_ext.amazon.mws.operations import OPERATIONS
from amazon_ext.amazon.pacing import QuotaPacer, pacer_from_settings
from amazon_ext.amazon.sealed import Sealed
from tenants.encryption import MASK

logger = logging.getLogger("amazon_ext.amazon.mws")

BACKOFF_STEPS = (1.0, 4.0, 10.0, 30.0)  # seconds at real speed, divided by the time scale
MIN_BACKOFF_SECONDS = 0.01
MAX_TRANSIENT_RETRIES = len(BACKOFF_STEPS)
MAX_THROTTLE_RETRIES = 5

_CONNECTION_TROUBLE = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def _user_agent(app_name: str) -> str:
    # MWS DG_UserAgentHeader: AppName/AppVersion (Language=…; Platform=…); no parentheses
    # or slashes inside the parts.
    name = re.sub(r"[()/\\;=]", "", app_name).strip() or "AmazonZohoSync"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = re.sub(r"[()\\;=]", "", f"{platform.system()}/{platform.machine()}")
    return f"{name}/1.0 (Language=Python/{python}; Platform={system})"


class MwsTransport:
    """Signs, paces, sends and retries MWS calls for one seller; counts them in ``stats``.

    ``pacer``, ``endpoint_override``, ``time_scale``, ``timeout`` and ``app_name`` default to
    the process pacer and the AMAZON_* settings.
    """

    def __init__(
        self,
        *,
        seller_id: str,
        access_key: str,
        secret_key: str,
        mws_auth_token: str,
        marketplace_ids: Sequence[str],
        stats: ClientStats,
        pacer: QuotaPacer | None = None,
        endpoint_override: str | None = None,
        time_scale: float | None = None,
        timeout: float | None = None,
        app_name: str | None = None,
    ) -> None:
        self.seller_id = seller_id
        self.marketplace_ids = list(marketplace_ids)
        self.stats = stats
        self._access_key = Sealed(access_key.strip())
        self._secret_key = Sealed(secret_key.strip())
        self._mws_auth_token = Sealed((mws_auth_token or "").strip())
        self._pacer = pacer or pacer_from_settings()
        if endpoint_override is None:
            endpoint_override = getattr(settings, "AMAZON_MWS_ENDPOINT_OVERRIDE", "") or ""
        self._endpoint_override = endpoint_override.rstrip("/")
        self._time_scale = float(
            time_scale or getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0
        )
        self._timeout = float(timeout or getattr(settings, "AMAZON_HTTP_TIMEOUT", 30.0))
        self._user_agent = _user_agent(app_name or getattr(settings, "AMAZON_APP_NAME", ""))
        key_digest = hashlib.sha256(self._access_key.reveal().encode()).hexdigest()[:12]
        self._bucket_prefix = f"mws:{self.seller_id}:{key_digest}"
        self._session = self._new_session()

    def __repr__(self) -> str:
        return f"<MwsTransport seller={self.seller_id}>"

    def close(self) -> None:
        self._session.close()

    def _new_session(self) -> requests.Session:
        """One keep-alive session. Proxy and CA-bundle environment variables are read once
        here instead of on every request (requests re-scans os.environ per call, ~15 % of a
        call's client time)."""
        session = requests.Session()
        try:
            _, base_url = self.endpoint()
        except AmazonCredentialError:
            base_url = ""  # reported on the first call
        session.proxies = requests.utils.get_environ_proxies(base_url) if base_url else {}
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
            "CURL_CA_BUNDLE", True
        )
        session.trust_env = False
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=16, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def endpoint(self) -> tuple[str, str]:
        """(real host, base URL to send to) for the seller's marketplaces."""
        if not self.marketplace_ids:
            raise AmazonCredentialError(
                "Enter at least one Marketplace ID, e.g. ATVPDKIKX0DER.", field="marketplace_id_1"
            )
        hosts: dict[str, str] = {}
        for position, marketplace_id in enumerate(self.marketplace_ids, 1):
            marketplace = marketplace_for(marketplace_id)
            if marketplace is None:
                raise AmazonCredentialError(
                    f"{marketplace_id} is not an Amazon Marketplace ID.",
                    field=f"marketplace_id_{position}",
                )
            if hosts and marketplace.mws_host not in hosts:
                first = next(iter(hosts.values()))
                raise AmazonCredentialError(
                    f"Marketplace {marketplace_id} is served by {marketplace.mws_host}, "
                    f"{first} by another Amazon endpoint; one connection serves one endpoint.",
                    field=f"marketplace_id_{position}",
                )
            hosts.setdefault(marketplace.mws_host, marketplace_id)
        host = next(iter(hosts))
        return host, self._endpoint_override or f"https://{host}"

    def scrub(self, text: str) -> str:
        for secret in (self._secret_key, self._mws_auth_token, self._access_key):
            value = secret.reveal()
            if value:
                text = text.replace(value, MASK)
        return text

    def _body(self, action: str, params: dict[str, str], host: str, path: str, version: str) -> str:
        """The signed form body: canonical query (sorted, RFC 3986) plus Signature."""
        values = {
            "AWSAccessKeyId": self._access_key.reveal(),
            "Action": action,
            "SellerId": self.seller_id,
            "SignatureMethod": signing.SIGNATURE_METHOD,
            "SignatureVersion": signing.SIGNATURE_VERSION,
            "Timestamp": signing.iso_timestamp(datetime.now(UTC)),
            "Version": version,
            **params,
        }
        if self._mws_auth_token.reveal():
            values["MWSAuthToken"] = self._mws_auth_token.reveal()
        query = signing.canonical_query(values)
        text = "\n".join(["POST", signing.canonical_host(host), path, query])
        signature = signing.sign(self._secret_key.reveal(), text)
        return f"{query}&Signature={signing.rfc3986(signature)}"

    def _backoff(self, attempt: int) -> float:
        step = BACKOFF_STEPS[min(attempt, len(BACKOFF_STEPS) - 1)]
        return max(MIN_BACKOFF_SECONDS, step / self._time_scale) * random.uniform(0.75, 1.25)

    def call(self, action: str, params: dict[str, str]) -> tuple[bytes, str | None]:
        """Send one operation; return (body, RequestId) of a 200, or raise AmazonError."""
        section, quota = OPERATIONS[action]
        host, base_url = self.endpoint()
        url = base_url + section.path
        bucket = f"{self._bucket_prefix}:{quota.group}"
        headers = {
            "Host": host,
            "User-Agent": self._user_agent,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        }
        throttles = transients = disconnects = 0
        for _attempt in range(1 + MAX_THROTTLE_RETRIES + MAX_TRANSIENT_RETRIES + 1):
            self._pacer.acquire(
                bucket, capacity=quota.capacity, restore_per_second=quota.restore_per_second
            )
            body = self._body(action, params, host, section.path, section.version)
            self.stats.count_call(action)
            started = time.monotonic()
            try:
                response = self._session.post(
                    url, data=body.encode("ascii"), headers=headers, timeout=self._timeout
                )
            except _CONNECTION_TROUBLE as exc:
                failure, request_id = f"no answer ({type(exc).__name__})", None
            else:
                request_id = response.headers.get("x-mws-request-id")
                logger.debug(
                    "MWS %s HTTP %s in %.3fs RequestId=%s",
                    action,
                    response.status_code,
                    time.monotonic() - started,
                    request_id,
                )
                if response.status_code == 200:
                    return response.content, request_id
                error = parsing.parse_error(response.content, request_id=request_id)
                request_id = error.request_id
                if error.code == "RequestThrottled":
                    self.stats.count_throttled()
                    throttles += 1
                    if throttles > MAX_THROTTLE_RETRIES:
                        raise AmazonThrottledError(
                            f"Amazon kept throttling {action} after {throttles} tries; "
                            "the next run will continue.",
                            code=error.code,
                            request_id=request_id,
                        )
                    logger.warning(
                        "MWS %s throttled (RequestId=%s); waiting one restore interval",
                        action,
                        request_id,
                    )
                    # Our bucket was fuller than Amazon's: empty it, so the next acquire
                    # waits at least one restore interval.
                    self._pacer.drain(
                        bucket, capacity=quota.capacity, restore_per_second=quota.restore_per_second
                    )
                    self.stats.count_retry()
                    continue
                if error.code == "InputStreamDisconnected" and disconnects == 0:
                    disconnects += 1
                    self.stats.count_retry()
                    continue
                if response.status_code < 500 or error.code == "QuotaExceeded":
                    raise error_for(
                        action,
                        status=response.status_code,
                        headers=response.headers,
                        error=error,
                        seller_id=self.seller_id,
                        marketplace_ids=self.marketplace_ids,
                        host=host,
                        scrub=self.scrub,
                    )
                failure = f"HTTP {response.status_code} {error.code or ''}".strip()
            transients += 1
            if transients > MAX_TRANSIENT_RETRIES:
                raise AmazonServiceError(
                    f"Amazon did not complete {action} after {transients} tries "
                    f"(last: {failure}); the next run will try again.",
                    code="ServiceUnavailable",
                    request_id=request_id,
                )
            delay = self._backoff(transients - 1)
            logger.warning(
                "MWS %s failed (%s, RequestId=%s); retry %d in %.2fs",
                action,
                failure,
                request_id,
                transients,
                delay,
            )
            self.stats.count_retry()
            time.sleep(delay)
        raise AmazonServiceError(  # only reachable if every retry budget were mis-set
            f"Amazon did not complete {action}.", code="RetriesExhausted"
        )
