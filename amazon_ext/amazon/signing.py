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
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote

SIGNATURE_METHOD = "HmacSHA256"
SIGNATURE_VERSION = "2"

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def rfc3986(value: str) -> str:
    """Percent-encode everything but ``A-Z a-z 0-9 - _ . ~`` as UTF-8, uppercase hex.

    ``quote`` already emits uppercase hex and never turns a space into ``+``.
    """
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """Encoded ``k=v`` pairs joined with ``&``, sorted by encoded name in byte order.

    ``Signature`` is left out: it is never part of what is signed.
    """
    items = params.items() if isinstance(params, Mapping) else params
    encoded = sorted(
        (rfc3986(str(name)).encode(), rfc3986(str(value)).encode())
        for name, value in items
        if name != "Signature"
    )
    return "&".join(f"{name.decode()}={value.decode()}" for name, value in encoded)


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
