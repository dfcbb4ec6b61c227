"""Errors raised by the Amazon clients, shared by MWS and SP-API.

Every one is an :class:`outbound.errors.OutboundError` and says itself whether a later attempt
may succeed (``retryable``): Amazon unavailable, throttled past our waits, or an answer cut
short or garbled — yes; wrong credentials or a request Amazon refuses — no, a person must act.
Messages are written for the seller; none contains a secret.
"""

from __future__ import annotations

from outbound.errors import OutboundError


class AmazonError(OutboundError):
    """Base class. ``request_id`` is Amazon's RequestId when one came back."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        request_id: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.message = message
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        suffix = f" (Amazon RequestId {self.request_id})" if self.request_id else ""
        return f"{self.message}{suffix}"


class AmazonCredentialError(AmazonError):
    """The credentials are wrong; retrying will not help. ``field`` names the one to fix,
    e.g. "secret_key", "mws_auth_token", "marketplace_ids", "seller_id", "access_key"."""

    retryable = False

    def __init__(
        self, message: str, *, field: str, code: str = "", request_id: str | None = None
    ) -> None:
        super().__init__(message, code=code, request_id=request_id)
        self.field = field


class AmazonThrottledError(AmazonError):
    """Amazon throttled us even after the client waited and retried; a later run may go on."""

    retryable = True


class AmazonServiceError(AmazonError):
    """Amazon failed (5xx, timeouts, no answer) after bounded retries; a later run may succeed."""

    retryable = True


class AmazonResponseError(AmazonError):
    """Amazon answered with something we cannot read (cut short, garbled, too large, of
    another API version); nothing from it may be written. A later run asks again."""

    retryable = True


class AmazonRequestError(AmazonError):
    """Amazon refused the request as malformed (a bug on our side or bad input)."""

    retryable = False
