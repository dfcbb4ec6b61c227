"""One retry policy for every outbound client (Amazon MWS, SP-API, LWA, Zoho API, Zoho OAuth).

Each API supplies only what is its own: how to send one attempt and how to read its result
(an :class:`Outcome`). The loop here owns the rest: how many tries, the backoff with jitter,
the total deadline, and what to raise when the budget is spent.

    policy = RetryPolicy(attempts=5, backoff_base=1.0, backoff_cap=30.0, deadline=120.0)
    body = call_with_retries(send_once, policy=policy, what="ListOrders")

``send_once(attempt)`` returns one of

* ``Outcome.done(value)``: success, ``value`` is returned;
* ``Outcome.retry(error)``: transient (5xx, timeout, dropped connection): back off, then
  again; counts against ``attempts``;
* ``Outcome.wait(error, seconds)``: the server said how long (throttling); counts against
  ``rate_limited_attempts``. ``seconds`` is honoured as given (no jitter); ``None`` means
  "the server did not say": the backoff is used;
* ``Outcome.again(error)``: something the client has just repaired (a refreshed token, a
  body to send again): try at once; counts against ``immediate_attempts``. When that budget
  is spent, ``error`` is raised *as it is* (e.g. a credential error that no retry fixes);

or raises for a final failure. When the ``attempts`` or ``rate_limited_attempts`` budget or
the deadline runs out, the last error is raised with ``retryable=True``, so the task layer can
schedule a later attempt from the checkpoint.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from outbound.errors import OutboundError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``attempts`` bounds transient retries (5xx, timeouts, dropped
    connections), ``rate_limited_attempts`` bounds waits the server asked for (429, throttled),
    ``immediate_attempts`` bounds tries again at once after a repair, ``deadline`` bounds the
    whole call including waits (seconds; None = no bound).

    Backoff: the ``retry``-th transient retry waits ``schedule[retry]`` (the last step repeats)
    when an explicit ``schedule`` is given — an API that documents its own steps, e.g. MWS's
    1 s / 4 s / 10 s / 30 s — else ``backoff_base * 2**retry`` capped at ``backoff_cap``;
    divided by ``time_scale``, at least ``min_backoff``, then ±``jitter``.
    """

    attempts: int = 5
    rate_limited_attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    jitter: float = 0.25
    deadline: float | None = None
    time_scale: float = 1.0  # stand-ins run Amazon's clock faster; waits shrink with it
    schedule: tuple[float, ...] = ()
    min_backoff: float = 0.0
    immediate_attempts: int = 0

    def backoff(self, retry: int) -> float:
        """The wait before the ``retry``-th retry (0-based), with ±jitter."""
        if self.schedule:
            step = self.schedule[min(retry, len(self.schedule) - 1)]
        else:
            step = min(self.backoff_cap, self.backoff_base * (2 ** min(retry, 64)))
        delay = max(self.min_backoff, step / max(self.time_scale, 1e-9))
        return max(0.0, delay * random.uniform(1 - self.jitter, 1 + self.jitter))


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one attempt came to (see the module docstring for the four kinds)."""

    value: T | None = None
    error: OutboundError | None = None
    wait_seconds: float | None = None
    rate_limited: bool = False
    immediate: bool = False

    @classmethod
    def done(cls, value: T) -> Outcome[T]:
        return cls(value=value)

    @classmethod
    def retry(cls, error: OutboundError) -> Outcome[T]:
        return cls(error=error)

    @classmethod
    def wait(cls, error: OutboundError, seconds: float | None = None) -> Outcome[T]:
        return cls(error=error, wait_seconds=seconds, rate_limited=True)

    @classmethod
    def again(cls, error: OutboundError) -> Outcome[T]:
        return cls(error=error, immediate=True)


class DeadlineExceededError(OutboundError):
    """The call's total deadline passed before an attempt succeeded."""

    retryable = True


def call_with_retries(
    send_once: Callable[[int], Outcome[T]],
    *,
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[OutboundError, float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``send_once(attempt)`` until it is done, fails for good, or the budget runs out.
    ``on_retry(error, delay)`` is told about every retry before its wait (count, log)."""
    started = clock()
    transient = limited = immediate = 0
    attempt = 0
    while True:
        outcome = send_once(attempt)
        attempt += 1
        if outcome.error is None:
            return outcome.value  # type: ignore[return-value]
        error = outcome.error
        if outcome.immediate:
            immediate += 1
            if immediate > policy.immediate_attempts:
                raise error  # as it is: the repair did not help
            delay = 0.0
        elif outcome.rate_limited:
            error.retryable = True
            limited += 1
            if limited > policy.rate_limited_attempts:
                raise error
            delay = (
                max(0.0, outcome.wait_seconds)
                if outcome.wait_seconds is not None
                else policy.backoff(limited - 1)
            )
        else:
            error.retryable = True
            transient += 1
            if transient > policy.attempts:
                raise error
            delay = policy.backoff(transient - 1)
        if policy.deadline is not None and clock() - started + delay > policy.deadline:
            raise DeadlineExceededError(
                f"{what} did not succeed within {policy.deadline:.0f} s (last: {error})"
            ) from error
        if on_retry is not None:
            on_retry(error, delay)
        if delay > 0:
            sleep(delay)
