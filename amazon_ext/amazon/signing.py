"""Amazon Signature Version 2 (HmacSHA256), as MWS requires.

Pure functions: no clock, no settings, no I/O. The procedure (RFC 3986 encoding with
uppercase hex, byte-order sort, ``VERB\\nhost\\npath\\nquery``) follows the MWS developer
guide pages DG_QueryString and DG_SigningQueryRequest, summarised in
../shared/specs/amazon-apis.md §2 together with the test vectors in tests/amazon/test_signing.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote

SIGNATURE_METHOD = "HmacSHA256"
SIGNATURE_VERSION = "2"

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*").fullmatch


def rfc3986(value: str) -> str:
    """Percent-encode everything but ``A-Z a-z 0-9 - _ . ~`` as UTF-8, uppercase hex.

    ``quote`` already emits uppercase hex and never turns a space into ``+``; a value of
    unreserved characters only (most of them) is returned as it is without calling it.
    """
    return value if _UNRESERVED(value) else quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """Encoded ``k=v`` pairs joined with ``&``, sorted by encoded name in byte order (the
    encoded text is ASCII, so its ``str`` order is its byte order).

    ``Signature`` is left out: it is never part of what is signed.
    """
    items = params.items() if isinstance(params, Mapping) else params
    encoded = sorted(
        (rfc3986(str(name)), rfc3986(str(value))) for name, value in items if name != "Signature"
    )
    return "&".join([f"{name}={value}" for name, value in encoded])


class Signer:
    """Signature Version 2 for one set of credentials: the HMAC key is set up once and the
    parameters every call carries (``fixed``: access key, seller, method, version, token)
    are encoded once; per call only the call's own parameters are encoded and merged in.
    Gives exactly :func:`canonical_query` + :func:`sign` of all the parameters together.
    Holds secrets: its repr shows none."""

    __slots__ = ("_fixed", "_mac", "_names")

    def __init__(self, secret_key: str, fixed: Mapping[str, str]) -> None:
        self._mac = hmac.new(secret_key.encode(), digestmod=hashlib.sha256)
        self._fixed = tuple((rfc3986(name), rfc3986(value)) for name, value in fixed.items())
        self._names = frozenset(fixed)

    def __repr__(self) -> str:
        return "<Signer>"

    def signed_query(self, *, verb: str, host: str, path: str, params: Mapping[str, str]) -> str:
        """The canonical query of ``fixed`` + ``params`` with ``&Signature=…`` appended;
        ``host`` as :func:`canonical_host` gives it."""
        if not self._names.isdisjoint(params):
            raise ValueError("a call's parameters cannot replace the credentials' ones")
        pairs = list(self._fixed)
        pairs.extend(
            (rfc3986(name), rfc3986(value)) for name, value in params.items() if name != "Signature"
        )
        pairs.sort()
        query = "&".join([f"{name}={value}" for name, value in pairs])
        mac = self._mac.copy()
        mac.update(f"{verb.upper()}\n{host}\n{path or '/'}\n{query}".encode())
        signature = base64.b64encode(mac.digest()).decode("ascii")
        return f"{query}&Signature={rfc3986(signature)}"


def canonical_host(host: str, scheme: str = "https") -> str:
    """Lowercase host; the scheme's default port is dropped, any other port kept."""
    host = host.strip().lower()
    default = _DEFAULT_PORTS.get(scheme)
    if default and host.endswith(f":{default}"):
        return host[: -len(default) - 1]
    return host


def string_to_sign(
    *,
    verb: str,
    host: str,
    path: str,
    params: Mapping[str, str] | Iterable[tuple[str, str]],
    scheme: str = "https",
) -> str:
    """``VERB\\nhost\\npath\\ncanonical-query`` (path ``/`` when empty)."""
    return "\n".join(
        [verb.upper(), canonical_host(host, scheme), path or "/", canonical_query(params)]
    )


def sign(secret_key: str, text: str) -> str:
    """Base64 of HMAC-SHA256(secret_key, text), as a ``str``."""
    digest = hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sign_params(
    params: Mapping[str, str],
    *,
    secret_key: str,
    verb: str,
    host: str,
    path: str,
    scheme: str = "https",
) -> dict[str, str]:
    """A copy of ``params`` with ``Signature`` added."""
    text = string_to_sign(verb=verb, host=host, path=path, params=params, scheme=scheme)
    signed = dict(params)
    signed["Signature"] = sign(secret_key, text)
    return signed


def iso_timestamp(when: datetime) -> str:
    """ISO 8601 UTC with ``Z`` and whole seconds, e.g. ``2017-02-05T18:12:21Z``."""
    if when.tzinfo is None:
        raise ValueError("iso_timestamp needs an aware datetime")
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
