"""Fault injection: make the next N matching calls fail in a chosen way.

A fault matches on any of ``operation`` (Amazon's operation name), ``method``, a substring of
the path (``path_contains``) and ``dc`` (Zoho's data centre); unset criteria match anything.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

FAULT_KINDS = ("slow", "malformed", "disconnect", "throttle")


@dataclass
class Fault:
    """One queued fault.

    ``status`` is an HTTP status (500, 503, 429, …) or one of ``"slow"`` (sleep ``delay``
    seconds, then answer normally), ``"malformed"`` (HTTP 200 with a truncated body),
    ``"disconnect"`` (close the connection without answering) or ``"throttle"`` (the API's
    own throttling answer: MWS 503 RequestThrottled, SP-API 429 QuotaExceeded).
    """

    status: int | str
    remaining: int
    operation: str | None = None
    delay: float = 2.0
    method: str | None = None
    path_contains: str | None = None
    dc: str | None = None

    def matches(
        self, operation: str | None, method: str | None, path: str | None, dc: str | None
    ) -> bool:
        return (
            (self.operation is None or self.operation == operation)
            and (self.method is None or self.method.upper() == (method or ""))
            and (self.path_contains is None or self.path_contains in (path or ""))
            and (self.dc is None or self.dc == dc)
        )

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class FaultInjector:
    """A FIFO of faults; ``take(...)`` consumes one use of the first match, thread-safely."""

    def __init__(self, *, default_delay: float = 2.0, kinds: tuple[str, ...] = FAULT_KINDS):
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self.default_delay = default_delay
        self.kinds = kinds
        self.fired = 0

    def inject(
        self,
        status: int | str = 500,
        count: int = 1,
        operation: str | None = None,
        delay: float | None = None,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        dc: str | None = None,
    ) -> Fault:
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if isinstance(status, str) and status not in self.kinds:
            raise ValueError(f"unknown fault {status!r}; use an HTTP status or {self.kinds}")
        if isinstance(status, int) and not 400 <= status <= 599:
            raise ValueError("fault status must be 4xx or 5xx")
        delay = self.default_delay if delay is None else float(delay)
        if count < 1:
            raise ValueError("count must be >= 1")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        fault = Fault(status, int(count), operation, delay, method, path_contains, dc)
        with self._lock:
            self._queue.append(fault)
        return fault

    def take(
        self,
        operation: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        dc: str | None = None,
    ) -> Fault | None:
        """Return (a copy of) the first queued fault that applies and count one use."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(operation, method, path, dc):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                    self.fired += 1
                    return Fault(**{**asdict(fault), "remaining": 1})
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(**asdict(f)) for f in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
