"""Small helpers for the Zoho stand-in: time zones, ids, tokens and JSON responses."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import secrets
import threading
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.common.http import DISCONNECT
from sandbox.common.http import is_loopback as loopback_host


def zone(name: str) -> dt.tzinfo:
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(name)
    except Exception:  # zoneinfo data missing: fall back to UTC
        return dt.UTC


class IdSource:
    """Zoho-like numeric ids: a 7-digit org prefix, then zero padding and a counter."""

    def __init__(self, prefix: int) -> None:
        self._prefix = prefix
        self._counter = itertools.count(1000 + secrets.randbelow(1000))
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            n = next(self._counter)
        # 7 digits prefix + 12 digits = 19 digits, like 4150868000000376008
        return f"{self._prefix:07d}{n * 7 + 3:012d}"


def token(prefix: str = "1000") -> str:
    return f"{prefix}.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    if status == 204 or payload is None:
        resp = Response(b"", status=status)
        resp.headers.pop("Content-Type", None)
    else:
        body = json.dumps(payload, separators=(",", ":")).encode()
        resp = Response(body, status=status, content_type="application/json;charset=UTF-8")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def api_error(
    status: int, code: str, message: str, details: dict | None = None, **extra: Any
) -> Response:
    payload = {"code": code, "details": details or {}, "message": message, "status": "error"}
    payload.update(extra)
    return json_response(payload, status)


def is_loopback(request: Request) -> bool:
    return loopback_host(request.remote_addr or "")


def drop_connection(environ: dict) -> Response:
    """Close the client socket without answering (the 'disconnect' fault)."""
    environ[DISCONNECT] = True
    return Response(b"", status=500)
