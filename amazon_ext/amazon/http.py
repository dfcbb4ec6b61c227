"""One HTTP attempt to Amazon, shared by the MWS and SP-API transports and the LWA client.

What every Amazon call needs and no API does differently:

* a keep-alive ``requests`` Session with a connection pool, proxies and CA bundle read once
  (requests re-scans os.environ on every call otherwise, ~15 % of a call's client time);
* a **total** deadline per attempt (settings.AMAZON_HTTP_TIMEOUT, 30 s): connect, headers and
  body together. requests' own timeout bounds each socket read, so a server dripping one
  byte at a time could hold a call for hours; here the body is streamed and the monotonic
  deadline checked between reads, each read waiting at most the time left;
* a cap on the body size (:data:`MAX_PAGE_BYTES` for list pages, :data:`MAX_SMALL_BODY_BYTES`
  for tokens and status answers): a larger answer is not a page, and is refused with
  AmazonResponseError before it fills the worker's memory;
* one classification of failures: no answer (refused, reset, timed out, cut short, past the
  deadline) is :class:`NoAnswerError`, which the transports retry; everything that came back is an
  :class:`HttpAnswer` for the API's own table to classify.

A session from :func:`new_session` sends a bodied (bytes) or empty request without proxies
on :mod:`amazon_ext.amazon.wire`'s lean keep-alive connections, where connect, headers and
body are all inside the one deadline. Anything else (proxies, form mappings) goes through
requests; there the status line and headers are read by http.client with the per-read
timeout (the time left when the request was sent), so a server dripping *headers* is
bounded by that per byte; bodies, where the size is, are bounded in total.
"""

from __future__ import annotations

import os
import platform
import re
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

import requests
import urllib3
from requests.adapters import HTTPAdapter

from amazon_ext.amazon import wire
from amazon_ext.amazon.errors import AmazonResponseError, AmazonServiceError

MAX_PAGE_BYTES = 50 * 1024 * 1024  # one list page; 100 real orders are well under 1 MB
MAX_SMALL_BODY_BYTES = 1024 * 1024  # tokens, service status, single small documents
READ_CHUNK_BYTES = 64 * 1024
DEFAULT_DEADLINE_SECONDS = 30.0
_WIRE_POOLS = "_amazon_wire_pools"  # a new_session()'s lean-path connections

_NO_ANSWER = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.HTTPError,
    OSError,
)


class NoAnswerError(AmazonServiceError):
    """The attempt got no complete answer; ``detail`` says how (for logs and the final
    error). Retryable: the transports try again within their policy."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"no answer ({detail})", code="NoAnswerError")
        self.detail = detail


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """Whatever came back, read completely within the deadline and the size cap."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    seconds: float


def user_agent(app_name: str) -> str:
    """``AppName/1.0 (Language=Python/3.x; Platform=…)``, Amazon's User-Agent form (MWS
    DG_UserAgentHeader, SP-API "Include a User-Agent header"); no parentheses or slashes
    inside the parts."""
    name = re.sub(r"[()/\\;=]", "", app_name).strip() or "AmazonZohoSync"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = re.sub(r"[()\\;=]", "", f"{platform.system()}/{platform.machine()}")
    return f"{name}/1.0 (Language=Python/{python}; Platform={system})"


def new_session(base_url: str = "") -> requests.Session:
    """A pooled keep-alive session; proxy and CA-bundle environment read once, here."""
    session = requests.Session()
    session.proxies = requests.utils.get_environ_proxies(base_url) if base_url else {}
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE", True)
    session.trust_env = False
    adapter = _Adapter(wire.Pools(maxsize=16))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.__dict__[_WIRE_POOLS] = adapter.pools
    return session


class _Adapter(HTTPAdapter):
    """requests' adapter (for proxied and form-mapping requests) that also owns the lean
    path's keep-alive connections, so closing the session closes those too."""

    def __init__(self, pools: wire.Pools) -> None:
        super().__init__(pool_connections=2, pool_maxsize=16, max_retries=0)
        self.pools = pools

    def close(self) -> None:
        super().close()
        self.pools.close()


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    data: bytes | str | Mapping[str, str] | None = None,
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    max_body_bytes: int = MAX_PAGE_BYTES,
    what: str,
) -> HttpAnswer:
    """One attempt: the whole answer within ``deadline_seconds`` and ``max_body_bytes``.

    Raises :class:`NoAnswerError` when nothing complete came back in time (the caller may retry)
    and AmazonResponseError when the body is larger than the cap (``what`` names the call).
    """
    started = time.monotonic()
    deadline = started + deadline_seconds
    pools = session.__dict__.get(_WIRE_POOLS)
    if pools is not None and not session.proxies and (data is None or isinstance(data, bytes)):
        return _send_lean(
            session,
            pools,
            method,
            url,
            headers,
            data,
            started,
            deadline_seconds,
            max_body_bytes,
            what,
        )
    try:
        response = session.request(
            method,
            url,
            data=data,
            headers=dict(headers),
            timeout=deadline_seconds,
            stream=True,
            allow_redirects=False,
        )
    except _NO_ANSWER as exc:
        raise _no_answer(exc, deadline, deadline_seconds) from None
    try:
        body = _read_body(
            response.raw, response.headers, deadline, deadline_seconds, max_body_bytes, what
        )
    finally:
        response.close()
    return HttpAnswer(
        status=response.status_code,
        headers=response.headers,
        body=body,
        seconds=time.monotonic() - started,
    )


def _send_lean(
    session: requests.Session,
    pools: wire.Pools,
    method: str,
    url: str,
    headers: Mapping[str, str],
    data: bytes | None,
    started: float,
    deadline_seconds: float,
    max_body_bytes: int,
    what: str,
) -> HttpAnswer:
    """The same attempt on :mod:`amazon_ext.amazon.wire`'s keep-alive connections:
    requests' per-call work (preparing the request, cookies, hooks, environment merging)
    and urllib3/http.client's per-answer objects and email-package header parser were
    most of a call's client CPU, and none of it applies to a bodied POST/GET without
    proxies. The session's TLS settings (``verify``, ``cert``) and default headers apply."""
    deadline = started + deadline_seconds
    pool, target = pools.for_url(url, session.verify, session.cert)
    merged = {name.lower(): (name, value) for name, value in session.headers.items() if value}
    for name, value in headers.items():
        merged[name.lower()] = (name, value)
    request = wire.request_bytes(method, target, pool.host_header, dict(merged.values()), data)
    try:
        status, answer_headers, body = wire.exchange(
            pool,
            request,
            head_only=method == "HEAD",
            deadline=deadline,
            max_body_bytes=max_body_bytes,
        )
    except wire.BodyTooLargeError:
        raise _too_large(what, max_body_bytes) from None
    except (wire.WireError, OSError) as exc:
        raise _no_answer(exc, deadline, deadline_seconds) from None
    return HttpAnswer(
        status=status, headers=answer_headers, body=body, seconds=time.monotonic() - started
    )


def _no_answer(exc: BaseException, deadline: float, seconds: float) -> NoAnswerError:
    if time.monotonic() >= deadline - 0.005:
        return NoAnswerError(f"no complete answer within the {seconds:g} s deadline")
    return NoAnswerError(getattr(exc, "detail", None) or type(exc).__name__)


def _read_body(
    raw: urllib3.BaseHTTPResponse,
    headers: Mapping[str, str],
    deadline: float,
    seconds: float,
    max_body_bytes: int,
    what: str,
) -> bytes:
    declared = headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_body_bytes:
        raise _too_large(what, max_body_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoAnswerError(f"no complete answer within the {seconds:g} s deadline")
            _limit_next_read(raw, left)
            chunk = raw.read1(READ_CHUNK_BYTES, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > max_body_bytes:
                raise _too_large(what, max_body_bytes)
            chunks.append(chunk)
    except (NoAnswerError, AmazonResponseError):
        raise
    except _NO_ANSWER as exc:
        raise _no_answer(exc, deadline, seconds) from None


def _limit_next_read(raw: urllib3.HTTPResponse, seconds: float) -> None:
    """Let the next socket read wait at most ``seconds`` (the time left), so one stalled
    read cannot outlast the deadline either."""
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(max(seconds, 0.001))


def _too_large(what: str, max_body_bytes: int) -> AmazonResponseError:
    return AmazonResponseError(
        f"Amazon's {what} answer is larger than {max_body_bytes // (1024 * 1024)} MB; "
        "nothing from it was saved.",
        code="ResponseTooLarge",
    )
