"""Is an answer's document whole? A body cut short in transit is retried, not read.

A cut body whose HTTP framing shows it (a Content-Length not reached, a chunked body without
its last chunk) already fails in :mod:`amazon_ext.amazon.http` as no answer. But a body
delimited by the connection closing, or cut by a proxy that rewrote the framing, arrives
"complete" and ends inside the document. Read as it is, that would make a whole page (or the
one order of a getOrder) unreadable and quarantine orders that are fine at Amazon. So a
200 answer whose document does not end where it must is a transient failure:

* JSON (SP-API): every answer is one object, so it ends with ``}``;
* XML (MWS): the document ends with the end tag of its root element.

A cut that happens to fall right after an inner ``}`` passes this check; the JSON readers
then find the document ending early (the parse error is at its very end) and raise
:class:`CutShortError`, retryable too. A complete document with hostile content is not
touched here: its parser quarantines the one order it cannot read.
"""

from __future__ import annotations

import re

from amazon_ext.amazon.errors import AmazonServiceError

_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_XML_PROLOGUE = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.DOTALL)
_WHITESPACE = b" \t\r\n"
_REGEX_SPACE = b" \t\n\r\f\v"  # what \s matches in a bytes pattern


class CutShortError(AmazonServiceError):
    """Amazon's answer ended before its document did (cut in transit); try again."""

    def __init__(self, what: str, *, request_id: str | None = None) -> None:
        super().__init__(
            f"Amazon's {what} answer was cut short in transit; it will be asked again.",
            code="AnswerCutShort",
            request_id=request_id,
        )


def json_cut_short(body: bytes) -> bool:
    """True if a JSON object answer visibly ends early (an empty body is no document)."""
    first, last = _first(body, 0), _last(body)
    return last >= 0 and body[first : first + 1] == b"{" and body[last : last + 1] != b"}"


def xml_cut_short(body: bytes) -> bool:
    """True if an XML answer does not end with its root element's end tag."""
    position = 0
    while match := _XML_PROLOGUE.match(body, position):
        if match.end() == position:
            break
        position = match.end()
    start = _first(body, position)
    root = _XML_ROOT.match(body, start)
    if root is None:
        # Cut inside the prologue, or not XML at all (then the parser says so).
        return body[_first(body, 0) : _first(body, 0) + 1] == b"<"
    end = _last(body) + 1
    if body[end - 2 : end] == b"/>" and body.count(b"<", start) == 1:
        return False  # a lone empty root element
    name = root.group(1)
    # Only the end (pages can be 50 MB): it must be ``</name>``, whitespace allowed before
    # the ``>``, within the last len(name) + 64 bytes.
    if body[end - 1 : end] != b">":
        return True
    closing = body.rfind(b"</", max(start, end - len(name) - 64), end)
    return closing < 0 or body[closing + 2 : end - 1].rstrip(_REGEX_SPACE) != name


def json_error_at_end(document: str, position: int) -> bool:
    """A JSON parse error (at ``position`` of the decoded ``document``) at its very end:
    the document was cut."""
    text = document.rstrip(" \t\r\n")
    return bool(text) and position >= len(text)


def _first(body: bytes, position: int) -> int:
    """Index of the first non-whitespace byte at or after ``position`` (len if none)."""
    while position < len(body) and body[position] in _WHITESPACE:
        position += 1
    return position


def _last(body: bytes) -> int:
    """Index of the last non-whitespace byte (-1 if none)."""
    position = len(body) - 1
    while position >= 0 and body[position] in _WHITESPACE:
        position -= 1
    return position
