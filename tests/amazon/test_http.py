"""The shared HTTP attempt layer against real loopback sockets: a total deadline per attempt
(a server dripping bytes cannot hold a call past it), body caps, and what counts as no answer.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from amazon_ext.amazon import http
from amazon_ext.amazon.errors import AmazonResponseError, AmazonServiceError
from amazon_ext.amazon.http import NoAnswerError
from amazon_ext.amazon.mws.client import MwsClient
from amazon_ext.amazon.pacing import LocalQuotaPacer, PacingPolicy
from tests.fixtures.amazon import make_amazon_seller
from tests.fixtures.loopback import LoopbackServer


class RawServer(LoopbackServer):
    """A one-behaviour TCP server: ``behave(conn)`` writes whatever bytes it likes."""

    def __init__(self, behave: Callable[[socket.socket], None]) -> None:
        self._behave = behave
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                _read_request(conn)
                self._behave(conn)
            except OSError:
                pass  # the client hung up: that is what several tests want


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        rest += conn.recv(65536)


def dripping(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(100_000):
        conn.sendall(b"x")
        time.sleep(0.02)  # far inside any per-read timeout


@pytest.fixture
def raw_server():
    servers: list[RawServer] = []

    def start(behave: Callable[[socket.socket], None]) -> RawServer:
        server = RawServer(behave)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_a_server_dripping_bytes_is_cut_off_at_the_total_deadline(raw_server):
    server = raw_server(dripping)
    session = http.new_session()
    started = time.monotonic()
    with pytest.raises(NoAnswerError) as caught:
        http.send(session, "GET", server.url, headers={}, deadline_seconds=0.5, what="ListOrders")
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 1.0
    assert caught.value.retryable is True
    assert "within the 0.5 s deadline" in str(caught.value)


def test_a_stalled_body_ends_at_the_deadline_not_a_fresh_read_timeout(raw_server):
    def stalls(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        time.sleep(3)

    server = raw_server(stalls)
    started = time.monotonic()
    with pytest.raises(NoAnswerError):
        http.send(http.new_session(), "GET", server.url, headers={}, deadline_seconds=0.4, what="x")
    assert time.monotonic() - started < 0.9


def test_a_body_cut_short_is_no_answer(raw_server):
    def truncates(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<ListOrdersResponse>")

    server = raw_server(truncates)
    with pytest.raises(NoAnswerError):
        http.send(http.new_session(), "GET", server.url, headers={}, what="ListOrders")


def test_nobody_listening_is_no_answer():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(NoAnswerError) as caught:
        http.send(
            http.new_session(), "GET", f"http://127.0.0.1:{port}/", headers={}, what="ListOrders"
        )
    assert "ConnectionError" in caught.value.detail


def test_a_declared_body_over_the_cap_is_refused_before_reading(raw_server):
    def huge(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n")
        time.sleep(1)

    server = raw_server(huge)
    started = time.monotonic()
    with pytest.raises(AmazonResponseError) as caught:
        http.send(
            http.new_session(),
            "GET",
            server.url,
            headers={},
            max_body_bytes=1024 * 1024,
            what="getOrders",
        )
    assert time.monotonic() - started < 0.5
    assert caught.value.code == "ResponseTooLarge"
    assert "larger than 1 MB" in str(caught.value)
    assert len(str(caught.value)) < 200


def test_a_chunked_body_over_the_cap_is_refused_while_streaming(raw_server):
    def endless(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"y" * 65536
        for _ in range(64):  # 4 MB, no Content-Length to check up front
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.sendall(b"0\r\n\r\n")

    server = raw_server(endless)
    with pytest.raises(AmazonResponseError, match="larger than 1 MB"):
        http.send(
            http.new_session(),
            "GET",
            server.url,
            headers={},
            max_body_bytes=1024 * 1024,
            what="getOrders",
        )


def test_a_chunked_body_within_the_cap_is_read_whole(raw_server):
    def chunked(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Id: 7\r\n\r\n")
        for part in (b"hello ", b"amazon"):
            conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        conn.sendall(b"0\r\n\r\n")

    server = raw_server(chunked)
    answer = http.send(http.new_session(), "GET", server.url, headers={}, what="x")
    assert (answer.status, answer.body, answer.headers["X-Id"]) == (200, b"hello amazon", "7")


def test_the_page_cap_is_generous_and_documented():
    assert http.MAX_PAGE_BYTES == 50 * 1024 * 1024
    assert http.MAX_SMALL_BODY_BYTES == 1024 * 1024


def mws_client_at(url: str, *, timeout: float) -> MwsClient:
    """An MWS client of a made-up seller sending to ``url`` (pacing at time scale 1000)."""
    seller = make_amazon_seller()
    return MwsClient(
        seller_id=seller.seller_id,
        access_key=seller.access_key,
        secret_key=seller.secret_key,
        mws_auth_token=seller.mws_auth_token,
        marketplace_ids=seller.marketplace_ids,
        pacer=LocalQuotaPacer(PacingPolicy(time_scale=1000)),
        endpoint_override=url,
        time_scale=1000,
        timeout=timeout,
    )


def test_mws_client_retries_a_dripping_server_within_its_budget_then_fails(raw_server):
    """Each attempt is cut off at the 0.3 s deadline; the 4 retries of the MWS policy follow
    (1/4/10/30 ms at time scale 1000), then the seller sees a retryable service error."""
    server = raw_server(dripping)
    client = mws_client_at(server.url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(AmazonServiceError) as caught:
        client.service_status()
    assert time.monotonic() - started < 5 * 0.3 + 1.0
    assert client.stats.calls["GetServiceStatus"] == 5
    assert client.stats.retries == 4
    assert caught.value.retryable is True
    assert "no answer" in str(caught.value)
