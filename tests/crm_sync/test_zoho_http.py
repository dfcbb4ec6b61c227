"""``crm_sync.zoho.http``: a Zoho call straight on the urllib3 pool sends what ``requests``
sends for the same call (request line, query, headers, body), keeps its connection alive,
and leaves proxies and redirects to ``requests``. Over real HTTP on loopback."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from crm_sync.zoho import http
from crm_sync.zoho.answers import response_json


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Zoho's servers

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            {
                "line": self.requestline,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
                "connection": id(self.connection),
            }
        )
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "/crm/v8/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        out = b"not json" if self.path.startswith("/text") else json.dumps({"data": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-API-CREDITS-REMAINING", "4321")
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 (http.server names)

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def _server() -> Iterator[tuple[str, list[dict]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.daemon_threads = True
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


CALLS = [
    ("POST", "/crm/v8/Products/upsert", None, {"data": [{"Name": "Bottle é", "Unit_Price": 9.5}]}),
    ("PUT", "/crm/v8/Sales_Orders", None, {"data": [{"id": "1", "Status": "Delivered"}]}),
    ("GET", "/crm/v8/Products", {"fields": "A,B", "page": 2, "page_token": None}, None),
    ("GET", "/crm/v8/users", {"type": ["AdminUsers", "ActiveUsers"], "per_page": 200}, None),
    ("DELETE", "/crm/v8/Products", {"ids": "1,2"}, None),
]


@pytest.mark.parametrize(("method", "path", "params", "body"), CALLS)
def test_a_pooled_call_sends_what_requests_sends(method, path, params, body):
    headers = {"Authorization": "Zoho-oauthtoken 1000.test"}
    with _server() as (base, seen):
        with requests.Session() as session:
            ours = http.request(
                session,
                method,
                base + path,
                params=params,
                json_body=body,
                headers=headers,
                timeout=5,
            )
        with requests.Session() as session:
            theirs = session.request(
                method, base + path, params=params, json=body, headers=headers, timeout=5
            )
    assert isinstance(ours, http.Answer)
    mine, reference = seen
    assert mine["line"] == reference["line"]
    assert mine["body"] == reference["body"]
    # requests sends Content-Length: 0 on a bodiless DELETE; nothing else differs.
    if method == "DELETE":
        reference["headers"].pop("content-length", None)
    assert mine["headers"] == reference["headers"]
    assert ours.status_code == theirs.status_code == 200
    assert ours.headers.get("x-api-credits-remaining") == "4321"
    assert ours.json() == theirs.json() == {"data": []}


def get(session: requests.Session, url: str):
    """A plain GET through the Zoho client's HTTP call."""
    return http.request(session, "GET", url, params=None, json_body=None, headers={}, timeout=5)


def test_calls_share_one_kept_alive_connection():
    with _server() as (base, seen), requests.Session() as session:
        for _ in range(3):
            answer = get(session, base + "/crm/v8/org")
            assert answer.status_code == 200
    assert len(seen) == 3
    assert len({entry["connection"] for entry in seen}) == 1


def test_a_body_that_is_not_json_reads_as_none():
    with _server() as (base, _), requests.Session() as session:
        answer = get(session, base + "/text")
    assert answer.content == b"not json"
    assert response_json(answer) is None


def test_a_redirect_is_followed_the_requests_way():
    with _server() as (base, seen), requests.Session() as session:
        answer = get(session, base + "/moved")
    assert isinstance(answer, requests.Response)
    assert answer.status_code == 200
    assert [entry["line"].split()[1] for entry in seen] == [
        "/moved",
        "/moved",
        "/crm/v8/elsewhere",
    ]


def test_a_proxy_in_the_environment_goes_the_requests_way(monkeypatch):
    with _server() as (proxy, seen), requests.Session() as session:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        answer = get(session, "http://www.zohoapis.invalid/crm/v8/org")
    assert isinstance(answer, requests.Response)
    assert answer.status_code == 200
    # The proxy (our loopback recorder) was asked for the absolute URL.
    assert seen[0]["line"].split()[1] == "http://www.zohoapis.invalid/crm/v8/org"


def test_no_answer_is_a_requests_error():
    with _server() as (base, _):
        pass  # the port is closed again
    with requests.Session() as session, pytest.raises(requests.ConnectionError):
        get(session, base + "/crm/v8/org")
