"""One HTTP request to Zoho's API, straight on the session's urllib3 connection pool.

``requests`` redoes per call what a run's hundreds of Zoho calls share: preparing the
request, cookies, hooks, merging the environment's proxies and CA bundle (a stat of the
bundle per call), building a Response. Here the environment is read once per session and
base URL, and a call without proxies goes to the same pool ``requests`` would pick (its TLS
verification and CA bundle included), with the same headers, body, query and timeouts. A
call through a proxy, or answered with a redirect, goes the ``requests`` way (which follows
redirects), so nothing is lost for the uncommon cases. Network errors are
``requests.RequestException`` either way, as the transport expects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3

_NO_ANSWER = (urllib3.exceptions.HTTPError, OSError)


class Answer:
    """What ``requests.Response`` offers the transport and ``answers``: status, headers,
    body bytes, JSON."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.content)


Response = Answer | requests.Response  # what ``request`` gives


def request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None,
    json_body: Any,
    headers: Mapping[str, str],
    timeout: float,
) -> Response:
    """One request as ``session.request(method, url, params=, json=, headers=, timeout=)``
    sends it; raises ``requests.RequestException`` when no answer came."""
    pool = _pool(session, url)
    if pool is None:
        return _by_requests(session, method, url, params, json_body, headers, timeout)
    parts = urlsplit(url)
    target = parts.path or "/"
    query = _query(params)
    if parts.query or query:
        target += "?" + "&".join(filter(None, [parts.query, query]))
    sent = {**session.headers, **headers}
    body = None
    if json_body is not None:
        # requests' json= body: compact-less json.dumps, no NaN, UTF-8.
        body = json.dumps(json_body, allow_nan=False).encode("utf-8")
        sent["Content-Type"] = "application/json"
    try:
        raw = pool.urlopen(
            method,
            target,
            body=body,
            headers=sent,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            redirect=False,
            assert_same_host=False,
            preload_content=True,
            decode_content=True,
        )
    except _NO_ANSWER as exc:
        raise _as_requests_error(exc) from None
    if 300 <= raw.status < 400 and raw.headers.get("Location"):
        return _by_requests(session, method, url, params, json_body, headers, timeout)
    return Answer(raw.status, raw.headers, raw.data)


def _as_requests_error(exc: BaseException) -> requests.RequestException:
    """The error ``requests`` raises for the same failure (its name is logged)."""
    errors = urllib3.exceptions
    if isinstance(exc, errors.ConnectTimeoutError):
        return requests.ConnectTimeout(str(exc))
    if isinstance(exc, errors.ReadTimeoutError):
        return requests.ReadTimeout(str(exc))
    if isinstance(exc, errors.SSLError):
        return requests.exceptions.SSLError(str(exc))
    return requests.ConnectionError(str(exc))


def _query(params: Mapping[str, Any] | None) -> str:
    """``params`` encoded as requests encodes them (None values left out, lists repeated)."""
    if not params:
        return ""
    pairs = []
    for key, values in params.items():
        if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
            values = [values]
        pairs.extend((key, value) for value in values if value is not None)
    return urlencode(pairs, doseq=True)


def _by_requests(session, method, url, params, json_body, headers, timeout) -> requests.Response:
    return session.request(
        method, url, params=params, json=json_body, headers=dict(headers), timeout=timeout
    )


def _pool(session: requests.Session, url: str) -> urllib3.HTTPConnectionPool | None:
    """The pool ``requests`` would send ``url`` to, with the environment's CA bundle
    (read once per session and origin); None when a proxy applies."""
    parts = urlsplit(url)
    origin = (parts.scheme, parts.netloc)
    cache = session.__dict__.setdefault("_zoho_pools", {})
    if origin not in cache:
        settings = session.merge_environment_settings(url, {}, None, None, None)
        if settings["proxies"] and requests.utils.select_proxy(url, settings["proxies"]):
            cache[origin] = None
        else:
            adapter = session.get_adapter(url)
            prepared = requests.Request(method="GET", url=url).prepare()
            host, pool_kwargs = adapter.build_connection_pool_key_attributes(
                prepared, settings["verify"], settings["cert"]
            )
            cache[origin] = adapter.poolmanager.connection_from_host(
                **host, pool_kwargs=pool_kwargs
            )
    return cache[origin]
