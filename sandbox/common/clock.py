"""The stand-ins' one clock: real time plus an offset that tests and the control API move.

Rate-limit buckets refill ``time_scale`` times faster than real time (see
:mod:`sandbox.common.buckets`); the clock itself only ever moves by ``advance``/``set_*``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, tzinfo


class SandboxClock:
    """Wall clock (aware UTC), epoch seconds and monotonic clock, all shifted by one offset.

    ``advance(seconds)`` moves them forward, so it also refills rate-limit buckets and expires
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

    def timestamp(self) -> float:
        return time.time() + self._offset

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def iso(self, tz: tzinfo | None = None) -> str:
        """Zoho style timestamp: ``2024-05-01T10:11:12-07:00`` (whole seconds)."""
        return datetime.fromtimestamp(int(self.timestamp()), tz=tz or UTC).isoformat()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = float(seconds)

    def reset(self) -> None:
        self.set_offset(0.0)

    def set_now(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("set_now needs an aware datetime")
        with self._lock:
            self._offset = (when - datetime.now(UTC)).total_seconds()
