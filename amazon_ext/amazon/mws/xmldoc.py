"""Reading one untrusted MWS XML answer: safe parsing, the document and its API version,
namespace-aware lookups, and ``ErrorResponse`` bodies.

Untrusted XML goes through defusedxml with DTDs forbidden (no entity expansion, no external
references). The document element must be the expected ``<{Action}Response>`` *in one of the
namespaces of the API version we asked for*: an answer of another version (``…/Orders/2009-01-01``,
a Sellers document for an Orders call, no namespace at all) has other elements with other
meanings and is refused, not read as Orders 2013-09-01. Every lookup then uses the document
element's namespace; an element in another namespace is not ours.

Failures raise :class:`AmazonResponseError` carrying the RequestId, so the caller writes
nothing from the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.values import UnreadableValueError, clip, quote

T = TypeVar("T")

ORDERS_NS = "https://mws.amazonservices.com/Orders/2013-09-01"
# Amazon's own ListOrderItems samples (Orders_Datatypes) still carry the 2011-01-01 namespace;
# the item elements are the same, so items answers may use it too.
ORDERS_LEGACY_NS = "https://mws.amazonservices.com/Orders/2011-01-01"
SELLERS_NS = "https://mws.amazonservices.com/Sellers/2011-07-01"


@dataclass(frozen=True, slots=True)
class MwsErrorBody:
    """The parts of an ``ErrorResponse`` the client acts on; empty strings when absent."""

    type: str
    code: str
    message: str
    request_id: str | None


class Doc:
    """The parsed document plus what an error message needs (RequestId, what it is)."""

    __slots__ = ("ns", "request_id", "root", "what")

    def __init__(self, root: Element, request_id: str | None, what: str) -> None:
        self.root = root
        self.ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        self.request_id = request_id
        self.what = what

    def fail(self, detail: str) -> AmazonResponseError:
        error = AmazonResponseError(
            f"Amazon sent a {self.what} response we cannot read: {detail}. "
            "Nothing from it was saved.",
            code="MalformedResponse",
            request_id=self.request_id,
        )
        error.detail = detail  # what an order quarantined for it records
        return error

    def child(self, parent: Element, name: str) -> Element | None:
        return parent.find(self.ns + name)

    def children(self, parent: Element, name: str) -> list[Element]:
        return parent.findall(self.ns + name)

    def text(self, parent: Element, name: str) -> str | None:
        # findtext: None when there is no such child, "" when it has no text.
        value = parent.findtext(self.ns + name)
        return (value.strip() or None) if value else None

    def required(self, parent: Element, name: str, where: str) -> str:
        value = self.text(parent, name)
        if value is None:
            raise self.fail(f"{where} has no {name}")
        return value

    def convert(self, value: str | None, convert: Callable[..., T], name: str) -> T | None:
        """``convert(value, name=name)`` (an amazon_ext.amazon.values parser), or None for a
        missing value; an unreadable one fails the document."""
        if value is None:
            return None
        try:
            return convert(value, name=name)
        except UnreadableValueError as exc:
            raise self.fail(str(exc)) from None

    def result(self, name: str) -> Element:
        result = self.child(self.root, name)
        if result is None:
            raise self.fail(f"no <{name}>")
        return result


# A markup declaration other than a comment or CDATA section (<!DOCTYPE, <!ENTITY…, in any
# case), and the XML declaration's encoding.
_DECLARATION = re.compile(rb"<!(?!--|\[CDATA\[)")
_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ASCII_ENCODINGS = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})


def _plain(body: bytes) -> bool:
    """A document the C parser may read as it is: in UTF-8 (or ASCII) with no markup
    declaration at all. Entities can only be declared in a DTD, so without one there is
    nothing to expand and nothing external to fetch: what defusedxml's forbid_dtd guards
    against cannot occur. Any other document (a DTD, UTF-16, another declared encoding in
    which those bytes could be spelt differently) goes through defusedxml."""
    if not isinstance(body, bytes) or b"\x00" in body[:4] or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    declared = _ENCODING.match(body.removeprefix(b"\xef\xbb\xbf"))
    if declared is not None and declared.group(1).lower() not in _ASCII_ENCODINGS:
        return False
    return _DECLARATION.search(body) is None


def parse_xml(body: bytes, *, request_id: str | None, what: str) -> Element:
    """Parse untrusted XML safely; anything unreadable becomes AmazonResponseError. A plain
    UTF-8 document (``_plain``: no DTD) is read by the C parser, a third of the time of
    defusedxml's pure-Python one; the rest by defusedxml with DTDs forbidden."""
    try:
        if _plain(body):
            return ET.fromstring(body)  # noqa: S314 (no DTD: see _plain)
        return SafeET.fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise AmazonResponseError(
            f"Amazon sent a {what} response that is not well-formed XML ({type(exc).__name__}). "
            "Nothing from it was saved.",
            code="MalformedResponse",
            request_id=request_id,
        ) from None


def open_document(
    body: bytes, *, root: str, namespaces: Collection[str], request_id: str | None
) -> Doc:
    """The ``<root>`` document in one of ``namespaces``, with its RequestId."""
    what = root.removesuffix("Response")
    element = parse_xml(body, request_id=request_id, what=what)
    doc = Doc(element, request_id, what)
    if local_name(element.tag) != root:
        raise doc.fail(f"expected <{root}>, got <{clip(local_name(element.tag), 60)}>")
    if doc.ns.strip("{}") not in namespaces:
        raise doc.fail(
            f"it is in namespace {quote(doc.ns.strip('{}') or 'none', 120)}, "
            f"not {' or '.join(sorted(namespaces))}"
        )
    if doc.request_id is None:
        meta = doc.child(element, "ResponseMetadata")
        if meta is not None:
            doc.request_id = doc.text(meta, "RequestId") or doc.text(meta, "RequestID")
    return doc


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_error(body: bytes, *, request_id: str | None = None) -> MwsErrorBody:
    """Read an ``ErrorResponse`` (RequestId or RequestID, any namespace); never raises.

    Error bodies come from several front ends, so elements are matched by local name.
    """
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException):
        return MwsErrorBody(type="", code="", message="", request_id=request_id)
    found: dict[str, str] = {}
    for el in root.iter():
        name = local_name(el.tag)
        if name in ("Type", "Code", "Message", "RequestId", "RequestID") and name not in found:
            found[name] = (el.text or "").strip()
    return MwsErrorBody(
        type=clip(found.get("Type", "")),
        code=clip(found.get("Code", "")),
        message=clip(found.get("Message", "")),
        request_id=request_id or found.get("RequestId") or found.get("RequestID") or None,
    )
