"""Errors raised by the Zoho CRM integration.

Every message is written for the person who will read it (an administrator in Settings, or an
engineer in a log); none ever contains a token, a client secret or a record payload.
"""

from __future__ import annotations

from typing import Any

RECONNECT_MESSAGE = (
    "Zoho refused the saved authorisation; an administrator must reconnect Zoho CRM in Settings."
)


class ZohoError(Exception):
    """Base class. ``partial_results`` holds per-record results of batches that completed
    before a batched write was interrupted, so callers can still record them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.partial_results: list[Any] = []


class ZohoApiError(ZohoError):
    """Zoho's API answered with an error (or could not be reached: ``status`` 0)."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str | None,
        details: dict | None = None,
        *,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.details = details or {}
        self.method = method
        self.path = path
        where = f" on {method} {path}" if method else ""
        field = self.details.get("api_name") or self.details.get("param_name")
        about = f" (field {field})" if field else ""
        text = (
            f"Zoho CRM answered HTTP {status} {code or 'error'}{where}: "
            f"{message or 'no message'}{about}"
            if status
            else f"Zoho CRM could not be reached{where}: {message or 'no answer'}"
        )
        super().__init__(text)
        self.zoho_message = message


class ZohoRateLimitedError(ZohoApiError):
    """429 TOO_MANY_REQUESTS kept coming after every backoff (concurrency or daily credits)."""


class ZohoTokenError(ZohoError):
    """The accounts server refused a token call (its errors arrive as HTTP 200 bodies)."""

    def __init__(self, error: str, description: str = "", *, http_status: int = 200) -> None:
        self.error = error
        self.description = description
        self.http_status = http_status
        text = f"Zoho accounts server refused the token request: {error}"
        if description:
            text += f" ({description})"
        super().__init__(text)


class ZohoTokenRevokedError(ZohoTokenError):
    """The refresh token is dead (``invalid_code``/``invalid_token``): revoked, or deleted by
    Zoho after the user issued too many newer ones."""


class ZohoTokenThrottledError(ZohoTokenError):
    """ "Access Denied … too many requests": Zoho's refresh throttle. Clears after 15–30 min
    without token calls; retrying sooner keeps it closed."""


class ZohoReconnectRequiredError(ZohoError):
    """The saved authorisation no longer works; only an administrator reconnecting fixes it."""

    def __init__(self, message: str = RECONNECT_MESSAGE) -> None:
        super().__init__(message)


# The name the rest of the project uses.
ZohoReconnectRequired = ZohoReconnectRequiredError


class ZohoConnectError(ZohoError):
    """Connecting failed in a way the administrator should read (shown as-is in Settings)."""


class ZohoStateError(ZohoConnectError):
    """The OAuth callback's ``state`` is missing, forged, expired, replayed or someone else's."""


class ZohoEditionUnsupportedError(ZohoConnectError):
    """The org's edition lacks a module the extension needs (Sales Orders)."""


class ZohoFieldSetupError(ZohoError):
    """Custom-field setup could not finish; ``report`` says what was created and what is wrong."""

    def __init__(self, message: str, report: dict) -> None:
        super().__init__(message)
        self.report = report
