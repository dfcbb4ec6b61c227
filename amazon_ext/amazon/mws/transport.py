"""MwsTransport: one signed, paced, retried MWS call at a time.

Every call is a form POST signed with Signature Version 2 (amazon_ext.amazon.signing) to the
MWS endpoint of the seller's marketplaces. The shared attempt loop (amazon_ext.amazon.calls)
paces it and retries it under :data:`MWS_POLICY`; one attempt goes through the shared HTTP
layer (amazon_ext.amazon.http: pooled session, total deadline, body cap). What is MWS's own
is :meth:`MwsTransport._classify`, the table from an answer to an action:

* 200 → the body;
* ``503 RequestThrottled`` → rate-limited: our bucket is emptied, so the next attempt waits
  at least one restore interval (at most 5 times);
* ``InputStreamDisconnected`` → send again at once, once;
* other 5xx, and no answer at all → transient: the 1 s / 4 s / 10 s / 30 s schedule of
  ../shared/specs/amazon-apis.md §3 (divided by the quota time scale), at most 4 times;
* ``QuotaExceeded`` and every other answer → the AmazonError of amazon_ext.amazon.mws.answers
  at once.

With settings.AMAZON_MWS_ENDPOINT_OVERRIDE (e.g. ``http://127.0.0.1:8101``) requests go to that
address but keep the real Amazon ``Host`` header and are signed for the real host, so a
stand-in verifies signatures exactly as Amazon would and tells regions apart.

Secrets (Secret Key, MWS Auth Token, Access Key) stay sealed: they never appear in
exceptions, logs or reprs, and Amazon's own messages are scrubbed of them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Sequence

from django.conf import settings

from amazon_ext.amazon import http, signing
from amazon_ext.amazon.base import ClientStats
from amazon_ext.amazon.calls import Bucket, kept_throttling, not_completed, paced_call
from amazon_ext.amazon.complete import CutShortError, xml_cut_short
from amazon_ext.amazon.errors import AmazonCredentialError
from amazon_ext.amazon.http import HttpAnswer
from amazon_ext.amazon.http import user_agent as _user_agent  # noqa: F401  (tests import it)
from amazon_ext.amazon.marketplaces import marketplace_for
from amazon_ext.amazon.mws import xmldoc
from amazon_ext.amazon.mws.answers import error_for
from amazon_ext.amazon.mws.operations import OPERATIONS
from amazon_ext.amazon.pacing import QuotaPacer, pacer_from_settings
from amazon_ext.amazon.sealed import Sealed
from outbound.retry import Outcome, RetryPolicy
from tenants.encryption import MASK

logger = logging.getLogger("amazon_ext.amazon.mws")

# The spec's schedule and budgets; time_scale is set per transport from the settings.
MWS_POLICY = RetryPolicy(
    attempts=4,
    rate_limited_attempts=5,
    immediate_attempts=1,
    schedule=(1.0, 4.0, 10.0, 30.0),
    min_backoff=0.01,
    jitter=0.25,
)
# Answers that are one small document; every other operation is a list page.
SMALL_ANSWERS = frozenset({"GetServiceStatus"})


class MwsTransport:
    """Signs, paces, sends and retries MWS calls for one seller; counts them in ``stats``.

    ``pacer``, ``endpoint_override``, ``time_scale``, ``timeout`` (the total deadline of one
    attempt) and ``app_name`` default to the process pacer and the AMAZON_* settings.
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
        scale = float(time_scale or getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0)
        self.policy = dataclasses.replace(MWS_POLICY, time_scale=scale)
        self._timeout = float(timeout or getattr(settings, "AMAZON_HTTP_TIMEOUT", 30.0))
        self._user_agent = http.user_agent(app_name or getattr(settings, "AMAZON_APP_NAME", ""))
        key_digest = hashlib.sha256(self._access_key.reveal().encode()).hexdigest()[:12]
        self._bucket_prefix = f"mws:{self.seller_id}:{key_digest}"
        try:
            _, base_url = self.endpoint()
        except AmazonCredentialError:
            base_url = ""  # reported on the first call
        self._session = http.new_session(base_url)
        fixed = {
            "AWSAccessKeyId": self._access_key.reveal(),
            "SellerId": self.seller_id,
            "SignatureMethod": signing.SIGNATURE_METHOD,
            "SignatureVersion": signing.SIGNATURE_VERSION,
        }
        if self._mws_auth_token.reveal():
            fixed["MWSAuthToken"] = self._mws_auth_token.reveal()
        self._signer = signing.Signer(self._secret_key.reveal(), fixed)

    def __repr__(self) -> str:
        return f"<MwsTransport seller={self.seller_id}>"

    def close(self) -> None:
        self._session.close()

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
        return self._signer.signed_query(
            verb="POST",
            host=signing.canonical_host(host),
            path=path,
            params={
                "Action": action,
                "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "Version": version,
                **params,
            },
        )

    def call(self, action: str, params: dict[str, str]) -> tuple[bytes, str | None]:
        """Send one operation; return (body, RequestId) of a 200, or raise AmazonError."""
        section, quota = OPERATIONS[action]
        host, base_url = self.endpoint()
        bucket = Bucket(
            f"{self._bucket_prefix}:{quota.group}", quota.capacity, quota.restore_per_second
        )
        headers = {
            "Host": host,
            "User-Agent": self._user_agent,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        }
        cap = http.MAX_SMALL_BODY_BYTES if action in SMALL_ANSWERS else http.MAX_PAGE_BYTES

        def send() -> HttpAnswer:
            # Signed afresh per attempt: the Timestamp must be current.
            body = self._body(action, params, host, section.path, section.version)
            return http.send(
                self._session,
                "POST",
                base_url + section.path,
                headers=headers,
                data=body.encode("ascii"),
                deadline_seconds=self._timeout,
                max_body_bytes=cap,
                what=action,
            )

        return paced_call(
            action,
            policy=self.policy,
            stats=self.stats,
            pacer=self._pacer,
            bucket=lambda: bucket,
            send=send,
            classify=lambda answer, tries: self._classify(action, host, answer, tries),
            logger=logger,
        )

    def _classify(
        self, action: str, host: str, answer: HttpAnswer, tries: int
    ) -> Outcome[tuple[bytes, str | None]]:
        """MWS's table: what one answer means (see the module docstring)."""
        request_id = answer.headers.get("x-mws-request-id")
        if answer.status == 200:
            if xml_cut_short(answer.body):
                return Outcome.retry(CutShortError(action, request_id=request_id))
            return Outcome.done((answer.body, request_id))
        error = xmldoc.parse_error(answer.body, request_id=request_id)
        if error.code == "RequestThrottled":
            throttled = kept_throttling(
                action, tries=tries, code=error.code, request_id=error.request_id
            )
            return Outcome.wait(throttled, 0.0)  # the pacer's next acquire is the wait
        final = error_for(
            action,
            status=answer.status,
            headers=answer.headers,
            error=error,
            seller_id=self.seller_id,
            marketplace_ids=self.marketplace_ids,
            host=host,
            scrub=self.scrub,
        )
        if error.code == "InputStreamDisconnected":
            return Outcome.again(final)
        if answer.status < 500 or error.code == "QuotaExceeded":
            raise final
        failure = f"HTTP {answer.status} {error.code or ''}".strip()
        return Outcome.retry(
            not_completed(action, tries=tries, failure=failure, request_id=error.request_id)
        )
