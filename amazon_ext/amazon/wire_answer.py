"""Reading one HTTP/1.1 answer off a socket, for :mod:`amazon_ext.amazon.wire`: the head
(status line, headers, interim answers skipped), the body by its framing, its gzip/deflate
coding, all within the exchange's deadline and size cap. See wire's docstring for the rules.
"""

from __future__ import annotations

import re
import socket
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping

READ_BYTES = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024  # http.client's line limit; Amazon's headers are < 2 KB
MAX_HEADERS = 100  # http.client's limit
MAX_INTERIM_ANSWERS = 10
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class WireError(Exception):
    """The exchange failed without a usable answer; ``detail`` says how (no data in it)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PastDeadlineError(WireError):
    def __init__(self) -> None:
        super().__init__("past the deadline")


class BodyTooLargeError(Exception):
    """The answer's body is (or declares itself) larger than the cap."""


class Headers(Mapping[str, str]):
    """An answer's headers: lookups ignore case; iteration gives the names as sent."""

    __slots__ = ("_names", "_values")

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        values: dict[str, str] = {}
        names: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            if key in values:
                values[key] = f"{values[key]}, {value}"
            else:
                values[key] = value
                names[key] = name
        self._values = values
        self._names = names

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({ {self._names[k]: v for k, v in self._values.items()}!r})"


class ClosedError(Exception):
    """The stream ended (or was reset) before the answer's head was complete."""


class Reader:
    __slots__ = ("buffer", "deadline", "received", "sock")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = bytearray()
        self.received = 0

    def _fill(self) -> bool:
        """Read what the socket has (waiting at most the time left); False at its end."""
        self.sock.settimeout(left(self.deadline))
        data = self.sock.recv(READ_BYTES)
        if not data:
            return False
        self.received += len(data)
        self.buffer += data
        return True

    def head(self) -> tuple[int, str, Headers]:
        for _ in range(MAX_INTERIM_ANSWERS + 1):
            end = self.buffer.find(b"\r\n\r\n")
            while end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    raise WireError("ProtocolError (headers too long)")
                start = max(0, len(self.buffer) - 3)
                if not self._fill():
                    raise ClosedError
                end = self.buffer.find(b"\r\n\r\n", start)
            text = self.buffer[:end].decode("latin-1")
            del self.buffer[: end + 4]
            status, version, headers = parse_head(text)
            if not 100 <= status < 200:
                return status, version, headers
        raise WireError("ProtocolError (too many interim answers)")

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise WireError("IncompleteRead")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def line(self) -> bytes:
        end = self.buffer.find(b"\r\n")
        while end < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                raise WireError("ProtocolError (chunk line too long)")
            start = max(0, len(self.buffer) - 1)
            if not self._fill():
                raise WireError("IncompleteRead")
            end = self.buffer.find(b"\r\n", start)
        data = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        return data

    def chunked(self, cap: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            digits = self.line().split(b";", 1)[0].strip()  # extensions are ignored
            if not _HEX.fullmatch(digits):
                raise WireError("ProtocolError (bad chunk size)")
            length = int(digits, 16)
            if length == 0:
                break
            size += length
            if size > cap:
                raise BodyTooLargeError
            parts.append(self.exactly(length))
            if self.exactly(2) != b"\r\n":
                raise WireError("ProtocolError (chunk not followed by CRLF)")
        for _ in range(MAX_HEADERS + 1):  # trailer fields, dropped, up to the empty line
            if not self.line():
                return b"".join(parts)
        raise WireError("ProtocolError (too many trailer fields)")

    def until_close(self, cap: int) -> bytes:
        try:
            while self._fill():
                if len(self.buffer) > cap:
                    raise BodyTooLargeError
        except ConnectionResetError:
            raise WireError("IncompleteRead") from None
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def parse_head(text: str) -> tuple[int, str, Headers]:
    lines = text.split("\r\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or parts[0] not in ("HTTP/1.1", "HTTP/1.0") or not _status(parts[1]):
        raise WireError("ProtocolError (bad status line)")
    if len(lines) > MAX_HEADERS + 1:
        raise WireError("ProtocolError (too many headers)")
    pairs: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if not pairs:
                raise WireError("ProtocolError (folded first header)")
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise WireError("ProtocolError (bad header line)")
        pairs.append((name, value.strip()))
    return int(parts[1]), parts[0], Headers(pairs)


def _status(text: str) -> bool:
    return len(text) == 3 and text.isascii() and text.isdigit()


def content_length(declared: str) -> int:
    """A Content-Length, or WireError; ``"10, 10"`` (a repeated equal header) is 10."""
    values = {part.strip() for part in declared.split(",")}
    if len(values) != 1:
        raise WireError("ProtocolError (conflicting Content-Length)")
    (value,) = values
    if not (value.isascii() and value.isdigit()):
        raise WireError("ProtocolError (bad Content-Length)")
    return int(value)


def decoded(raw: bytes, encoding: str | None, cap: int) -> bytes:
    """The body with its gzip/deflate coding undone (at most ``cap`` bytes); other codings
    are left as they came, as urllib3 leaves them."""
    coding = (encoding or "").strip().lower()
    if coding in ("", "identity") or not raw:
        return raw
    if coding in ("gzip", "x-gzip"):
        return _inflate(raw, 16 + zlib.MAX_WBITS, cap)
    if coding == "deflate":
        try:
            return _inflate(raw, zlib.MAX_WBITS, cap)
        except WireError:
            return _inflate(raw, -zlib.MAX_WBITS, cap)  # raw deflate, as some servers send
    return raw


def _inflate(raw: bytes, wbits: int, cap: int) -> bytes:
    out: list[bytes] = []
    size = 0
    data = raw
    while data:  # a gzip body may hold several members
        decoder = zlib.decompressobj(wbits)
        try:
            piece = decoder.decompress(data, cap + 1 - size)
        except zlib.error:
            if out:
                break  # bytes after a whole gzip member are ignored, as urllib3 does
            raise WireError("DecodeError") from None
        size += len(piece)
        if size > cap or decoder.unconsumed_tail:
            raise BodyTooLargeError
        out.append(piece)
        if not decoder.eof:
            raise WireError("DecodeError (the body ends inside its compressed data)")
        data = decoder.unused_data if wbits > zlib.MAX_WBITS else b""
    return b"".join(out)


def left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise PastDeadlineError
    return left
