"""Small helpers for the Zoho stand-in: clock, id generation, JSON responses, servers."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response


class Clock:
    """Wall clock plus an adjustable offset. ``advance`` moves every expiry forward."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    def iso(self, tz: dt.tzinfo | None = None) -> str:
        """Zoho style timestamp: ``2024-05-01T10:11:12-07:00`` (no microseconds)."""
        stamp = dt.datetime.fromtimestamp(int(self.now()), tz=tz or dt.UTC)
        return stamp.isoformat()


def zone(name: str) -> dt.tzinfo:
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(name)
    except Exception:  # zoneinfo data missing: fall back to UTC
        return dt.UTC


class IdSource:
    """Zoho-like numeric ids: a 7-digit org prefix, then zero padding and a counter."""

    def __init__(self, prefix: int) -> None:
        self._prefix = prefix
        self._counter = itertools.count(1000 + secrets.randbelow(1000))
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            n = next(self._counter)
        # 7 digits prefix + 12 digits = 19 digits, like 4150868000000376008
        return f"{self._prefix:07d}{n * 7 + 3:012d}"


def token(prefix: str = "1000") -> str:
    return f"{prefix}.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    if status == 204 or payload is None:
        resp = Response(b"", status=status)
        resp.headers.pop("Content-Type", None)
    else:
        body = json.dumps(payload, separators=(",", ":")).encode()
        resp = Response(body, status=status, content_type="application/json;charset=UTF-8")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def api_error(
    status: int, code: str, message: str, details: dict | None = None, **extra: Any
) -> Response:
    payload = {"code": code, "details": details or {}, "message": message, "status": "error"}
    payload.update(extra)
    return json_response(payload, status)


def is_loopback(request: Request) -> bool:
    addr = request.remote_addr or ""
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


class ServerThread:
    """A werkzeug threaded server (HTTP/1.1 keep-alive) running in a daemon thread."""

    def __init__(self, app: Callable, host: str, port: int) -> None:
        self.server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self.host = host
        self.port = self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"zoho-standin-{self.port}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def drop_connection(environ: dict) -> Response:
    """Close the client socket without answering (the 'disconnect' fault)."""
    import socket

    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=500)
