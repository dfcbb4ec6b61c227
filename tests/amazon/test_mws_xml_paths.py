"""The two ways an MWS answer is parsed: plain UTF-8 documents by the C parser, anything
with a markup declaration or another encoding by defusedxml (DTDs forbidden); both give the
same orders."""

from __future__ import annotations

from pathlib import Path

import pytest

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.mws import parsing, xmldoc

FIXTURES = Path(__file__).parent / "fixtures"


def _orders(body: bytes):
    return parsing.parse_orders(body, action="ListOrders", request_id="r")


def test_a_plain_page_takes_the_c_parser_and_reads_like_defusedxml():
    body = (FIXTURES / "list_orders.xml").read_bytes()
    assert xmldoc._plain(body)
    fast = _orders(body)
    # The same page in UTF-16 (with its BOM) is read by defusedxml.
    utf16_body = body.decode("utf-8").encode("utf-16")
    assert not xmldoc._plain(utf16_body)
    assert _orders(utf16_body).orders == fast.orders
    assert len(fast.orders) == 3


@pytest.mark.parametrize(
    "prolog",
    [
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n',
        b"<!DOCTYPE x SYSTEM 'http://127.0.0.1:9/x.dtd'>\n",
        b'<?xml version="1.0"?><!doctype x>',
        b'<?xml version="1.0" encoding="cp037"?>',
        b"\xff\xfe",
    ],
)
def test_anything_with_a_declaration_or_another_encoding_goes_to_defusedxml(prolog):
    assert not xmldoc._plain(prolog + b"<ListOrdersResponse/>")


def test_a_dtd_is_refused_on_either_path():
    with pytest.raises(AmazonResponseError, match="not well-formed|DTD"):
        _orders((FIXTURES / "entity_expansion.xml").read_bytes())
    hidden = (
        b'<?xml version="1.0" encoding="utf-8"?><!-- a comment first -->'
        b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>'
    )
    assert not xmldoc._plain(hidden)
    with pytest.raises(AmazonResponseError, match="not well-formed"):
        _orders(hidden)


def test_an_undeclared_entity_on_the_c_path_is_not_well_formed():
    body = b'<?xml version="1.0"?><ListOrdersResponse>&e;</ListOrdersResponse>'
    assert xmldoc._plain(body)
    with pytest.raises(AmazonResponseError, match="not well-formed"):
        _orders(body)
