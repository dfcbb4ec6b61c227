"""outbound.retry: budgets, deadline, jitter bounds, the server's waits — on a fake clock."""

from __future__ import annotations

import pytest

from outbound.errors import OutboundError, is_retryable
from outbound.retry import DeadlineExceededError, Outcome, RetryPolicy, call_with_retries


class FakeTime:
    """A clock that only moves when the loop sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(*outcomes: Outcome):
    """A send_once that answers from ``outcomes`` and records the attempt numbers."""
    queue = list(outcomes)
    calls: list[int] = []

    def send_once(attempt: int) -> Outcome:
        calls.append(attempt)
        return queue.pop(0)

    return send_once, calls


def run(send_once, policy: RetryPolicy, fake: FakeTime, **kwargs):
    return call_with_retries(
        send_once, policy=policy, what="op", sleep=fake.sleep, clock=fake.clock, **kwargs
    )


def failed(message: str = "5xx") -> OutboundError:
    return OutboundError(message)


def test_done_at_once_never_sleeps():
    fake = FakeTime()
    send_once, calls = scripted(Outcome.done("body"))
    assert run(send_once, RetryPolicy(), fake) == "body"
    assert calls == [0]
    assert fake.sleeps == []


def test_transient_budget_then_the_last_error_is_raised_retryable():
    fake = FakeTime()
    errors = [failed(f"try {n}") for n in range(5)]
    send_once, calls = scripted(*(Outcome.retry(e) for e in errors))
    with pytest.raises(OutboundError) as caught:
        run(send_once, RetryPolicy(attempts=4, jitter=0), fake)
    assert calls == [0, 1, 2, 3, 4]  # one try plus four retries
    assert caught.value is errors[-1]
    assert is_retryable(caught.value)
    assert fake.sleeps == [1.0, 2.0, 4.0, 8.0]  # exponential from backoff_base


def test_success_within_the_budget_returns_the_value():
    fake = FakeTime()
    send_once, calls = scripted(Outcome.retry(failed()), Outcome.retry(failed()), Outcome.done(7))
    assert run(send_once, RetryPolicy(attempts=2, jitter=0), fake) == 7
    assert calls == [0, 1, 2]


def test_explicit_schedule_repeats_its_last_step_and_shrinks_with_time_scale():
    policy = RetryPolicy(schedule=(1.0, 4.0, 10.0, 30.0), jitter=0, time_scale=10)
    assert [policy.backoff(n) for n in range(6)] == [0.1, 0.4, 1.0, 3.0, 3.0, 3.0]
    floor = RetryPolicy(schedule=(1.0,), jitter=0, time_scale=1000, min_backoff=0.01)
    assert floor.backoff(0) == 0.01


def test_exponential_backoff_is_capped():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=5.0, jitter=0)
    assert [policy.backoff(n) for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.backoff(10_000) == 5.0  # no overflow for absurd retry numbers


def test_jitter_stays_within_its_bounds_and_varies():
    policy = RetryPolicy(schedule=(10.0,), jitter=0.25)
    delays = [policy.backoff(0) for _ in range(2000)]
    assert min(delays) >= 7.5
    assert max(delays) <= 12.5
    assert max(delays) - min(delays) > 2.0  # actually jittered, not a constant


def test_rate_limited_waits_are_honoured_exactly_and_have_their_own_budget():
    fake = FakeTime()
    send_once, calls = scripted(
        Outcome.wait(failed("429"), 3.5),
        Outcome.retry(failed("503")),
        Outcome.wait(failed("429"), 0.0),
        Outcome.wait(failed("429"), None),  # the server did not say: backoff
        Outcome.done("ok"),
    )
    policy = RetryPolicy(attempts=1, rate_limited_attempts=3, backoff_base=2.0, jitter=0)
    assert run(send_once, policy, fake) == "ok"
    assert len(calls) == 5
    # 3.5 as asked (no jitter); the transient's backoff; 0 means no sleep; third wait → 2**2*2.
    assert fake.sleeps == [3.5, 2.0, 8.0]


def test_rate_limited_budget_exhausted_raises_the_last_wait_error():
    fake = FakeTime()
    last = failed("still throttled")
    send_once, calls = scripted(
        Outcome.wait(failed(), 1.0), Outcome.wait(failed(), 1.0), Outcome.wait(last, 1.0)
    )
    with pytest.raises(OutboundError) as caught:
        run(send_once, RetryPolicy(rate_limited_attempts=2), fake)
    assert caught.value is last
    assert caught.value.retryable is True
    assert len(calls) == 3


def test_again_retries_at_once_and_then_raises_the_error_as_it_is():
    fake = FakeTime()
    refused = OutboundError("credentials refused", retryable=False)
    send_once, calls = scripted(Outcome.again(refused), Outcome.again(refused))
    with pytest.raises(OutboundError) as caught:
        run(send_once, RetryPolicy(immediate_attempts=1), fake)
    assert caught.value is refused
    assert caught.value.retryable is False  # not turned into a retryable error
    assert calls == [0, 1]
    assert fake.sleeps == []


def test_deadline_stops_before_a_wait_that_would_pass_it():
    fake = FakeTime()
    send_once, calls = scripted(*(Outcome.retry(failed()) for _ in range(10)))
    policy = RetryPolicy(attempts=9, backoff_base=10.0, backoff_cap=1000.0, jitter=0, deadline=35.0)
    with pytest.raises(DeadlineExceededError) as caught:
        run(send_once, policy, fake)
    assert fake.sleeps == [10.0, 20.0]  # 10 + 20 = 30; another 40 would end at 70 > 35
    assert len(calls) == 3
    assert caught.value.retryable is True
    assert "within 35 s" in str(caught.value)


def test_deadline_counts_time_spent_inside_attempts():
    fake = FakeTime()

    def slow_send(attempt: int) -> Outcome:
        fake.now += 20.0  # each attempt itself takes 20 s
        return Outcome.retry(failed())

    with pytest.raises(DeadlineExceededError):
        run(slow_send, RetryPolicy(attempts=10, jitter=0, deadline=30.0), fake)
    assert fake.now == pytest.approx(41.0)  # 20 + 1 s backoff + 20, then 41 + 2 > 30


def test_rate_limited_wait_longer_than_the_deadline_is_not_slept():
    fake = FakeTime()
    send_once, _ = scripted(Outcome.wait(failed(), 600.0))
    with pytest.raises(DeadlineExceededError):
        run(send_once, RetryPolicy(deadline=60.0), fake)
    assert fake.sleeps == []


def test_a_final_failure_raised_by_send_once_is_not_retried():
    fake = FakeTime()
    calls = []

    def send_once(attempt: int) -> Outcome:
        calls.append(attempt)
        raise OutboundError("refused", retryable=False)

    with pytest.raises(OutboundError, match="refused"):
        run(send_once, RetryPolicy(), fake)
    assert calls == [0]


def test_on_retry_hears_every_retry_with_its_delay():
    fake = FakeTime()
    heard: list[tuple[str, float]] = []
    send_once, _ = scripted(
        Outcome.retry(failed("a")), Outcome.wait(failed("b"), 2.0), Outcome.done(None)
    )
    run(send_once, RetryPolicy(jitter=0), fake, on_retry=lambda e, d: heard.append((str(e), d)))
    assert heard == [("a", 1.0), ("b", 2.0)]
