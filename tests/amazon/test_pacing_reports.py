"""Quota pacing for Orders v2026's slow searchOrders bucket, and the waits a run reports."""

from __future__ import annotations

import pytest

from amazon_ext.amazon.pacing import LocalQuotaPacer, PacingPolicy, ReportingPacer
from amazon_ext.amazon.spapi.operations import SEARCH_ORDERS_2026, USAGE_PLANS


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_search_orders_after_its_burst_is_paced_within_one_second_of_amazons_interval():
    plan = USAGE_PLANS[SEARCH_ORDERS_2026]
    assert (plan.rate, plan.burst) == (0.0056, 20)
    ft = FakeTime()
    pacer = LocalQuotaPacer(PacingPolicy(), clock=ft.clock, sleep=ft.sleep)
    for _ in range(40):
        pacer.acquire("s:a:searchOrders", capacity=plan.burst, restore_per_second=plan.rate)
    # The burst of 20 is spent (its last call waits out the 30 ms jitter reserve), then
    # one per 1/0.0056 s + 1 s.
    assert ft.slept[0] == pytest.approx(0.03, abs=0.001)
    assert len(ft.slept) == 40 - 19
    assert all(w == pytest.approx(1 / 0.0056 + 1.0, abs=0.01) for w in ft.slept[1:])
    # Fast buckets keep the 5 % slack: getOrder's 2 s interval becomes 2.105 s.
    assert PacingPolicy().rate(0.5) == pytest.approx(0.5 * 0.95)


def test_a_long_wait_is_reported_before_the_sleep_and_cleared_after():
    ft = FakeTime()
    inner = LocalQuotaPacer(PacingPolicy(), clock=ft.clock, sleep=ft.sleep)
    heard: list[tuple[str, float | None]] = []
    pacer = ReportingPacer(
        inner, lambda op, until: heard.append((op, until)), sleep=ft.sleep, clock=ft.clock
    )
    for _ in range(20):
        pacer.acquire("spapi:S:abc:searchOrders", capacity=20, restore_per_second=0.0056)
    assert heard == []  # the burst never waits long enough to tell
    started = ft.now
    pacer.acquire("spapi:S:abc:searchOrders", capacity=20, restore_per_second=0.0056)
    (op, until), (op2, cleared) = heard
    assert op == op2 == "searchOrders" and cleared is None
    assert until == pytest.approx(started + 1 / 0.0056 + 1.0, abs=0.01)


def test_short_waits_are_not_reported_and_a_failing_reporter_stops_nothing():
    ft = FakeTime()
    inner = LocalQuotaPacer(PacingPolicy(), clock=ft.clock, sleep=ft.sleep)

    def broken(op, until):
        raise RuntimeError("database away")

    pacer = ReportingPacer(inner, broken, sleep=ft.sleep, clock=ft.clock)
    for _ in range(35):  # getOrder: 2 s waits, below the reporting threshold
        pacer.acquire("k:getOrder", capacity=30, restore_per_second=0.5)
    for _ in range(25):
        pacer.acquire("k:searchOrders", capacity=20, restore_per_second=0.0056)
    assert len(ft.slept) == (35 - 29) + (25 - 19)
