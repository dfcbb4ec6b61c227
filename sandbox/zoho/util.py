"""Small helpers for the Zoho stand-in: clock, id generation, JSON responses, servers."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import itertools
import json
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import LimitedStream


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


class KeepAliveHandler(WSGIRequestHandler):
    """Werkzeug's request handler with real HTTP/1.1 keep-alive.

    Werkzeug 3's ``run_wsgi`` always answers ``Connection: close`` and then drains the socket,
    which rules out persistent connections. This ``run_wsgi`` bounds ``wsgi.input`` to the
    Content-Length, drains whatever the app left unread, buffers the (small, JSON/HTML) body and
    sends it with a Content-Length, leaving the connection open unless the client asked to close.
    """

    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections are closed after a minute
    quiet = True

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns = getattr(self.server, "open_connections", None)
        if conns is not None:
            with self.server.open_lock:
                conns.add(self.connection)

    def finish(self) -> None:
        conns = getattr(self.server, "open_connections", None)
        if conns is not None:
            with self.server.open_lock:
                conns.discard(self.connection)
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not self.quiet:
            super().log_request(code, size)

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        if not environ.get("wsgi.input_terminated"):
            try:
                length = max(0, int(self.headers.get("Content-Length") or 0))
            except ValueError:
                length = 0
            environ["wsgi.input"] = LimitedStream(self.rfile, length)
            environ["wsgi.input_terminated"] = True
        started: list = []

        def start_response(status, headers, exc_info=None):
            started[:] = [status, headers]
            return lambda data: None  # the write() callable is not supported

        try:
            app_iter = self.server.app(environ, start_response)
            try:
                body = b"".join(app_iter)
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
            self._drain(environ["wsgi.input"])
        except self.server.dropped_errors:
            self.close_connection = True
            return
        except Exception:
            self.server.log("error", "Error on request:\n%s", traceback.format_exc())
            started[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")]]
            body = b'{"code":"INTERNAL_ERROR","details":{},"message":"internal error","status":"error"}'
            self.close_connection = True
        status, headers = started
        code_str, _, msg = status.partition(" ")
        code = int(code_str)
        try:
            self.send_response(code, msg)
            names = set()
            for key, value in headers:
                if key.lower() in ("connection", "content-length", "transfer-encoding"):
                    continue
                names.add(key.lower())
                self.send_header(key, value)
            no_body = code in (204, 304) or 100 <= code < 200 or self.command == "HEAD"
            if not no_body:
                self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            # One write for head and body (no Nagle/delayed-ACK stall between them).
            self._headers_buffer.append(b"\r\n" + (b"" if no_body else body))
            self.flush_headers()
        except self.server.dropped_errors:
            self.close_connection = True

    def _drain(self, stream) -> None:
        for _ in range(100_000):  # bounded: at most ~6 GB of unread body
            if not stream.read(65536):
                return
        self.close_connection = True


class ServerThread:
    """A werkzeug threaded server (HTTP/1.1 keep-alive) running in a daemon thread."""

    def __init__(self, app: Callable, host: str, port: int, *, quiet: bool = True) -> None:
        handler = type("ZohoHandler", (KeepAliveHandler,), {"quiet": quiet})
        self.server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=handler
        )
        self.server.open_connections = set()
        self.server.open_lock = threading.Lock()
        self.server.dropped_errors = (ConnectionError, TimeoutError, OSError)
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
        with self.server.open_lock:
            conns = list(self.server.open_connections)
        for conn in conns:  # end idle keep-alive connections too
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=5)


def drop_connection(environ: dict) -> Response:
    """Close the client socket without answering (the 'disconnect' fault)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=500)
