"""Client-side quota pacing: never send a call that Amazon's leaky bucket would throttle.

Amazon documents each operation group as a bucket of ``capacity`` requests that refills at
``restore_per_second`` (../shared/specs/amazon-apis.md §1: ListOrders 6 then 1 per 60 s,
ListOrderItems 30 then 1 per 2 s, …). We keep our own copy of that bucket per
(seller, access key, operation group) and take a token before every call.

How a token is taken (both implementations): the bucket may go *negative*. A caller that
finds less than one token still takes one, which leaves a debt, and then sleeps until the
debt would be repaid. Callers are therefore served first come, first served with one
atomic step each, and a waiting caller never polls.

Why the model is more cautious than Amazon's:
* ``reserve`` tokens are never used. Amazon counts a call when it *arrives*, we count it
  when we *send*; if one call travels slower than the next, Amazon sees them closer together
  than we did. The reserve covers ``jitter_seconds`` of such delay at the bucket's (scaled)
  rate: a fraction of a token at real Amazon rates (the burst is spent but for the last
  call's few milliseconds), more when a stand-in runs 1000× faster.
* we refill at ``rate_factor`` (default 0.95) of Amazon's rate, at most
  ``max_slack_seconds`` slower per token (slow buckets such as searchOrders' one call per
  179 s), so under sustained load Amazon's bucket fills up ahead of ours.
* a bucket we have no record of is assumed full — Amazon's own starting state — but with the
  Redis pacer the record is shared by every worker process and lives until the bucket would
  be full again, so a second process never assumes a bucket another one has just emptied.

``time_scale`` multiplies the refill speed; it must match the stand-in's
(settings.AMAZON_QUOTA_TIME_SCALE; 1 against real Amazon).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

from amazon_ext.amazon.errors import AmazonThrottledError

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import redis


class QuotaPacer(Protocol):
    """Takes one request token for ``key``, sleeping until Amazon would accept the call."""

    def acquire(self, key: str, *, capacity: int, restore_per_second: float) -> None:
        """Block until a call under ``key`` may be sent; the call counts against the bucket."""

    def drain(self, key: str, *, capacity: int, restore_per_second: float) -> None:
        """Amazon throttled us anyway: treat the bucket as empty from now."""

    def reserve(self, key: str, *, capacity: int, restore_per_second: float) -> float:
        """Take the token like ``acquire`` but return the seconds to wait instead of
        sleeping them (the caller sleeps, e.g. to report the wait first)."""


@dataclass(frozen=True, slots=True)
class PacingPolicy:
    """The safety margins (see the module docstring)."""

    time_scale: float = 1.0
    jitter_seconds: float = 0.03
    rate_factor: float = 0.95
    max_slack_seconds: float = 1.0
    max_wait_seconds: float = 900.0

    def rate(self, restore_per_second: float) -> float:
        """Our refill rate: Amazon's interval between tokens plus a slack of
        ``1/rate_factor − 1`` of it, but at most ``max_slack_seconds`` (in Amazon's time).
        Transit jitter is the reserve token's job; the slack only absorbs refill drift, and
        5 % of searchOrders' 179 s interval (9 s a page) would cost a long listing 5 % of
        its pace for nothing."""
        interval = 1.0 / restore_per_second
        slack = min(interval * (1.0 / self.rate_factor - 1.0), self.max_slack_seconds)
        return self.time_scale / (interval + slack)

    def usable(self, capacity: int, restore_per_second: float) -> float:
        """Tokens we allow ourselves from a full bucket: capacity minus the jitter reserve,
        which is what ``jitter_seconds`` of refill is worth, a fraction of a token on slow
        buckets. (A whole token held back cost createReport's one-a-minute plan a minute:
        the last call of the burst waits a few milliseconds instead.)"""
        reserve = restore_per_second * self.time_scale * self.jitter_seconds
        return float(capacity - min(reserve, capacity - 1)) if capacity > 1 else float(capacity)

    def check_wait(self, key: str, wait: float) -> None:
        if wait > self.max_wait_seconds:
            raise AmazonThrottledError(
                f"Amazon's request quota for {key.rsplit(':', 1)[-1]} is booked for the next "
                f"{wait:.0f} s by other syncs of this seller; try again later.",
                code="QuotaBacklog",
            )


class LocalQuotaPacer:
    """Thread-safe pacer for one process (no shared store configured)."""

    def __init__(
        self,
        policy: PacingPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or PacingPolicy()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (level, stamp)

    def _level(self, key: str, capacity: int, restore_per_second: float, now: float) -> float:
        usable = self.policy.usable(capacity, restore_per_second)
        level, stamp = self._buckets.get(key, (usable, now))
        return min(usable, level + (now - stamp) * self.policy.rate(restore_per_second))

    def reserve(self, key: str, *, capacity: int, restore_per_second: float) -> float:
        with self._lock:
            now = self._clock()
            level = self._level(key, capacity, restore_per_second, now) - 1.0
            self._buckets[key] = (level, now)
        wait = -level / self.policy.rate(restore_per_second) if level < 0 else 0.0
        self.policy.check_wait(key, wait)
        return wait

    def acquire(self, key: str, *, capacity: int, restore_per_second: float) -> None:
        wait = self.reserve(key, capacity=capacity, restore_per_second=restore_per_second)
        if wait > 0:
            self._sleep(wait)

    def drain(self, key: str, *, capacity: int, restore_per_second: float) -> None:
        with self._lock:
            now = self._clock()
            level = self._level(key, capacity, restore_per_second, now)
            self._buckets[key] = (min(level, 0.0), now)


# KEYS[1] bucket hash; ARGV: usable, rate (tokens/s), ttl_ms, mode ("acquire"|"drain").
# Time comes from the Redis server so every worker process shares one clock.
# Returns the wait in microseconds (integer: Redis truncates Lua numbers).
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local usable = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'level', 'stamp')
local level = tonumber(state[1])
local stamp = tonumber(state[2])
if level == nil or stamp == nil then
  level = usable
  stamp = now
end
if now > stamp then
  level = math.min(usable, level + (now - stamp) * rate)
end
local wait = 0
if ARGV[4] == 'drain' then
  level = math.min(level, 0)
else
  level = level - 1
  if level < 0 then wait = -level / rate end
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) + wait * 1000))
return math.ceil(wait * 1000000)
"""


class RedisQuotaPacer:
    """Pacer whose buckets live in Redis, shared by every worker process (atomic Lua)."""

    def __init__(
        self, client: redis.Redis, policy: PacingPolicy | None = None, *, prefix: str = "amzq"
    ) -> None:
        self.policy = policy or PacingPolicy()
        self._redis = client
        self._script = client.register_script(_LUA)
        self._prefix = prefix

    def _call(self, key: str, capacity: int, restore_per_second: float, mode: str) -> float:
        usable = self.policy.usable(capacity, restore_per_second)
        rate = self.policy.rate(restore_per_second)
        # Keep the record until the bucket would be full again, plus a minute of slack.
        ttl_ms = (usable + 1) / rate * 1000 + 60_000
        micros = self._script(
            keys=[f"{self._prefix}:{key}"], args=[repr(usable), repr(rate), int(ttl_ms), mode]
        )
        return int(micros) / 1_000_000

    def reserve(self, key: str, *, capacity: int, restore_per_second: float) -> float:
        wait = self._call(key, capacity, restore_per_second, "acquire")
        self.policy.check_wait(key, wait)
        return wait

    def acquire(self, key: str, *, capacity: int, restore_per_second: float) -> None:
        wait = self.reserve(key, capacity=capacity, restore_per_second=restore_per_second)
        if wait > 0:
            time.sleep(wait)

    def drain(self, key: str, *, capacity: int, restore_per_second: float) -> None:
        self._call(key, capacity, restore_per_second, "drain")


_shared: dict[tuple, QuotaPacer] = {}
_shared_lock = threading.Lock()


def pacer_from_settings() -> QuotaPacer:
    """The process-wide pacer: Redis-backed when settings.REDIS_URL is set, else local.

    One instance per (store, time scale), so every client in the process shares buckets.
    """
    time_scale = float(getattr(settings, "AMAZON_QUOTA_TIME_SCALE", 1.0) or 1.0)
    redis_url = getattr(settings, "REDIS_URL", "") or ""
    cache_key = (redis_url, time_scale)
    with _shared_lock:
        pacer = _shared.get(cache_key)
        if pacer is None:
            policy = PacingPolicy(time_scale=time_scale)
            if redis_url:
                import redis  # only needed when a shared store is configured

                pacer = RedisQuotaPacer(redis.Redis.from_url(redis_url), policy)
            else:
                pacer = LocalQuotaPacer(policy)
            _shared[cache_key] = pacer
        return pacer


# A wait shorter than this is not worth telling anyone about.
REPORT_WAITS_FROM_SECONDS = 5.0


class ReportingPacer:
    """A pacer that says when a call has to wait for quota: ``report(operation, until)``
    before a long sleep (``until`` an epoch time, in real seconds), ``report(operation, None)``
    once the call may go. The run's live progress shows it ("waiting for Amazon's quota:
    next page in 2 min 40 s"). A failing reporter never stops a call."""

    def __init__(
        self,
        inner: QuotaPacer,
        report: Callable[[str, float | None], None],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        min_seconds: float = REPORT_WAITS_FROM_SECONDS,
    ) -> None:
        self._inner = inner
        self._report = report
        self._sleep = sleep
        self._clock = clock
        self._min_seconds = min_seconds

    def reserve(self, key: str, *, capacity: int, restore_per_second: float) -> float:
        return self._inner.reserve(key, capacity=capacity, restore_per_second=restore_per_second)

    def acquire(self, key: str, *, capacity: int, restore_per_second: float) -> None:
        wait = self.reserve(key, capacity=capacity, restore_per_second=restore_per_second)
        if wait <= 0:
            return
        if wait < self._min_seconds:
            self._sleep(wait)
            return
        operation = key.rsplit(":", 1)[-1]
        self._tell(operation, self._clock() + wait)
        try:
            self._sleep(wait)
        finally:
            self._tell(operation, None)

    def drain(self, key: str, *, capacity: int, restore_per_second: float) -> None:
        self._inner.drain(key, capacity=capacity, restore_per_second=restore_per_second)

    def _tell(self, operation: str, until: float | None) -> None:
        try:
            self._report(operation, until)
        except Exception:  # progress is a courtesy; the call must go on
            logger.warning("could not record the quota wait of %s", operation, exc_info=True)
