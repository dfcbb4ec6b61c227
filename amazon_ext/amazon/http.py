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

Limitation: the status line and headers are read by http.client with the per-read timeout
(the time left when the request was sent); a server dripping *headers* is bounded by that
per byte. Bodies, where the size is, are bounded in total.
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
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from amazon_ext.amazon.errors import AmazonResponseError, AmazonServiceError

MAX_PAGE_BYTES = 50 * 1024 * 1024  # one list page; 100 real orders are well under 1 MB
MAX_SMALL_BODY_BYTES = 1024 * 1024  # tokens, service status, single small documents
READ_CHUNK_BYTES = 64 * 1024
DEFAULT_DEADLINE_SECONDS = 30.0

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
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=16, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


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
    if not session.proxies and (data is None or isinstance(data, bytes)):
        return _send_pooled(
            session, method, url, headers, data, started, deadline_seconds, max_body_bytes, what
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


def _send_pooled(
    session: requests.Session,
    method: str,
    url: str,
    headers: Mapping[str, str],
    data: bytes | None,
    started: float,
    deadline_seconds: float,
    max_body_bytes: int,
    what: str,
) -> HttpAnswer:
    """The same attempt straight on the session's urllib3 pool: requests' per-call work
    (preparing the request, cookies, hooks, the CA bundle's stat, environment merging) was
    a fifth of a sync's CPU, and none of it applies to a bodied POST/GET without proxies.
    The session's TLS settings and default headers still apply; a fully read connection
    goes back to the pool (keep-alive) instead of being closed."""
    deadline = started + deadline_seconds
    pool, path = _pool_for(session, url)
    try:
        raw = pool.urlopen(
            method,
            path,
            body=data,
            headers={**session.headers, **headers},
            timeout=urllib3.Timeout(connect=deadline_seconds, read=deadline_seconds),
            retries=False,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
        )
    except _NO_ANSWER as exc:
        raise _no_answer(exc, deadline, deadline_seconds) from None
    complete = False
    try:
        body = _read_body(raw, raw.headers, deadline, deadline_seconds, max_body_bytes, what)
        complete = True
    finally:
        if complete:
            raw.release_conn()
        else:
            raw.close()
    return HttpAnswer(
        status=raw.status, headers=raw.headers, body=body, seconds=time.monotonic() - started
    )


def _pool_for(session: requests.Session, url: str) -> tuple[urllib3.HTTPConnectionPool, str]:
    """The connection pool requests would pick for ``url`` (its TLS verification and CA
    bundle included), worked out once per session and origin; and the request target."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    origin = (parts.scheme, parts.netloc)
    cache = session.__dict__.setdefault("_amazon_pools", {})
    pool = cache.get(origin)
    if pool is None:
        adapter = session.get_adapter(url)
        prepared = requests.Request(method="GET", url=url).prepare()
        host, pool_kwargs = adapter.build_connection_pool_key_attributes(
            prepared, session.verify, session.cert
        )
        pool = cache[origin] = adapter.poolmanager.connection_from_host(
            **host, pool_kwargs=pool_kwargs
        )
    return pool, target


def _no_answer(exc: BaseException, deadline: float, seconds: float) -> NoAnswerError:
    if time.monotonic() >= deadline - 0.005:
        return NoAnswerError(f"no complete answer within the {seconds:g} s deadline")
    return NoAnswerError(type(exc).__name__)


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
