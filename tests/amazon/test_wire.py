"""The lean HTTP/1.1 exchange (amazon_ext.amazon.wire) against real loopback sockets: what
test_http.py does not cover — keep-alive reuse and its limits, a stale kept-alive socket,
chunk extensions and trailers, interim answers, folded and repeated headers, compressed
bodies, the deadline over the headers, and TLS verification on a loopback server signed by a
CA made here."""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from amazon_ext.amazon import http
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.http import NoAnswerError
from tests.fixtures.loopback import LoopbackServer

Handler = Callable[[socket.socket, "Requests"], None]


class Requests:
    """Reads the requests of one connection (head and Content-Length body)."""

    def __init__(self, conn: socket.socket, log: list[bytes]) -> None:
        self._conn = conn
        self._buffer = b""
        self._log = log

    def next(self) -> bytes | None:
        while b"\r\n\r\n" not in self._buffer:
            chunk = self._conn.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            rest += self._conn.recv(65536)
        self._buffer = rest[length:]
        request = head + b"\r\n\r\n" + rest[:length]
        self._log.append(request)
        return request


class Server(LoopbackServer):
    """A loopback server whose ``handle(conn, requests)`` serves one connection."""

    def __init__(self, handle: Handler, tls: ssl.SSLContext | None = None) -> None:
        self._handle = handle
        self._tls = tls
        self.scheme = "https" if tls else "http"
        self.requests: list[bytes] = []
        self.closed_by_client = threading.Event()
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            self._handle(conn, Requests(conn, self.requests))
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()


@pytest.fixture
def server():
    started: list[Server] = []

    def start(handle: Handler, tls: ssl.SSLContext | None = None) -> Server:
        started.append(Server(handle, tls))
        return started[-1]

    yield start
    for one in started:
        one.stop()


def ok(body: bytes = b"ok", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def serve_all(answer: bytes) -> Handler:
    def handle(conn: socket.socket, requests: Requests) -> None:
        while requests.next() is not None:
            conn.sendall(answer)

    return handle


def post(session, url: str, **kwargs) -> http.HttpAnswer:
    kwargs.setdefault("deadline_seconds", 3)
    return http.send(session, "POST", url + "/Orders/2013-09-01", headers={}, data=b"a=1",
                     what="ListOrders", **kwargs)  # fmt: skip


def test_keep_alive_reuses_one_connection_and_sends_what_requests_sent(server):
    srv = server(serve_all(ok()))
    session = http.new_session()
    for _ in range(3):
        assert post(session, srv.url).body == b"ok"
    assert srv.connections == 1 and len(srv.requests) == 3
    head = srv.requests[0].decode("latin-1")
    assert head.startswith("POST /Orders/2013-09-01 HTTP/1.1\r\n")
    for line in ("Host: 127.0.0.1:", "Content-Length: 3", "Accept-Encoding: gzip, deflate"):
        assert f"\r\n{line}" in head
    assert head.endswith("\r\n\r\na=1")
    session.close()


def test_closing_the_session_closes_its_idle_connections(server):
    hung_up = threading.Event()

    def handle(conn: socket.socket, requests: Requests) -> None:
        while requests.next() is not None:
            conn.sendall(ok())
        hung_up.set()

    srv = server(handle)
    session = http.new_session()
    post(session, srv.url)
    assert not hung_up.wait(0.2)
    session.close()
    assert hung_up.wait(2)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(ok(extra=b"Connection: close\r\n"), id="connection-close"),
        pytest.param(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", id="http-1.0"),
        pytest.param(b"HTTP/1.1 200 OK\r\n\r\nok", id="close-delimited"),
    ],
)
def test_a_connection_the_answer_ends_is_not_reused(server, answer):
    def handle(conn: socket.socket, requests: Requests) -> None:
        if requests.next() is not None:
            conn.sendall(answer)

    srv = server(handle)
    session = http.new_session()
    assert [post(session, srv.url).body for _ in range(2)] == [b"ok", b"ok"]
    assert srv.connections == 2


def test_a_kept_alive_connection_the_server_closed_is_replaced_once(server):
    """The server closes each connection after one answer without saying so: the next
    request finds the socket dead before any byte came back and is sent on a new one."""

    def handle(conn: socket.socket, requests: Requests) -> None:
        if requests.next() is not None:
            conn.sendall(ok())

    srv = server(handle)
    session = http.new_session()
    post(session, srv.url)
    time.sleep(0.1)  # the server has hung up by now
    assert post(session, srv.url).body == b"ok"
    assert srv.connections == 2 and len(srv.requests) == 2


def test_an_answer_cut_after_its_first_byte_is_not_sent_again(server):
    answers = [ok(), b"HTTP/1.1 20"]

    def handle(conn: socket.socket, requests: Requests) -> None:
        while answers and requests.next() is not None:
            conn.sendall(answers.pop(0))

    srv = server(handle)
    session = http.new_session()
    post(session, srv.url)
    with pytest.raises(NoAnswerError, match="RemoteDisconnected"):
        post(session, srv.url)
    assert len(srv.requests) == 2  # the cut request was not repeated on a new connection


def test_chunk_extensions_and_trailers_are_read_and_the_connection_kept(server):
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'6;name=value;x="q"\r\nhello \r\n6\r\namazon\r\n0;last\r\n'
        b"X-Checksum: abc\r\nX-Other: 1\r\n\r\n"
    )
    srv = server(serve_all(answer))
    session = http.new_session()
    assert [post(session, srv.url).body for _ in range(2)] == [b"hello amazon"] * 2
    assert srv.connections == 1


def test_a_bad_chunk_size_is_no_answer(server):
    srv = server(serve_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello"))
    with pytest.raises(NoAnswerError, match="bad chunk size"):
        post(http.new_session(), srv.url)


def test_interim_answers_are_skipped(server):
    answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + ok()
    srv = server(serve_all(answer))
    answer = post(http.new_session(), srv.url)
    assert (answer.status, answer.body, "Link" in answer.headers) == (200, b"ok", False)


def test_headers_ignore_case_join_repeats_and_unfold_folded_lines(server):
    extra = b"X-Mws-Request-Id: r-1\r\nX-Dup: 1\r\nx-dup: 2\r\nX-Folded: a\r\n  b\r\n\tc\r\n"
    srv = server(serve_all(ok(extra=extra)))
    headers = post(http.new_session(), srv.url).headers
    assert headers.get("x-mws-request-id") == headers["X-MWS-REQUEST-ID"] == "r-1"
    assert (headers["X-Dup"], headers["x-folded"]) == ("1, 2", "a b c")
    assert "X-Dup" in list(headers) and headers.get("missing") is None


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nBad Header : x\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok",
        b"HTTP/2 200\r\n\r\n",
        b"SSH-2.0-OpenSSH\r\n\r\n",
    ],
)
def test_a_malformed_head_is_no_answer(server, answer):
    srv = server(serve_all(answer))
    with pytest.raises(NoAnswerError, match="ProtocolError"):
        post(http.new_session(), srv.url)


def test_gzip_bodies_are_decoded_and_the_cap_applies_to_what_they_decode_to(server):
    small, bomb = gzip.compress(b"<a>" * 1000), gzip.compress(b"\0" * (3 * 1024 * 1024))
    answers = [ok(small, b"Content-Encoding: gzip\r\n"), ok(bomb, b"Content-Encoding: gzip\r\n")]

    def handle(conn: socket.socket, requests: Requests) -> None:
        while answers and requests.next() is not None:
            conn.sendall(answers.pop(0))

    srv = server(handle)
    session = http.new_session()
    assert post(session, srv.url, max_body_bytes=1024 * 1024).body == b"<a>" * 1000
    assert len(bomb) < 1024 * 1024
    with pytest.raises(AmazonResponseError, match="larger than 1 MB"):
        post(session, srv.url, max_body_bytes=1024 * 1024)


def test_a_server_dripping_headers_is_cut_off_at_the_total_deadline(server):
    """Before the lean path the head was read with a per-read timeout, so a server sending
    one header byte every 20 ms held the call for as long as it liked."""

    def handle(conn: socket.socket, requests: Requests) -> None:
        requests.next()
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(500):
            conn.sendall(b"X")
            time.sleep(0.02)

    srv = server(handle)
    started = time.monotonic()
    with pytest.raises(NoAnswerError, match="within the 0.4 s deadline"):
        post(http.new_session(), srv.url, deadline_seconds=0.4)
    assert time.monotonic() - started < 0.9


# ---- TLS ---------------------------------------------------------------------------------


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A CA, and two server certificates it signed: for 127.0.0.1 and for another name."""
    folder = tmp_path_factory.mktemp("pki")
    now = dt.datetime.now(dt.UTC)
    ca_key = _key()
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test CA"))
        .issuer_name(_name("Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), True
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": folder / "ca.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for label, san in (
        ("loopback", x509.IPAddress(ipaddress.ip_address("127.0.0.1"))),
        ("other", x509.DNSName("mws.example.invalid")),
    ):
        key = _key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(label))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        paths[label] = folder / f"{label}.pem"
        paths[label].write_bytes(pem)
    return paths


def _tls_server(server, cert: Path) -> Server:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert)
    return server(serve_all(ok(b"secure")), tls=context)


def test_tls_to_a_server_our_ca_signed_works_and_keeps_alive(server, pki):
    srv = _tls_server(server, pki["loopback"])
    session = http.new_session()
    session.verify = str(pki["ca"])
    assert [post(session, srv.url).body for _ in range(2)] == [b"secure"] * 2
    assert srv.connections == 1


def test_tls_verification_is_on_by_default(server, pki):
    srv = _tls_server(server, pki["loopback"])
    with pytest.raises(NoAnswerError, match="SSLError") as caught:
        post(http.new_session(), srv.url)  # certifi's bundle does not know our CA
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.detail


def test_tls_checks_the_host_name(server, pki):
    srv = _tls_server(server, pki["other"])
    session = http.new_session()
    session.verify = str(pki["ca"])
    with pytest.raises(NoAnswerError, match="SSLError"):
        post(session, srv.url)


def test_tls_without_verification_when_the_session_says_so(server, pki):
    srv = _tls_server(server, pki["other"])
    session = http.new_session()
    session.verify = False
    assert post(session, srv.url).body == b"secure"
