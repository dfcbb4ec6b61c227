"""Fault injection: make the next N calls (optionally of one operation) fail in a chosen way."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

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

    @property
    def kind(self) -> str:
        return self.status if isinstance(self.status, str) else "status"


class FaultInjector:
    """A FIFO of faults; ``take(operation)`` consumes one matching call, thread-safely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self.fired = 0

    def inject(
        self,
        status: int | str,
        count: int = 1,
        operation: str | None = None,
        delay: float = 2.0,
    ) -> Fault:
        if isinstance(status, str):
            if status.isdigit():
                status = int(status)
            elif status not in FAULT_KINDS:
                raise ValueError(f"unknown fault {status!r}; use an HTTP status or {FAULT_KINDS}")
        if isinstance(status, int) and not 400 <= status <= 599:
            raise ValueError("fault status must be 4xx or 5xx")
        if count < 1:
            raise ValueError("count must be >= 1")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        fault = Fault(status=status, remaining=int(count), operation=operation, delay=float(delay))
        with self._lock:
            self._queue.append(fault)
        return fault

    def take(self, operation: str | None) -> Fault | None:
        """Return the first queued fault that applies to ``operation`` and count one use."""
        with self._lock:
            for fault in self._queue:
                if fault.operation is None or fault.operation == operation:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                    self.fired += 1
                    return Fault(fault.status, 1, fault.operation, fault.delay)
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(f.status, f.remaining, f.operation, f.delay) for f in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
