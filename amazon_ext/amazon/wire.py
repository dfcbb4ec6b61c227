"""A lean keep-alive HTTP/1.1 exchange on ``socket`` + ``ssl`` for Amazon's calls.

Why: urllib3 + http.client cost ~60 % of an MWS item call's client CPU, most of it in
http.client's header parsing (the ``email`` package's parser), ``putheader`` and urllib3's
per-response objects. An Amazon call is one small request and one answer, so here the
request is written with one ``sendall`` and the answer read with a plain parser:

* status line and headers (names case-insensitive; a repeated header joined with ``", "``
  as urllib3 does; an obsolete folded line joined to the one before with a space, as
  RFC 9112 §5.2 lets a client do); interim ``1xx`` answers are skipped;
* the body by Content-Length, ``chunked`` (chunk extensions ignored, trailers read and
  dropped) or until the connection closes; no body for HEAD, 204 and 304;
* ``gzip`` / ``deflate`` bodies decoded (the session asks for them, as requests does);
* everything within one total deadline (connect, TLS handshake, headers and body: each
  socket operation waits at most the time left) and a size cap.

A connection goes back to its :class:`Pool` only when its answer was read completely and the
server did not ask to close it. A kept-alive connection the server closed while it was idle
shows as a reset or an end of stream before any byte of the answer: then, and only then
(nothing was read back, so the server did nothing with the request), the request is sent once
more on a new connection. TLS verifies the certificate chain and the host name exactly as
requests would for the session's ``verify`` (True: certifi's bundle; a path: that file or
directory; False: no verification) and client ``cert``.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import threading
from collections.abc import Mapping
from urllib.parse import SplitResult, urlsplit

import certifi

from amazon_ext.amazon.wire_answer import (
    BodyTooLargeError,
    ClosedError,
    Headers,
    PastDeadlineError,
    Reader,
    WireError,
    content_length,
    decoded,
    left,
)

__all__ = ["BodyTooLargeError", "Headers", "Pool", "Pools", "WireError", "exchange"]

_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class _StaleError(Exception):
    """A reused connection was closed by the server before it answered a byte."""


def tls_context(verify: bool | str, cert: str | tuple[str, str] | None) -> ssl.SSLContext:
    """The TLS settings requests' adapter would use for ``verify`` and ``cert``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + host name check
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        bundle = certifi.where() if verify is True else str(verify)
        if os.path.isdir(bundle):
            context.load_verify_locations(capath=bundle)
        else:
            context.load_verify_locations(cafile=bundle)
    if isinstance(cert, str):
        context.load_cert_chain(cert)
    elif cert:
        context.load_cert_chain(cert[0], cert[1])
    context.set_alpn_protocols(["http/1.1"])
    return context


class Pools:
    """One :class:`Pool` per origin and TLS setting, for one session."""

    def __init__(self, maxsize: int = 16) -> None:
        self._maxsize = maxsize
        self._pools: dict[tuple, Pool] = {}
        self._lock = threading.Lock()

    def for_url(
        self, url: str, verify: bool | str, cert: str | tuple[str, str] | None
    ) -> tuple[Pool, str]:
        """The pool for ``url``'s origin, and the request target (path and query)."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (parts.scheme, parts.netloc, verify, cert)
        pool = self._pools.get(key)
        if pool is None:
            with self._lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = self._pools[key] = self._new(parts, verify, cert)
        return pool, target

    def _new(self, parts: SplitResult, verify: bool | str, cert: object) -> Pool:
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError("only http:// and https:// URLs with a host are sent")
        default = _DEFAULT_PORTS[parts.scheme]
        port = parts.port or default
        host = parts.hostname
        shown = f"[{host}]" if ":" in host else host
        context = tls_context(verify, cert) if parts.scheme == "https" else None
        return Pool(
            host,
            port,
            context,
            host_header=shown if port == default else f"{shown}:{port}",
            maxsize=self._maxsize,
        )

    def close(self) -> None:
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.close()


class Pool:
    """Idle keep-alive connections to one origin (at most ``maxsize`` kept)."""

    def __init__(
        self,
        host: str,
        port: int,
        context: ssl.SSLContext | None,
        *,
        host_header: str,
        maxsize: int = 16,
    ) -> None:
        self.host = host
        self.port = port
        self.host_header = host_header
        self._context = context
        self._maxsize = maxsize
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()

    def take(self) -> socket.socket | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def give(self, sock: socket.socket) -> None:
        with self._lock:
            if len(self._idle) < self._maxsize:
                self._idle.append(sock)
                return
        sock.close()

    def connect(self, deadline: float) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=left(deadline))
        except (PastDeadlineError, TimeoutError):
            raise
        except OSError:
            raise WireError("ConnectionError") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._context is not None:
                sock.settimeout(left(deadline))
                sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except ssl.SSLError as exc:
            sock.close()
            raise WireError(f"SSLError ({exc.reason or type(exc).__name__})") from None
        except BaseException:
            sock.close()
            raise
        return sock

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()


def request_bytes(
    method: str, target: str, host: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    """The request as it goes on the wire; header names and values must not break lines."""
    if _BAD_TARGET.search(target):
        raise ValueError("the request target has a space or a control character")
    lines = [f"{method} {target} HTTP/1.1\r\n"]
    seen = set()
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise ValueError(f"header {name[:40]!r} would break the request")
        seen.add(name.lower())
        lines.append(f"{name}: {value}\r\n")
    if "host" not in seen:
        lines.append(f"Host: {host}\r\n")
    framed = "content-length" in seen or "transfer-encoding" in seen
    if not framed and (body is not None or method in _BODY_METHODS):
        lines.append(f"Content-Length: {len(body or b'')}\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode("latin-1")
    return head + body if body else head


def exchange(
    pool: Pool, request: bytes, *, head_only: bool, deadline: float, max_body_bytes: int
) -> tuple[int, Headers, bytes]:
    """Send ``request`` and read its whole answer: (status, headers, body). Raises
    WireError, BodyTooLargeError or OSError; the connection is kept only after a whole answer."""
    for fresh in (False, True):
        sock = None if fresh else pool.take()
        reused = sock is not None
        if sock is None:
            sock = pool.connect(deadline)
        try:
            status, headers, body, keep = _attempt(
                sock, request, head_only, deadline, max_body_bytes, reused
            )
        except _StaleError:
            sock.close()
            continue
        except BaseException:
            sock.close()
            raise
        if keep:
            pool.give(sock)
        else:
            sock.close()
        return status, headers, body
    raise AssertionError("unreachable: the second try is on a new connection")


def _attempt(
    sock: socket.socket,
    request: bytes,
    head_only: bool,
    deadline: float,
    cap: int,
    reused: bool,
) -> tuple[int, Headers, bytes, bool]:
    reader = Reader(sock, deadline)
    try:
        sock.settimeout(left(deadline))
        sock.sendall(request)
        status, version, headers = reader.head()
    except (
        ConnectionResetError,
        BrokenPipeError,
        ConnectionAbortedError,
        ssl.SSLEOFError,
        ClosedError,
    ):
        if reused and reader.received == 0:
            raise _StaleError from None
        raise WireError("RemoteDisconnected") from None
    tokens = (headers.get("connection") or "").lower()
    keep = "close" not in tokens and (version == "HTTP/1.1" or "keep-alive" in tokens)
    if head_only or status in (204, 304):
        return status, headers, b"", keep
    framing = (headers.get("transfer-encoding") or "").lower()
    if framing:
        if framing.rsplit(",", 1)[-1].strip() == "chunked":
            raw = reader.chunked(cap)
        else:
            raw, keep = reader.until_close(cap), False
    else:
        declared = headers.get("content-length")
        if declared is None:
            raw, keep = reader.until_close(cap), False
        else:
            length = content_length(declared)
            if length > cap:
                raise BodyTooLargeError
            raw = reader.exactly(length)
    if reader.buffer:
        keep = False  # bytes past the answer: the connection's framing is not to be trusted
    return status, headers, decoded(raw, headers.get("content-encoding"), cap), keep
