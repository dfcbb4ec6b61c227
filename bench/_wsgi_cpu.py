"""A WSGI wrapper that records the CPU each request cost its server thread (time.thread_time:
the app, the template, the DB driver's Python side; not PostgreSQL's own process), so a
benchmark on a loaded machine has a number the other processes do not inflate. A streamed
body counts until ``first_bytes`` of it were produced (or its end)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict


class CpuRecorder:
    def __init__(self, app, *, first_bytes: int = 65536) -> None:
        self.app = app
        self.first_bytes = first_bytes
        self.by_path: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def _record(self, path: str, seconds: float) -> None:
        with self._lock:
            self.by_path[path].append(seconds * 1000)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
        )
        started = time.thread_time()
        body = self.app(environ, start_response)
        spent = time.thread_time() - started
        return self._stream(path, body, spent)

    def _stream(self, path: str, body, spent: float):
        produced, recorded = 0, False
        try:
            iterator = iter(body)
            while True:
                started = time.thread_time()
                try:
                    chunk = next(iterator)
                except StopIteration:
                    spent += time.thread_time() - started
                    break
                spent += time.thread_time() - started
                produced += len(chunk)
                if not recorded and produced >= self.first_bytes:
                    self._record(path, spent)
                    recorded = True
                yield chunk
        finally:
            if not recorded:
                self._record(path, spent)
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def take(self, path: str) -> list[float]:
        with self._lock:
            return self.by_path.pop(path, [])
