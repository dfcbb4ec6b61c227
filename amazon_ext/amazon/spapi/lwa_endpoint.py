"""One request to the Login with Amazon token endpoint, retried under :data:`LWA_POLICY`.

Spec: ../shared/specs/amazon-apis.md §5 "LWA token". The shared HTTP layer
(amazon_ext.amazon.http) sends each attempt (total deadline settings.AMAZON_HTTP_TIMEOUT, body
cap :data:`~amazon_ext.amazon.http.MAX_SMALL_BODY_BYTES`); :func:`_classify` is LWA's table:

* 200 with an ``access_token`` → the JSON answer;
* 400 ``invalid_grant`` → AmazonCredentialError(field="lwa_refresh_token");
* 401 / ``invalid_client`` → AmazonCredentialError(field="lwa_client_secret");
* other 4xx → AmazonRequestError quoting LWA's description (scrubbed, cut to 200 chars);
* 429, 5xx, no answer → transient: 0.5 s / 2 s / 5 s with jitter (divided by the quota time
  scale), 4 tries in all, then AmazonThrottledError (last was a 429) or AmazonServiceError.
"""

from __future__ import annotations

import dataclasses
import json
import logging

from django.conf import settings

from amazon_ext.amazon import http
from amazon_ext.amazon.complete import json_cut_short
from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonServiceError,
    AmazonThrottledError,
)
from amazon_ext.amazon.http import HttpAnswer, NoAnswerError
from amazon_ext.amazon.values import clip
from outbound.errors import OutboundError
from outbound.retry import Outcome, RetryPolicy, call_with_retries
from tenants.encryption import MASK

logger = logging.getLogger("amazon_ext.amazon.spapi")

# 429s and server trouble share one budget: 4 tries in all.
LWA_POLICY = RetryPolicy(
    attempts=3, rate_limited_attempts=0, schedule=(0.5, 2.0, 5.0), min_backoff=0.01, jitter=0.25
)
MAX_TRIES = 1 + LWA_POLICY.attempts

REFRESH_REFUSED = (
    "Amazon refused the LWA refresh token; authorize again with Amazon (Settings → "
    "Authorize with Amazon) or paste a new refresh token. It stops working when the seller "
    "revokes the app or the app's authorization expires."
)
CLIENT_REFUSED = (
    "Amazon refused the LWA client id and client secret (Client authentication failed). Copy "
    "them again from Developer Central; LWA client secrets must be rotated every 180 days."
)
CODE_REFUSED = (
    "Amazon refused the authorization code: it is used once and expires after 5 minutes. "
    "Press Authorize with Amazon again."
)


def timeout() -> float:
    """The total deadline of one attempt (settings.AMAZON_HTTP_TIMEOUT)."""
    return float(getattr(settings, "AMAZON_HTTP_TIMEOUT", 30.0) or 30.0)


def post_token(
    form: dict[str, str], *, token_url: str, secrets: tuple[str, ...], what: str
) -> dict:
    """POST ``form`` to LWA; the JSON answer of a 200, or the AmazonError for anything else.
    ``secrets`` are scrubbed from anything quoted; ``what`` ("refresh", "authorization
    code") names the request in messages."""
    scale = float(getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0)
    policy = dataclasses.replace(LWA_POLICY, time_scale=scale)
    session = http.new_session(token_url)

    def attempt(number: int) -> Outcome[dict]:
        try:
            answer = http.send(
                session,
                "POST",
                token_url,
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
                data=form,
                deadline_seconds=timeout(),
                max_body_bytes=http.MAX_SMALL_BODY_BYTES,
                what="Login with Amazon",
            )
        except NoAnswerError as exc:
            return Outcome.retry(_not_answered(what, number + 1, str(exc)))
        return _classify(answer, what=what, secrets=secrets, tries=number + 1)

    def retrying(error: OutboundError, delay: float) -> None:
        logger.warning("LWA %s failed (%s); retrying in %.2fs", what, error, delay)

    try:
        return call_with_retries(attempt, policy=policy, what=f"LWA {what}", on_retry=retrying)
    finally:
        session.close()


def _classify(
    answer: HttpAnswer, *, what: str, secrets: tuple[str, ...], tries: int
) -> Outcome[dict]:
    try:
        body = json.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        body = {}
    body = body if isinstance(body, dict) else {}
    error = clip(str(body.get("error") or ""), 100)
    status = answer.status
    if status == 200 and body.get("access_token"):
        return Outcome.done(body)
    if status == 200 and json_cut_short(answer.body):
        # Cut in transit: ask again (a spent authorization code then says so: invalid_grant).
        return Outcome.retry(_not_answered(what, tries, "the answer was cut short"))
    if error == "invalid_client" or status == 401:
        raise AmazonCredentialError(
            CLIENT_REFUSED, field="lwa_client_secret", code="invalid_client"
        )
    if error == "invalid_grant":
        message = REFRESH_REFUSED if what == "refresh" else CODE_REFUSED
        raise AmazonCredentialError(message, field="lwa_refresh_token", code="invalid_grant")
    if status != 429 and status < 500:
        description = str(body.get("error_description") or "")
        for secret in secrets:
            if secret:
                description = description.replace(secret, MASK)
        raise AmazonRequestError(
            f"Login with Amazon refused the {what} request "
            f"({error or status}: {clip(description)}).",
            code=error or f"HTTP{status}",
        )
    if status == 429:
        return Outcome.retry(
            AmazonThrottledError(
                "Login with Amazon is throttling token requests; the next run will try again.",
                code="slow_down",
            )
        )
    return Outcome.retry(_not_answered(what, tries, f"HTTP {status} {error}".strip()))


def _not_answered(what: str, tries: int, last: str) -> AmazonServiceError:
    return AmazonServiceError(
        f"Login with Amazon did not answer the {what} request after {tries} tries "
        f"(last: {last}); the next run will try again.",
        code="ServiceUnavailable",
    )
