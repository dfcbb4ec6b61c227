"""The attempt loop both Amazon transports share: pace, send, classify, retry.

Airbyte-CDK style: this module owns the loop (through :func:`outbound.retry.call_with_retries`
and one :class:`~outbound.retry.RetryPolicy` per API); each transport supplies only what is
its own — how to send one attempt (signing, headers) and a ``classify`` that turns an
:class:`~amazon_ext.amazon.http.HttpAnswer` into an :class:`~outbound.retry.Outcome`.

What the loop does for every API alike:

* take a token from the quota pacer before each attempt, so no retry bypasses the quota;
* count the call, and every retry and throttling answer, in :class:`ClientStats`;
* a throttled answer (``Outcome.wait``) empties our bucket: our model was fuller than
  Amazon's, and the next ``acquire`` then waits at least one restore interval — that wait
  is the rate-limited wait, so the outcome asks for no extra sleep;
* no answer at all (:class:`~amazon_ext.amazon.http.NoAnswerError`) is a transient retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from amazon_ext.amazon.base import ClientStats
from amazon_ext.amazon.errors import AmazonServiceError, AmazonThrottledError
from amazon_ext.amazon.http import HttpAnswer, NoAnswerError
from amazon_ext.amazon.pacing import QuotaPacer
from outbound.errors import OutboundError
from outbound.retry import Outcome, RetryPolicy, call_with_retries

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Bucket:
    """The quota bucket one attempt draws from (rates may change between attempts)."""

    key: str
    capacity: int
    restore_per_second: float


def not_completed(
    what: str, *, tries: int, failure: str, request_id: str | None
) -> AmazonServiceError:
    """The error a transient failure carries; raised as it is once the budget is spent."""
    return AmazonServiceError(
        f"Amazon did not complete {what} after {tries} tries (last: {failure}); "
        "the next run will try again.",
        code="ServiceUnavailable",
        request_id=request_id,
    )


def kept_throttling(
    what: str, *, tries: int, code: str, request_id: str | None
) -> AmazonThrottledError:
    """The error a throttled answer carries; raised as it is once the budget is spent."""
    return AmazonThrottledError(
        f"Amazon kept throttling {what} after {tries} tries; the next run will continue.",
        code=code,
        request_id=request_id,
    )


def paced_call(
    what: str,
    *,
    policy: RetryPolicy,
    stats: ClientStats,
    pacer: QuotaPacer,
    bucket: Callable[[], Bucket],
    send: Callable[[], HttpAnswer],
    classify: Callable[[HttpAnswer, int], Outcome[T]],
    logger: logging.Logger,
) -> T:
    """Send ``what`` until ``classify`` says done, raises, or ``policy`` is spent.

    ``send()`` builds and sends one attempt (fresh signature, current token);
    ``classify(answer, tries)`` reads its answer (``tries`` counts this one).
    """

    def attempt(number: int) -> Outcome[T]:
        current = bucket()
        pacer.acquire(
            current.key, capacity=current.capacity, restore_per_second=current.restore_per_second
        )
        stats.count_call(what)
        try:
            answer = send()
        except NoAnswerError as exc:
            return Outcome.retry(
                not_completed(what, tries=number + 1, failure=str(exc), request_id=None)
            )
        logger.debug("Amazon %s HTTP %s in %.3fs", what, answer.status, answer.seconds)
        outcome = classify(answer, number + 1)
        if outcome.rate_limited:
            stats.count_throttled()
            pacer.drain(
                current.key,
                capacity=current.capacity,
                restore_per_second=current.restore_per_second,
            )
        return outcome

    def retrying(error: OutboundError, delay: float) -> None:
        stats.count_retry()
        logger.warning(
            "Amazon %s: %s (RequestId=%s); retrying in %.2fs",
            what,
            getattr(error, "code", "") or type(error).__name__,
            getattr(error, "request_id", None),
            delay,
        )

    return call_with_retries(attempt, policy=policy, what=what, on_retry=retrying)
