"""An injectable clock: real time plus an offset that tests can move."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """Wall clock (aware UTC) and monotonic clock, both shifted by the same offset.

    ``advance(seconds)`` moves both forward, so it also refills rate-limit buckets and expires
    tokens. ``set_offset`` pins the offset; ``set_now`` makes ``now()`` equal a given instant.
    """

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._offset = float(offset_seconds)

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def timestamp(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = float(seconds)

    def set_now(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("set_now needs an aware datetime")
        with self._lock:
            self._offset = (when - datetime.now(UTC)).total_seconds()
