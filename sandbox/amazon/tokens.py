"""Opaque, tamper-evident paging tokens (MWS NextToken and SP-API NextToken).

A token is Base64 of ``nonce + JSON + HMAC``; the HMAC key is random per stand-in, so a
token is only valid on the stand-in that issued it. The JSON is padded so the Base64 text
always ends in ``==`` and the nonce is re-drawn until the text also holds ``+`` and ``/``:
clients that forget to URL-encode tokens break here as they would against Amazon.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os


class TokenError(Exception):
    """The token is unknown, tampered with, expired or bound to something else."""


class TokenCodec:
    NONCE = 6
    MAC = 16

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or os.urandom(32)

    def _mac(self, data: bytes) -> bytes:
        return hmac.new(self._secret, data, hashlib.sha256).digest()[: self.MAC]

    def encode(self, payload: dict) -> str:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        # total length ≡ 1 (mod 3) → Base64 ends in "=="
        while (self.NONCE + len(body) + self.MAC) % 3 != 1:
            body += b" "
        token = ""
        for _ in range(64):
            nonce = os.urandom(self.NONCE)
            raw = nonce + body + self._mac(nonce + body)
            token = base64.b64encode(raw).decode("ascii")
            if "+" in token and "/" in token:
                break
        return token

    def decode(self, token: str) -> dict:
        if not token or len(token) > 8192:
            raise TokenError("empty or oversized token")
        try:
            raw = base64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise TokenError("not Base64") from exc
        if len(raw) <= self.NONCE + self.MAC:
            raise TokenError("too short")
        data, mac = raw[: -self.MAC], raw[-self.MAC :]
        if not hmac.compare_digest(mac, self._mac(data)):
            raise TokenError("bad MAC")
        try:
            payload = json.loads(data[self.NONCE :])
        except ValueError as exc:
            raise TokenError("bad payload") from exc
        if not isinstance(payload, dict):
            raise TokenError("bad payload")
        return payload
