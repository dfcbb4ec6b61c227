"""MwsClient: one seller's orders over Amazon MWS (Orders 2013-09-01, Sellers 2011-07-01).

Every call is a signed form POST (Signature Version 2, amazon_ext.amazon.signing) to the MWS
endpoint of the seller's marketplaces, paced so Amazon's leaky buckets never run dry
(amazon_ext.amazon.pacing), retried only when a retry can help, and parsed into the shared
types (amazon_ext.amazon.mws.parsing). Behaviour follows ../shared/specs/amazon-apis.md §1–§3
and §7; the retry schedule (up to 4 retries, growing 1 s / 4 s / 10 s / 30 s) is the one §3
recommends.

With settings.AMAZON_MWS_ENDPOINT_OVERRIDE (e.g. ``http://127.0.0.1:8101``) requests go to that
address but keep the real Amazon ``Host`` header and are signed for the real host, so a
stand-in verifies signatures exactly as Amazon would and tells regions apart.

Secrets (Secret Key, MWS Auth Token) stay in sealed attributes: they never appear in
exceptions, logs or ``repr(client)``; Amazon's own messages are scrubbed of them too.
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
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from amazon_ext.amazon import signing
from amazon_ext.amazon.base import ClientStats
from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonResponseError,
    AmazonServiceError,
    AmazonThrottledError,
)
from amazon_ext.amazon.marketplaces import marketplace_for
from amazon_ext.amazon.mws import parsing
from amazon_ext.amazon.mws.operations import (
    GET_ORDER_MAX_IDS,
    MAX_RESULTS_PER_PAGE,
    OPERATIONS,
)
from amazon_ext.amazon.pacing import QuotaPacer, pacer_from_settings
from amazon_ext.amazon.types import Order, OrderItem, OrderPage

logger = logging.getLogger(__name__)

# Amazon serves data no fresher than two minutes (spec §1, §7.4).
FRESHNESS_LAG = timedelta(minutes=2)
# Transient-failure schedule in seconds at real speed (spec §3), divided by the time scale.
BACKOFF_STEPS = (1.0, 4.0, 10.0, 30.0)
MIN_BACKOFF_SECONDS = 0.01
MAX_TRANSIENT_RETRIES = len(BACKOFF_STEPS)
MAX_THROTTLE_RETRIES = 5
# Bounds on NextToken walks: far beyond any real account, they only stop a looping server.
MAX_ORDER_PAGES = 200_000
MAX_ITEM_PAGES = 1_000
MAX_PARTICIPATION_PAGES = 100
MASK = "••••"

_CONNECTION_TROUBLE = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class _Sealed:
    """A secret that shows as a mask wherever it is printed (logs, tracebacks, repr)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return repr(MASK)

    __str__ = __repr__


def _iso(when: datetime) -> str:
    """UTC ISO 8601 with ``Z``, milliseconds kept (floored) when there are any."""
    if when.tzinfo is None:
        raise ValueError("Amazon dates must be aware datetimes (UTC)")
    when = when.astimezone(UTC)
    millis = when.microsecond // 1000
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def _user_agent(app_name: str) -> str:
    # MWS DG_UserAgentHeader: AppName/AppVersion (Language=…; Platform=…); no parentheses
    # or slashes inside the parts.
    name = re.sub(r"[()/\\;=]", "", app_name).strip() or "AmazonZohoSync"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = re.sub(r"[()\\;=]", "", f"{platform.system()}/{platform.machine()}")
    return f"{name}/1.0 (Language=Python/{python}; Platform={system})"


class MwsClient:
    """Reads one seller's orders through MWS; implements AmazonOrdersClient.

    All marketplaces must be served by one MWS endpoint (the credentials form checks this).
    ``pacer``, ``endpoint_override``, ``time_scale``, ``timeout`` and ``app_name`` default to
    the process pacer and the AMAZON_* settings.
    """

    def __init__(
        self,
        *,
        seller_id: str,
        access_key: str,
        secret_key: str,
        mws_auth_token: str = "",
        marketplace_ids: Sequence[str],
        pacer: QuotaPacer | None = None,
        endpoint_override: str | None = None,
        time_scale: float | None = None,
        timeout: float | None = None,
        app_name: str | None = None,
    ) -> None:
        self.seller_id = seller_id.strip()
        self.marketplace_ids = [m.strip() for m in marketplace_ids if m and m.strip()]
        self._access_key = _Sealed(access_key.strip())
        self._secret_key = _Sealed(secret_key.strip())
        self._mws_auth_token = _Sealed((mws_auth_token or "").strip())
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
        self.stats = ClientStats()

    def _new_session(self) -> requests.Session:
        """One keep-alive session. Proxy and CA-bundle environment variables are read once
        here instead of on every request (requests re-scans os.environ per call, ~15 % of a
        call's client time)."""
        session = requests.Session()
        try:
            _, base_url = self._endpoint()
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

    def __repr__(self) -> str:
        return f"<MwsClient seller={self.seller_id} marketplaces={','.join(self.marketplace_ids)}>"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> MwsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- endpoint ----------------------------------------------------------------------

    def _endpoint(self) -> tuple[str, str]:
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

    # ---- one call ----------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for secret in (self._secret_key, self._mws_auth_token, self._access_key):
            value = secret.reveal()
            if value:
                text = text.replace(value, MASK)
        return text

    def _body(self, action: str, params: dict[str, str], host: str, path: str, version: str):
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

    def _call(self, action: str, params: dict[str, str]) -> tuple[bytes, str | None]:
        """Send one operation; return (body, RequestId) of a 200, or raise AmazonError."""
        section, quota = OPERATIONS[action]
        host, base_url = self._endpoint()
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
                    raise self._error(action, response, error)
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

    def _error(self, action: str, response: requests.Response, error: parsing.MwsErrorBody):
        """The exception for a non-retryable MWS error answer."""
        code, request_id = error.code, error.request_id
        message = self._scrub(error.message) or f"HTTP {response.status_code}"
        if code == "InvalidAccessKeyId":
            return AmazonCredentialError(
                "Amazon does not know this AWS Access Key. Copy it again from the MWS "
                "developer credentials in Seller Central.",
                field="access_key",
                code=code,
                request_id=request_id,
            )
        if code == "SignatureDoesNotMatch":
            return AmazonCredentialError(
                "Amazon rejected the Secret Key: the request signature did not match. Check "
                "that it belongs to this AWS Access Key and was copied completely.",
                field="secret_key",
                code=code,
                request_id=request_id,
            )
        if code == "AccessDenied":
            return self._access_denied(message, request_id)
        if code == "QuotaExceeded":
            resets = response.headers.get("x-mws-quota-resetsOn")
            when = f" It resets at {resets}." if resets else ""
            return AmazonThrottledError(
                f"Amazon's hourly request quota for {action} is used up.{when}",
                code=code,
                request_id=request_id,
            )
        if code == "InvalidParameterValue" and "marketplace" in message.lower():
            for position, marketplace_id in enumerate(self.marketplace_ids, 1):
                if marketplace_id in message:
                    return AmazonCredentialError(
                        f"Amazon refused Marketplace ID {marketplace_id}: {message}",
                        field=f"marketplace_id_{position}",
                        code=code,
                        request_id=request_id,
                    )
        if code == "NextTokenCorrupted":
            return AmazonRequestError(
                f"Amazon refused the NextToken of {action} ({message}); start the listing again.",
                code=code,
                request_id=request_id,
            )
        return AmazonRequestError(
            f"Amazon refused {action}: {message}",
            code=code or f"HTTP{response.status_code}",
            request_id=request_id,
        )

    def _access_denied(self, message: str, request_id: str | None) -> AmazonCredentialError:
        if "mwsauthtoken" in message.lower():
            return AmazonCredentialError(
                f"Amazon rejected the MWS Auth Token for Seller ID {self.seller_id} "
                f"({message}). Copy the token again from Seller Central → User Permissions.",
                field="mws_auth_token",
                code="AccessDenied",
                request_id=request_id,
            )
        for position, marketplace_id in enumerate(self.marketplace_ids, 1):
            if marketplace_id in message:
                return AmazonCredentialError(
                    f"Marketplace {marketplace_id} is not one this seller sells in.",
                    field=f"marketplace_id_{position}",
                    code="AccessDenied",
                    request_id=request_id,
                )
        host, _ = self._endpoint()
        return AmazonCredentialError(
            f"Amazon denied access to Seller ID {self.seller_id} ({message}). Either this "
            "seller has not authorised the developer account of this AWS Access Key, or the "
            f"Seller ID is registered in another region than {host} (the region of the "
            "Marketplace IDs).",
            field="seller_id",
            code="AccessDenied",
            request_id=request_id,
        )

    # ---- orders --------------------------------------------------------------------------

    def iter_order_pages(
        self,
        *,
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
        before: datetime | None = None,
    ) -> Iterator[OrderPage]:
        """ListOrders then ListOrdersByNextToken until Amazon sends no NextToken.

        Pages are fetched lazily, one in memory at a time. The echoed CreatedBefore /
        LastUpdatedBefore is each page's ``window_end``. NextTokenCorrupted raises
        AmazonRequestError(code="NextTokenCorrupted"): restart from the watermark.
        """
        if (created_after is None) == (last_updated_after is None):
            raise ValueError("Pass exactly one of created_after and last_updated_after.")
        by_created = created_after is not None
        after = created_after if by_created else last_updated_after
        for value in (after, before):
            if value is not None and value.tzinfo is None:
                raise ValueError("Amazon dates must be aware datetimes (UTC)")
        latest = datetime.now(UTC) - FRESHNESS_LAG
        until = latest if before is None else min(before, latest)
        after_text, until_text = _iso(after), _iso(until)
        self._endpoint()  # credential problems surface before the first page is asked for
        if after >= until:
            return iter(())
        prefix = "Created" if by_created else "LastUpdated"
        params = {
            f"{prefix}After": after_text,
            f"{prefix}Before": until_text,
            "MaxResultsPerPage": str(MAX_RESULTS_PER_PAGE),
            **{f"MarketplaceId.Id.{n}": m for n, m in enumerate(self.marketplace_ids, 1)},
        }
        return self._walk_orders(params)

    def _walk_orders(self, params: dict[str, str]) -> Iterator[OrderPage]:
        body, request_id = self._call("ListOrders", params)
        page = parsing.parse_orders(body, action="ListOrders", request_id=request_id)
        del body
        yield page
        token = page.next_token
        for _ in range(MAX_ORDER_PAGES):
            if not token:
                return
            body, request_id = self._call("ListOrdersByNextToken", {"NextToken": token})
            page = parsing.parse_orders(body, action="ListOrdersByNextToken", request_id=request_id)
            del body
            if page.next_token == token:
                raise AmazonResponseError(
                    "Amazon returned the same NextToken twice; the listing stopped.",
                    code="NextTokenLoop",
                    request_id=page.request_id,
                )
            yield page
            token = page.next_token
        raise AmazonResponseError(
            f"Amazon kept sending NextTokens after {MAX_ORDER_PAGES} pages; stopped.",
            code="NextTokenLoop",
        )

    def get_orders(self, amazon_order_ids: Sequence[str]) -> list[Order]:
        """GetOrder in batches of 50; orders come back in the order asked, unknown ids left out."""
        wanted = list(dict.fromkeys(amazon_order_ids))
        found: dict[str, Order] = {}
        for start in range(0, len(wanted), GET_ORDER_MAX_IDS):
            batch = wanted[start : start + GET_ORDER_MAX_IDS]
            params = {f"AmazonOrderId.Id.{n}": oid for n, oid in enumerate(batch, 1)}
            body, request_id = self._call("GetOrder", params)
            page = parsing.parse_orders(body, action="GetOrder", request_id=request_id)
            found.update((order.amazon_order_id, order) for order in page.orders)
        return [found[oid] for oid in wanted if oid in found]

    # ---- items ---------------------------------------------------------------------------

    def list_order_items(self, amazon_order_id: str) -> tuple[OrderItem, ...]:
        """ListOrderItems then ListOrderItemsByNextToken until no NextToken is left."""
        body, request_id = self._call("ListOrderItems", {"AmazonOrderId": amazon_order_id})
        page = parsing.parse_order_items(body, action="ListOrderItems", request_id=request_id)
        self._check_items_page(page, amazon_order_id)
        items = list(page.items)
        token = page.next_token
        for _ in range(MAX_ITEM_PAGES):
            if not token:
                return tuple(items)
            body, request_id = self._call("ListOrderItemsByNextToken", {"NextToken": token})
            page = parsing.parse_order_items(
                body, action="ListOrderItemsByNextToken", request_id=request_id
            )
            self._check_items_page(page, amazon_order_id)
            if page.next_token == token:
                raise AmazonResponseError(
                    "Amazon returned the same items NextToken twice.",
                    code="NextTokenLoop",
                    request_id=page.request_id,
                )
            items.extend(page.items)
            token = page.next_token
        raise AmazonResponseError(
            f"Order {amazon_order_id} has more than {MAX_ITEM_PAGES} item pages; stopped.",
            code="NextTokenLoop",
        )

    @staticmethod
    def _check_items_page(page: parsing.OrderItemsPage, amazon_order_id: str) -> None:
        if page.amazon_order_id != amazon_order_id:
            raise AmazonResponseError(
                f"Amazon answered items of {page.amazon_order_id} when asked for "
                f"{amazon_order_id}; nothing was saved.",
                code="MalformedResponse",
                request_id=page.request_id,
            )

    def list_order_items_many(
        self, amazon_order_ids: Sequence[str], *, max_workers: int = 4
    ) -> dict[str, tuple[OrderItem, ...]]:
        """Items of several orders, ``max_workers`` calls in flight, all paced by one bucket.

        The first error stops the batch (queued orders are not fetched) and is raised.
        """
        wanted = list(dict.fromkeys(amazon_order_ids))
        workers = max(1, min(max_workers, len(wanted)))
        if workers == 1:
            return {oid: self.list_order_items(oid) for oid in wanted}
        results: dict[str, tuple[OrderItem, ...]] = {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mws-items")
        try:
            futures = {pool.submit(self.list_order_items, oid): oid for oid in wanted}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return {oid: results[oid] for oid in wanted}

    # ---- service status and credentials ------------------------------------------------

    def service_status(self) -> parsing.ServiceStatus:
        """GetServiceStatus of the Orders section (GREEN, GREEN_I, YELLOW or RED)."""
        body, request_id = self._call("GetServiceStatus", {})
        return parsing.parse_service_status(body, request_id=request_id)

    def verify(self) -> list[str]:
        """ListMarketplaceParticipations: are the credentials good, and does the seller sell
        in every configured marketplace? Returns the marketplace ids Amazon lists."""
        action = "ListMarketplaceParticipations"
        body, request_id = self._call(action, {})
        page = parsing.parse_participations(body, action=action, request_id=request_id)
        ids = list(page.marketplace_ids)
        token = page.next_token
        for _ in range(MAX_PARTICIPATION_PAGES):
            if not token:
                break
            action = "ListMarketplaceParticipationsByNextToken"
            body, request_id = self._call(action, {"NextToken": token})
            page = parsing.parse_participations(body, action=action, request_id=request_id)
            ids.extend(page.marketplace_ids)
            token = page.next_token
        sold_in = list(dict.fromkeys(ids))
        for position, marketplace_id in enumerate(self.marketplace_ids, 1):
            if marketplace_id not in sold_in:
                raise AmazonCredentialError(
                    f"Marketplace {marketplace_id} is not one this seller sells in "
                    f"(Amazon lists: {', '.join(sold_in) or 'none'}).",
                    field=f"marketplace_id_{position}",
                    code="MarketplaceNotParticipating",
                    request_id=page.request_id,
                )
        return sold_in
