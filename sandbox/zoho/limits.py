"""Call statistics, injectable faults, concurrency caps and the rolling credit counter."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from .util import Clock

DAY = 86_400.0


class Stats:
    """``calls``: Counter of (method, route) e.g. ("POST", "upsert:Products").

    ``log`` keeps one dict per call (method, route, status, dc, org_id, records).
    """

    def __init__(self, oauth_state: Any = None) -> None:
        self._lock = threading.Lock()
        self._oauth = oauth_state
        self._refresh_base = 0
        self.calls: Counter = Counter()
        self.by_status: Counter = Counter()
        self.log: list[dict] = []
        self.records_written = 0

    def record(
        self,
        method: str,
        route: str,
        status: int,
        *,
        dc: str,
        org_id: str | None = None,
        records: int = 0,
    ) -> None:
        with self._lock:
            self.calls[(method, route)] += 1
            self.by_status[status] += 1
            self.records_written += records
            self.log.append(
                {
                    "method": method,
                    "route": route,
                    "status": status,
                    "dc": dc,
                    "org_id": org_id,
                    "records": records,
                }
            )

    @property
    def token_refreshes(self) -> int:
        return (self._oauth.token_refreshes if self._oauth else 0) - self._refresh_base

    def count(self, route_prefix: str, method: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (m, route), n in self.calls.items()
                if route.startswith(route_prefix) and (method is None or m == method)
            )

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.by_status.clear()
            self.log.clear()
            self.records_written = 0
            self._refresh_base = self._oauth.token_refreshes if self._oauth else 0

    def as_json(self) -> dict:
        with self._lock:
            return {
                "calls": [
                    {"method": m, "route": r, "count": n}
                    for (m, r), n in sorted(self.calls.items())
                ],
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "token_refreshes": self.token_refreshes,
                "records_written": self.records_written,
                "total": sum(self.calls.values()),
            }


@dataclass
class Fault:
    status: int | str  # 500, 429, any HTTP status, "slow" or "disconnect"
    count: int
    path_contains: str | None = None
    method: str | None = None
    delay: float = 1.0
    dc: str | None = None

    def matches(self, method: str, path: str, dc: str) -> bool:
        return (
            self.count > 0
            and (self.path_contains is None or self.path_contains in path)
            and (self.method is None or self.method.upper() == method)
            and (self.dc is None or self.dc == dc)
        )


class Faults:
    """Queue of injected faults; each matching call consumes one unit of the first match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def inject(
        self,
        status: int | str = 500,
        count: int = 1,
        path_contains: str | None = None,
        *,
        delay: float = 1.0,
        method: str | None = None,
        dc: str | None = None,
    ) -> Fault:
        if not (isinstance(status, int) or status in ("slow", "disconnect")):
            raise ValueError("status must be an HTTP status, 'slow' or 'disconnect'")
        fault = Fault(status, int(count), path_contains, method, float(delay), dc)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, dc: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, dc):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict]:
        with self._lock:
            return [dict(vars(f)) for f in self._faults]


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

    def __init__(self, clock: Clock, limit: int) -> None:
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
            self._expire(self.clock.now())
            return self._total

    def remaining(self) -> int:
        return max(0, self.limit - self.used())

    def charge(self, cost: int) -> bool:
        """Spend ``cost`` credits; False (nothing spent) if the budget cannot cover it."""
        now = self.clock.now()
        with self._lock:
            self._expire(now)
            if self._total + cost > self.limit:
                return False
            self._spent.append((now, cost))
            self._total += cost
            return True
