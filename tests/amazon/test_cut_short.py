"""Issue 15: an answer cut short by the network is a retryable transport failure (the call
is asked again), never a garbled answer that quarantines orders. Cuts the HTTP framing shows
(Content-Length not reached, chunked body without its last chunk) and cuts it cannot show
(a body delimited by the connection closing) — on a loopback server and on the stand-in."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from amazon_ext.amazon.complete import CutShortError, json_cut_short, xml_cut_short
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.mws import parsing as mws_parsing
from amazon_ext.amazon.spapi import parsing as v0_parsing
from amazon_ext.amazon.spapi import parsing_v2026
from tests.amazon.test_http import mws_client_at, raw_server  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"
STATUS_XML = (FIXTURES / "get_service_status.xml").read_bytes()


def amazon_json(name: str) -> bytes:
    return json.dumps(json.loads((FIXTURES / name).read_text())["body"], indent=1).encode()


@pytest.mark.parametrize("name", ["list_orders.xml", "list_order_items.xml"])
def test_every_cut_of_an_mws_answer_is_seen(name):
    body = (FIXTURES / name).read_bytes()
    assert not xml_cut_short(body)
    end = len(body.rstrip())
    for cut in range(1, end):
        assert xml_cut_short(body[:cut]), cut


@pytest.mark.parametrize(
    ("name", "parse"),
    [
        ("spapi_2026/search_orders_example.json", parsing_v2026.parse_search_orders),
        ("spapi/get_orders_sandbox_200.json", v0_parsing.parse_orders),
    ],
)
def test_every_cut_of_an_sp_api_answer_is_seen_or_read_as_cut(name, parse):
    body = amazon_json(name)
    assert not json_cut_short(body)
    parse(body)
    end = len(body.rstrip())
    for cut in range(1, end):
        if json_cut_short(body[:cut]):
            continue
        with pytest.raises(CutShortError):  # ends on an inner "}": the parser sees the cut
            parse(body[:cut])
    assert CutShortError("x").retryable and not isinstance(CutShortError("x"), AmazonResponseError)


def test_a_complete_but_garbled_answer_is_still_refused_as_garbled():
    body = (FIXTURES / "list_orders.xml").read_bytes().replace(b"<Orders>", b"<Orders><", 1)
    assert not xml_cut_short(body)
    with pytest.raises(AmazonResponseError):
        mws_parsing.parse_orders(body, action="ListOrders")
    with pytest.raises(AmazonResponseError, match="not JSON"):
        parsing_v2026.parse_search_orders(b'{"orders": [}')


def _answer_once_cut(cut) -> callable:
    answered = []

    def behave(conn: socket.socket) -> None:
        if not answered:
            answered.append(1)
            conn.sendall(cut)
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n"
            + f"Content-Length: {len(STATUS_XML)}\r\n\r\n".encode()
            + STATUS_XML
        )

    return behave


HALF = STATUS_XML[: len(STATUS_XML) // 2]


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + HALF, id="close-delimited"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(STATUS_XML) + HALF,
            id="content-length",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(HALF) + HALF,
            id="chunked",
        ),
    ],
)
def test_the_mws_client_asks_again_after_a_cut_answer(raw_server, cut):  # noqa: F811
    server = raw_server(_answer_once_cut(cut))
    client = mws_client_at(server.url, timeout=2)
    assert client.service_status()
    assert client.stats.calls["GetServiceStatus"] == 2 and client.stats.retries == 1


def test_a_cut_lwa_token_answer_is_asked_again(raw_server, settings):  # noqa: F811
    from amazon_ext.amazon.spapi.lwa_endpoint import post_token

    settings.AMAZON_QUOTA_TIME_SCALE = 1000
    token = b'{"access_token": "Atza|sandbox", "token_type": "bearer", "expires_in": 3600}'
    answers = [token[:20], token]

    def behave(conn: socket.socket) -> None:
        body = answers.pop(0)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    server = raw_server(behave)
    answer = post_token(
        {"grant_type": "refresh_token"}, token_url=server.url, secrets=(), what="refresh"
    )
    assert answer["access_token"] == "Atza|sandbox"
    assert server.connections == 2


@pytest.mark.parametrize(
    ("body", "cut"),
    [
        (b"<a>x</a>", False),
        (b"<a>x</a >\n", False),
        (b"<a>x</a\x0b>", False),
        (b"<a>x</a" + b" " * 61 + b">", False),
        (b"<a>x</a" + b" " * 70 + b">", True),  # only the last len(name) + 64 bytes are read
        (b"<a>x</ a>", True),
        (b"<a>x</ab>", True),
        (b"<ab>x</b>", True),
        (b"<a>x</a>>", True),
        (b"<a/>", False),
    ],
)
def test_the_end_tag_check_without_a_regex_per_answer(body, cut):
    assert xml_cut_short(body) is cut
