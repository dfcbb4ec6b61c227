"""Thread-safe call counters shared by both stand-ins."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable


class Stats:
    """``calls[key]`` per call, ``by_status[code]``, named ``events`` and an optional call log.

    The key is whatever a stand-in counts by: Amazon's operation name, Zoho's
    ``(method, route)``. ``events`` counts things that are not calls (throttled answers,
    token grants, faults fired, records written).
    """

    def __init__(self, *, keep_log: bool = False) -> None:
        self._lock = threading.Lock()
        self._keep_log = keep_log
        self.calls: Counter[Hashable] = Counter()
        self.by_status: Counter[int] = Counter()
        self.events: Counter[str] = Counter()
        self.log: list[dict] = []

    def record(self, key: Hashable | None, status: int, **facts: object) -> None:
        with self._lock:
            if key is not None:
                self.calls[key] += 1
            self.by_status[status] += 1
            if self._keep_log:
                self.log.append({"status": status, **facts})

    def add(self, event: str, amount: int = 1) -> None:
        with self._lock:
            self.events[event] += amount

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def reset(self) -> None:
        with self._lock:
            self.calls = Counter()
            self.by_status = Counter()
            self.events = Counter()
            self.log = []

    def status_json(self) -> dict[str, int]:
        with self._lock:
            return {str(k): v for k, v in sorted(self.by_status.items())}
