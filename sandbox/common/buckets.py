"""Rate-limit buckets.

MWS documents a *leaky bucket* (max request quota, restore rate) and SP-API a *token bucket*
(rate, burst). Both behave the same way: a bucket holds up to ``capacity`` requests, every
request takes one, and it refills continuously at ``rate`` requests per second. ``time_scale``
multiplies the refill speed (100 → a 1-per-2-s bucket refills one request every 0.02 s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable


class TokenBucket:
    """A thread-safe bucket of ``capacity`` requests refilled at ``rate`` per second."""

    __slots__ = ("_level", "_lock", "_now", "_stamp", "capacity", "rate")

    def __init__(
        self, capacity: float, rate: float, now: Callable[[], float], time_scale: float = 1.0
    ) -> None:
        if capacity <= 0 or rate <= 0 or time_scale <= 0:
            raise ValueError("capacity, rate and time_scale must be positive")
        self.capacity = float(capacity)
        self.rate = float(rate) * float(time_scale)
        self._now = now
        self._lock = threading.Lock()
        self._level = self.capacity
        self._stamp = now()

    def _refill(self) -> None:
        now = self._now()
        elapsed = now - self._stamp
        if elapsed > 0:
            self._level = min(self.capacity, self._level + elapsed * self.rate)
        self._stamp = now

    def try_acquire(self, amount: float = 1.0) -> bool:
        """Take ``amount`` requests if available; return False (and take nothing) otherwise."""
        with self._lock:
            self._refill()
            if self._level + 1e-9 >= amount:
                self._level -= amount
                return True
            return False

    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._level

    def seconds_until_available(self, amount: float = 1.0) -> float:
        with self._lock:
            self._refill()
            missing = amount - self._level
            return max(0.0, missing / self.rate)

    def fill(self) -> None:
        with self._lock:
            self._level = self.capacity
            self._stamp = self._now()


class LeakyBucket(TokenBucket):
    """MWS vocabulary: ``max_quota`` requests, one restored every ``restore_seconds``."""

    def __init__(
        self,
        max_quota: int,
        restore_seconds: float,
        now: Callable[[], float],
        time_scale: float = 1.0,
    ) -> None:
        super().__init__(max_quota, 1.0 / restore_seconds, now, time_scale)


class BucketRegistry:
    """Lazily creates one bucket per key (e.g. (seller, access key, operation group))."""

    def __init__(self, factory: Callable[[Hashable], TokenBucket]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, TokenBucket] = {}

    def get(self, key: Hashable) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            with self._lock:
                bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = self._factory(key)
                    self._buckets[key] = bucket
        return bucket

    def try_acquire(self, key: Hashable) -> bool:
        return self.get(key).try_acquire()

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
