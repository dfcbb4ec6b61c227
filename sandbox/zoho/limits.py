"""Zoho's call statistics view, concurrency caps and the rolling 24-hour credit counter."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from sandbox.common.clock import SandboxClock
from sandbox.common.stats import Stats

DAY = 86_400.0


class ZohoStats(Stats):
    """``calls``: Counter of (method, route) e.g. ("POST", "upsert:Products").

    ``log`` keeps one dict per call (method, route, status, dc, org_id, records).
    """

    def __init__(self, oauth_state: Any = None) -> None:
        super().__init__(keep_log=True)
        self._oauth = oauth_state
        self._refresh_base = 0

    def record_call(
        self,
        method: str,
        route: str,
        status: int,
        *,
        dc: str,
        org_id: str | None = None,
        records: int = 0,
    ) -> None:
        self.record(
            (method, route), status, method=method, route=route, dc=dc, org_id=org_id,
            records=records,
        )  # fmt: skip
        if records:
            self.add("records_written", records)

    @property
    def records_written(self) -> int:
        return self.events["records_written"]

    @property
    def token_refreshes(self) -> int:
        return (self._oauth.token_refreshes if self._oauth else 0) - self._refresh_base

    def count(self, route_prefix: str, method: str | None = None) -> int:
        calls = dict(self.calls)
        return sum(
            n
            for (m, route), n in calls.items()
            if route.startswith(route_prefix) and (method is None or m == method)
        )

    def reset(self) -> None:
        super().reset()
        self._refresh_base = self._oauth.token_refreshes if self._oauth else 0

    def as_json(self) -> dict:
        calls = dict(self.calls)
        return {
            "calls": [{"method": m, "route": r, "count": n} for (m, r), n in sorted(calls.items())],
            "by_status": self.status_json(),
            "token_refreshes": self.token_refreshes,
            "records_written": self.records_written,
            "total": sum(calls.values()),
        }


class Gate:
    """Counts calls in flight; ``enter`` fails once ``limit`` are already running."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.in_flight >= self.limit:
                return False
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return True

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class Credits:
    """A rolling 24-hour credit budget (spec §5)."""

    def __init__(self, clock: SandboxClock, limit: int) -> None:
        self.clock = clock
        self.limit = limit
        self._spent: deque[tuple[float, int]] = deque()
        self._total = 0
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - DAY:
            self._total -= self._spent.popleft()[1]

    def used(self) -> int:
        with self._lock:
            self._expire(self.clock.timestamp())
            return self._total

    def remaining(self) -> int:
        return max(0, self.limit - self.used())

    def charge(self, cost: int) -> bool:
        """Spend ``cost`` credits; False (nothing spent) if the budget cannot cover it."""
        now = self.clock.timestamp()
        with self._lock:
            self._expire(now)
            if self._total + cost > self.limit:
                return False
            self._spent.append((now, cost))
            self._total += cost
            return True
