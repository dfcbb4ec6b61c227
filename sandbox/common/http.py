"""The one HTTP layer of both stand-ins: a WSGI app on a loopback port, in a background thread.

Built on **cheroot** (the CherryPy project's WSGI server). Why cheroot and not waitress:

* HTTP/1.1 keep-alive is its normal mode, and idle keep-alive connections wait in a selector
  rather than holding a worker thread, so a benchmark's pooled connections and a test's burst
  of concurrent calls are both served without a private keep-alive handler.
* A worker thread owns the request's socket while the app runs. That lets the
  ``disconnect`` fault close the connection without answering, which a real outage does and
  clients must retry. Waitress writes from a separate I/O thread; an app cannot make it
  drop a connection without answering, or see when the answer is sent.
* It reads the unread rest of a request body itself, answers ``Expect: 100-continue``,
  refuses oversized bodies with 413, sets ``TCP_NODELAY`` and stops cleanly.

A stand-in's app asks for a dropped connection by setting ``environ["sandbox.disconnect"]``;
``slow`` and ``malformed`` faults are plain WSGI (sleep, truncated body) and need nothing here.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from cheroot import wsgi

MAX_BODY_BYTES = 16 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 60
WORKER_THREADS = 48  # more than any test's concurrent callers: a call waits for no thread

DISCONNECT = "sandbox.disconnect"

log = logging.getLogger("sandbox")


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway plus the dropped-connection fault."""

    def respond(self) -> None:
        req = self.req
        result = req.server.wsgi_app(self.env, self.start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if self.env.get(DISCONNECT):
            req.close_connection = True
            req.sent_headers = True  # nothing at all goes out
            with contextlib.suppress(OSError):
                req.conn.socket.shutdown(socket.SHUT_RDWR)
            return
        bodiless = req.status[:3] in (b"204", b"304") or req.status[:1] == b"1"
        if self.remaining_bytes_out is None and self.started_response and not bodiless:
            # A known length keeps the connection reusable (no chunked framing for one body).
            req.outheaders.append((b"Content-Length", str(len(body)).encode()))
        if body:
            self.write(body)


class _Server(wsgi.Server):
    def __init__(self, bind_addr: tuple[str, int], app: Callable) -> None:
        super().__init__(
            bind_addr,
            app,
            numthreads=WORKER_THREADS,
            server_name="Server",
            request_queue_size=128,
            timeout=IDLE_TIMEOUT_SECONDS,
            shutdown_timeout=2,
        )
        self.gateway = _Gateway
        self.max_request_body_size = MAX_BODY_BYTES
        # The selector loop notices stop() only between waits of this length (cheroot: 0.5 s),
        # which a test suite that starts and stops a stand-in per test pays every time.
        self.expiration_interval = 0.05


def _guarded(app: Callable, error_body: bytes, error_type: str, access_log: bool) -> Callable:
    """Answer 500 (and close) when the app raises, instead of cheroot's plain-text page;
    with ``access_log``, print one line per request."""

    def logged(environ, start_response):  # type: ignore[no-untyped-def]
        def start(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
            print(
                f"{environ.get('REMOTE_ADDR')} {environ['REQUEST_METHOD']} "
                f"{environ.get('PATH_INFO')} {status.split(' ', 1)[0]}",
                flush=True,
            )
            return start_response(status, headers, exc_info)

        return app(environ, start)

    inner = logged if access_log else app

    def wrapped(environ, start_response):  # type: ignore[no-untyped-def]
        try:
            return inner(environ, start_response)
        except Exception:
            log.error("stand-in error on %s\n%s", environ.get("PATH_INFO"), traceback.format_exc())
            start_response(
                "500 Internal Server Error",
                [("Content-Type", error_type), ("Connection", "close")],
                None,
            )
            return [error_body]

    return wrapped


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ServerHandle:
    """A running server: its URL, port and ``stop()``."""

    server: _Server
    thread: threading.Thread
    host: str
    port: int
    url: str
    _stopped: bool = field(default=False, repr=False)

    @property
    def open_connections(self) -> int:
        """Connections the server holds (active and idle keep-alive)."""
        return len(self.server._connections._selector)

    def stop(self, timeout: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.stop()
        self.thread.join(timeout)


def serve_in_thread(
    app: Callable,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    name: str = "sandbox",
    allow_any_host: bool = False,
    error_body: bytes = b"internal error",
    error_type: str = "text/plain",
    access_log: bool = False,
) -> ServerHandle:
    """Start ``app`` on ``host:port`` (loopback only; port 0 = ephemeral) in a daemon thread.

    ``allow_any_host`` is for a container of its own (docker-compose's sandbox profile), where
    the other containers must reach it; tests and the demo never set it."""
    if not (allow_any_host or is_loopback(host)):
        raise ValueError(f"the sandbox binds loopback addresses only, not {host!r}")
    server = _Server((host, port), _guarded(app, error_body, error_type, access_log))
    server.prepare()  # binds now, so the port is known before the thread runs
    real_port = server.bind_addr[1]
    thread = threading.Thread(target=server.serve, name=f"{name}-{real_port}", daemon=True)
    thread.start()
    url_host = f"[{host}]" if ":" in host else host
    return ServerHandle(server, thread, host, real_port, f"http://{url_host}:{real_port}")
