"""Zoho's budgets as the shared ``outbound.retry.RetryPolicy`` (API calls and token refresh).

``max_attempts`` counts tries, as the README and the spec's backoff plan do (≤5 tries); the
policy counts retries after the first try, hence the ``- 1``. The base wait is
``ZOHO_BACKOFF_BASE`` (2 s), doubling with ±25 % jitter, capped at 60 s.
"""

from __future__ import annotations

from django.conf import settings

from outbound.retry import RetryPolicy

BACKOFF_CAP_SECONDS = 60.0
MAX_ATTEMPTS = 5


def zoho_policy(
    *,
    backoff_base: float | None = None,
    backoff_cap: float = BACKOFF_CAP_SECONDS,
    max_attempts: int = MAX_ATTEMPTS,
) -> RetryPolicy:
    """The policy for one Zoho client; ``backoff_base`` defaults to ``ZOHO_BACKOFF_BASE``."""
    retries = max(1, max_attempts) - 1
    return RetryPolicy(
        attempts=retries,  # 5xx, timeouts, dropped connections
        rate_limited_attempts=retries,  # 429
        backoff_base=settings.ZOHO_BACKOFF_BASE if backoff_base is None else backoff_base,
        backoff_cap=backoff_cap,
        jitter=0.25,
        deadline=None,  # bounded by attempts; the task's time limit bounds the run
    )
