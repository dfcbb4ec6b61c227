"""Thread-safe request counters."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    """``calls[operation]``, ``by_status[code]``, ``throttled`` and ``token_grants``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.throttled = 0
        self.token_grants = 0
        self.faults_fired = 0

    def record(self, operation: str | None, status: int) -> None:
        with self._lock:
            if operation:
                self.calls[operation] += 1
            self.by_status[status] += 1

    def add_throttled(self) -> None:
        with self._lock:
            self.throttled += 1

    def add_token_grant(self) -> None:
        with self._lock:
            self.token_grants += 1

    def add_fault(self) -> None:
        with self._lock:
            self.faults_fired += 1

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def reset(self) -> None:
        with self._lock:
            self.calls = Counter()
            self.by_status = Counter()
            self.throttled = 0
            self.token_grants = 0
            self.faults_fired = 0

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "throttled": self.throttled,
                "token_grants": self.token_grants,
                "faults_fired": self.faults_fired,
                "total": sum(self.by_status.values()),
            }
