"""Serve a WSGI app on loopback in a daemon thread, with working HTTP/1.1 keep-alive.

Werkzeug's dev server (3.1) answers every request with ``Connection: close``. The stand-in
must hold keep-alive connections for benchmarks, so :class:`KeepAliveHandler` replaces
``run_wsgi``: it reads the whole request body first (so an app that ignores the body never
desynchronises the connection), buffers the response, always sends ``Content-Length`` and
only closes when the client asks to or the app requests a dropped connection
(``environ["sandbox.disconnect"] = True``).
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import socket
import sys
import threading
import traceback
from dataclasses import dataclass, field

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

MAX_BODY_BYTES = 16 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 60


class KeepAliveHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS  # idle keep-alive connections end after this

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        track = getattr(self.server, "sandbox_connections", None)
        if track is not None:
            with self.server.sandbox_lock:
                track.add(self.connection)

    def finish(self) -> None:
        track = getattr(self.server, "sandbox_connections", None)
        if track is not None:
            with self.server.sandbox_lock:
                track.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    # Quiet: a benchmark sends tens of thousands of requests.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def log_message(self, format: str, *args: object) -> None:
        return

    def log(self, type: str, message: str, *args: object) -> None:
        if type == "error":
            sys.stderr.write(f"[sandbox] {message % args if args else message}\n")

    def _read_body(self, environ: dict) -> bytes | None:
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):  # chunked
            chunks, total = [], 0
            for _ in range(1_000_000):
                data = stream.read(65536)
                if not data:
                    break
                total += len(data)
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(data)
            return b"".join(chunks)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return stream.read(length) if length else b""

    def _send(self, code: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(code, reason)
        for key, value in headers:
            if key.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # One write for head and body: two small writes trip Nagle + delayed ACK (40 ms).
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and body:
            self._headers_buffer.append(body)
        self.flush_headers()

    def run_wsgi(self) -> None:
        try:
            self._run_wsgi()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        body = self._read_body(environ)
        if body is None:
            self.close_connection = True
            self._send(413, "Payload Too Large", [("Content-Type", "text/plain")], b"too large")
            return
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)

        captured: dict = {}

        def start_response(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
            captured["status"] = status
            captured["headers"] = list(headers)
            return lambda data: captured.setdefault("early", []).append(data)

        try:
            result = self.server.app(environ, start_response)
            try:
                chunks = [*captured.get("early", []), *result]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:
            traceback.print_exc()
            self.close_connection = True
            self._send(500, "Internal Server Error", [("Content-Type", "text/plain")], b"error")
            return

        if environ.get("sandbox.disconnect"):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if environ.get("sandbox.close"):
            self.close_connection = True
        code_str, _, reason = captured["status"].partition(" ")
        self._send(int(code_str), reason, captured["headers"], b"".join(chunks))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ServerHandle:
    server: BaseWSGIServer
    thread: threading.Thread
    host: str
    port: int
    url: str
    _stopped: bool = field(default=False, repr=False)

    def stop(self, timeout: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        with self.server.sandbox_lock:
            connections = list(self.server.sandbox_connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout)


def serve_in_thread(
    app,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    name: str = "sandbox",
    allow_any_host: bool = False,
):
    """Start ``app`` on ``host:port`` (loopback only; port 0 = ephemeral) in a daemon thread.

    ``allow_any_host`` is for a container of its own (docker-compose's sandbox profile),
    where the other containers must reach it; tests and the demo never set it."""
    if not (allow_any_host or _is_loopback(host)):
        raise ValueError(f"the sandbox binds loopback addresses only, not {host!r}")
    server = make_server(host, port, app, threaded=True, request_handler=KeepAliveHandler)
    server.sandbox_connections = set()
    server.sandbox_lock = threading.Lock()
    real_port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    url_host = f"[{host}]" if ":" in host else host
    return ServerHandle(server, thread, host, real_port, f"http://{url_host}:{real_port}")
