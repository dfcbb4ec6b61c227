"""Per-tenant cap on Zoho calls in flight.

Zoho counts concurrent calls per org per OAuth app (Free 5 … Ultimate 25) and answers 429
beyond it, so every worker process must share one cap: a Redis semaphore when REDIS_URL is set,
else an in-process one (enough for the embedded single-process default).

Waiting too long for a slot raises ``ZohoConcurrencyTimeoutError``: a retryable Zoho error,
like the 429 Zoho would have answered, so a run that meets it is retried from its checkpoint
instead of ending as an internal error.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator

from django.conf import settings

from crm_sync.zoho.errors import ZohoConcurrencyTimeoutError

SLOT_LEASE_SECONDS = 120  # a crashed holder's slot frees itself after this
ACQUIRE_TIMEOUT_SECONDS = 300


_local: dict[tuple[int, int], threading.BoundedSemaphore] = {}
_local_guard = threading.Lock()


@contextlib.contextmanager
def _local_slot(tenant_id: int, limit: int, timeout: float) -> Iterator[None]:
    with _local_guard:
        sem = _local.setdefault((tenant_id, limit), threading.BoundedSemaphore(limit))
    if not sem.acquire(timeout=timeout):
        raise ZohoConcurrencyTimeoutError(tenant_id, timeout)
    try:
        yield
    finally:
        sem.release()


# Drop expired leases, then take a slot if fewer than ARGV[2] are held.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[4])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return 1
end
return 0
"""

_redis_clients: dict[str, object] = {}


def _redis(url: str):
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        _redis_clients[url] = client
    return client


@contextlib.contextmanager
def _redis_slot(url: str, tenant_id: int, limit: int, timeout: float) -> Iterator[None]:
    client = _redis(url)
    key = f"zoho:inflight:{tenant_id}"
    member = secrets.token_hex(8)
    deadline = time.monotonic() + timeout
    pause = 0.01
    while not client.eval(_ACQUIRE, 1, key, time.time(), limit, member, SLOT_LEASE_SECONDS):
        if time.monotonic() >= deadline:
            raise ZohoConcurrencyTimeoutError(tenant_id, timeout)
        time.sleep(pause)
        pause = min(pause * 2, 0.25)
    try:
        yield
    finally:
        client.zrem(key, member)


def call_slot(
    tenant_id: int,
    *,
    limit: int | None = None,
    redis_url: str | None = None,
    timeout: float = ACQUIRE_TIMEOUT_SECONDS,
) -> contextlib.AbstractContextManager[None]:
    """Context manager holding one of the tenant's ``limit`` Zoho call slots; raises
    ``ZohoConcurrencyTimeoutError`` if none frees up within ``timeout`` seconds."""
    limit = max(1, int(limit or settings.ZOHO_MAX_CONCURRENCY))
    url = settings.REDIS_URL if redis_url is None else redis_url
    if url:
        return _redis_slot(url, tenant_id, limit, timeout)
    return _local_slot(tenant_id, limit, timeout)
