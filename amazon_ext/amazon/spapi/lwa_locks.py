"""Single flight for LWA refreshes: however many threads and worker processes need a token
for one refresh token at once, one asks LWA and the others wait and reuse its answer.

Threads of a process queue on a per-key lock; processes queue on a Redis lock when
settings.REDIS_URL is set (none without it: one process has only its threads).
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext

from django.conf import settings

from amazon_ext.amazon.spapi.lwa_endpoint import timeout

LOCK_TIMEOUT_SECONDS = 60

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()
_redis_clients: dict[str, object] = {}


def thread_lock(key: str) -> threading.Lock:
    """The process-wide lock of ``key``."""
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


def process_lock(key: str) -> AbstractContextManager:
    """A Redis lock shared by every worker process, or nothing without REDIS_URL."""
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url:
        return nullcontext()
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients.setdefault(url, redis.Redis.from_url(url))
    return client.lock(  # type: ignore[attr-defined]
        f"amazon:lwa-lock:{key}",
        timeout=LOCK_TIMEOUT_SECONDS,
        blocking_timeout=LOCK_TIMEOUT_SECONDS + timeout(),
    )
