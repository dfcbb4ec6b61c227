"""Client-side quota pacing: the calls it lets through would all pass Amazon's leaky bucket."""

from __future__ import annotations

import threading
import time

import pytest

from amazon_ext.amazon.errors import AmazonThrottledError
from amazon_ext.amazon.pacing import (
    LocalQuotaPacer,
    PacingPolicy,
    RedisQuotaPacer,
    pacer_from_settings,
)


class FakeTime:
    """A clock whose sleep advances it: deterministic single-threaded pacing tests."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def amazon_accepts(times: list[float], *, capacity: int, per_second: float) -> int:
    """Replay send times through Amazon's leaky bucket (starts full); count throttled calls."""
    level, last, throttled = float(capacity), None, 0
    for t in sorted(times):
        if last is not None:
            level = min(capacity, level + (t - last) * per_second)
        last = t
        if level >= 1 - 1e-9:
            level -= 1
        else:
            throttled += 1
    return throttled


def test_policy_reserve_is_jitter_worth_of_refill_and_leaves_one_token():
    real = PacingPolicy(time_scale=1)
    assert real.usable(6, 1 / 60) == pytest.approx(6 - 0.03 / 60)
    assert real.usable(30, 0.5) == pytest.approx(30 - 0.015)
    assert real.usable(15, 0.0167) == pytest.approx(15 - 0.0167 * 0.03)
    fast = PacingPolicy(time_scale=1000, jitter_seconds=0.03)
    assert fast.usable(30, 0.5) == pytest.approx(15)  # 500 tokens/s × 30 ms
    assert fast.usable(6, 1 / 60) == pytest.approx(6 - 0.5)
    assert PacingPolicy(time_scale=1e6).usable(30, 0.5) == 1


def test_burst_then_one_per_restore_interval():
    ft = FakeTime()
    policy = PacingPolicy(time_scale=1, rate_factor=1.0)
    pacer = LocalQuotaPacer(policy, clock=ft.clock, sleep=ft.sleep)
    sent = []
    for _ in range(8):
        pacer.acquire("s:k:ListOrders", capacity=6, restore_per_second=1 / 60)
        sent.append(ft.now)
    # The whole burst of 6 is spent; the last of it waits for the jitter reserve (30 ms).
    assert sent[:5] == [1000.0] * 5
    assert sent[5] == pytest.approx(1000.03)
    assert sent[6] == pytest.approx(1060.03)
    assert sent[7] == pytest.approx(1120.03)
    assert amazon_accepts(sent, capacity=6, per_second=1 / 60) == 0


def test_create_report_burst_is_spent_whole_and_jitter_within_reserve_is_never_throttled():
    """createReport (15, then 1 a minute): 25 reports need 10 intervals, not 11. A call sent
    early in the burst that reaches Amazon up to ``jitter_seconds`` late still passes."""
    ft = FakeTime()
    policy = PacingPolicy(time_scale=1)  # rate_factor 0.95: one second of slack per token
    pacer = LocalQuotaPacer(policy, clock=ft.clock, sleep=ft.sleep)
    sent = []
    for _ in range(25):
        pacer.acquire("s:createReport", capacity=15, restore_per_second=0.0167)
        sent.append(ft.now)
    assert sent[14] - sent[0] < 0.1
    assert sent[-1] - sent[0] < 10 / 0.0167 + 10 * 1.0 + 0.1
    arrivals = [t + (0.03 if i == 0 else 0.0) for i, t in enumerate(sent)]
    assert amazon_accepts(arrivals, capacity=15, per_second=0.0167) == 0


def test_buckets_are_per_key():
    ft = FakeTime()
    pacer = LocalQuotaPacer(PacingPolicy(), clock=ft.clock, sleep=ft.sleep)
    for key in ("seller-a:ListOrders", "seller-b:ListOrders"):
        for _ in range(5):
            pacer.acquire(key, capacity=6, restore_per_second=1 / 60)
    assert ft.sleeps == []


def test_drain_after_a_throttle_waits_a_full_restore_interval():
    ft = FakeTime()
    pacer = LocalQuotaPacer(PacingPolicy(rate_factor=1.0), clock=ft.clock, sleep=ft.sleep)
    pacer.acquire("k", capacity=30, restore_per_second=0.5)
    pacer.drain("k", capacity=30, restore_per_second=0.5)
    pacer.acquire("k", capacity=30, restore_per_second=0.5)
    assert ft.sleeps == [pytest.approx(2.0)]


def test_a_backlog_beyond_max_wait_is_refused():
    ft = FakeTime()
    policy = PacingPolicy(max_wait_seconds=100, rate_factor=1.0)
    pacer = LocalQuotaPacer(policy, clock=ft.clock, sleep=lambda s: None)  # nobody waits
    for _ in range(7):
        pacer.acquire("s:ListOrders", capacity=6, restore_per_second=1 / 60)
    with pytest.raises(AmazonThrottledError, match="ListOrders"):
        pacer.acquire("s:ListOrders", capacity=6, restore_per_second=1 / 60)


def _hammer(pacers, key, *, threads: int, calls: int, capacity: int, per_second: float):
    sent: list[float] = []
    lock = threading.Lock()

    def work(pacer) -> None:
        for _ in range(calls):
            pacer.acquire(key, capacity=capacity, restore_per_second=per_second)
            with lock:
                sent.append(time.monotonic())

    workers = [
        threading.Thread(target=work, args=(pacers[i % len(pacers)],)) for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    return sent


def test_threads_sharing_a_local_pacer_never_exceed_the_bucket():
    scale = 200.0  # ListOrderItems: 30 then 100 per second
    pacer = LocalQuotaPacer(PacingPolicy(time_scale=scale))
    start = time.monotonic()
    sent = _hammer([pacer], "s:k:ListOrderItems", threads=6, calls=25, capacity=30, per_second=0.5)
    elapsed = time.monotonic() - start
    assert len(sent) == 150
    assert amazon_accepts(sent, capacity=30, per_second=0.5 * scale) == 0
    # …and it is not needlessly slow: about (150 − usable) / (0.95 × rate).
    assert elapsed < 3.0


# ---- Redis ---------------------------------------------------------------------------------


def _redis_pacer(url: str, scale: float) -> RedisQuotaPacer:
    import redis

    return RedisQuotaPacer(redis.Redis.from_url(url), PacingPolicy(time_scale=scale))


def test_redis_buckets_are_shared_between_independent_pacers(redis_url):
    import redis

    # Two pacers with their own connections stand for two worker processes.
    first = _redis_pacer(redis_url, 1.0)
    impatient = RedisQuotaPacer(
        redis.Redis.from_url(redis_url), PacingPolicy(time_scale=1.0, max_wait_seconds=5)
    )
    key = f"shared-{time.monotonic_ns()}:ListOrders"
    for _ in range(6):
        first.acquire(key, capacity=6, restore_per_second=1 / 60)
    # The second "process" finds the bucket used up: it would have to wait about a minute.
    with pytest.raises(AmazonThrottledError, match="ListOrders"):
        impatient.acquire(key, capacity=6, restore_per_second=1 / 60)


def test_redis_pacers_in_threads_never_exceed_the_bucket(redis_url):
    scale = 200.0
    pacers = [_redis_pacer(redis_url, scale) for _ in range(3)]
    key = f"hammer-{time.monotonic_ns()}:ListOrderItems"
    sent = _hammer(pacers, key, threads=6, calls=25, capacity=30, per_second=0.5)
    assert len(sent) == 150
    assert amazon_accepts(sent, capacity=30, per_second=0.5 * scale) == 0


def test_redis_drain(redis_url):
    pacer = _redis_pacer(redis_url, 100.0)  # 1 per 2 s → 1 per 20 ms
    key = f"drain-{time.monotonic_ns()}:ListOrderItems"
    pacer.acquire(key, capacity=30, restore_per_second=0.5)
    pacer.drain(key, capacity=30, restore_per_second=0.5)
    start = time.monotonic()
    pacer.acquire(key, capacity=30, restore_per_second=0.5)
    assert time.monotonic() - start >= 0.019


def test_pacer_from_settings_picks_the_store(settings, redis_url):
    settings.REDIS_URL = ""
    settings.AMAZON_QUOTA_TIME_SCALE = 7.0
    local = pacer_from_settings()
    assert isinstance(local, LocalQuotaPacer)
    assert local.policy.time_scale == 7.0
    assert pacer_from_settings() is local  # one per process
    settings.REDIS_URL = redis_url
    assert isinstance(pacer_from_settings(), RedisQuotaPacer)
