"""Errors raised by the Amazon clients, shared by MWS and SP-API.

Messages are written for the seller; none contains a secret.
"""

from __future__ import annotations


class AmazonError(Exception):
    """Base class. ``request_id`` is Amazon's RequestId when one came back."""

    def __init__(self, message: str, *, code: str = "", request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        suffix = f" (Amazon RequestId {self.request_id})" if self.request_id else ""
        return f"{self.message}{suffix}"


class AmazonCredentialError(AmazonError):
    """The credentials are wrong; retrying will not help. ``field`` names the one to fix,
    e.g. "secret_key", "mws_auth_token", "marketplace_ids", "seller_id", "access_key"."""

    def __init__(
        self, message: str, *, field: str, code: str = "", request_id: str | None = None
    ) -> None:
        super().__init__(message, code=code, request_id=request_id)
        self.field = field


class AmazonThrottledError(AmazonError):
    """Amazon throttled us even after the client waited and retried."""


class AmazonServiceError(AmazonError):
    """Amazon failed (5xx, timeouts) after bounded retries; a later run may succeed."""


class AmazonResponseError(AmazonError):
    """Amazon answered with something we cannot parse; nothing from it may be written."""


class AmazonRequestError(AmazonError):
    """Amazon refused the request as malformed (a bug on our side or bad input)."""
