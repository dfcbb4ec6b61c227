"""Errors raised by the Zoho CRM integration.

Every one is an :class:`outbound.errors.OutboundError` and says itself whether a later attempt
can succeed (``retryable``): Zoho unavailable, throttled, or our own call slots all busy are
worth retrying from the checkpoint; a refused request or authorisation is not.

Every message is written for the person who will read it (an administrator in Settings, or an
engineer in a log); none ever contains a token, a client secret or a record payload.
"""

from __future__ import annotations

from typing import Any

from outbound.errors import OutboundError

RECONNECT_MESSAGE = (
    "Zoho refused the saved authorisation; an administrator must reconnect Zoho CRM in Settings."
)


class ZohoError(OutboundError):
    """Base class. ``partial_results`` holds per-record results of batches that completed
    before a batched write was interrupted, so callers can still record them."""

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message, retryable=retryable)
        self.message = message
        self.partial_results: list[Any] = []


def _unavailable(status: int) -> bool:
    """Unreachable (0) or a server error: the same request may succeed later."""
    return status == 0 or status >= 500


class ZohoApiError(ZohoError):
    """Zoho's API answered with an error (or could not be reached: ``status`` 0).
    Retryable for 5xx and unreachable; a 4xx means the request itself is wrong."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str | None,
        details: dict | None = None,
        *,
        method: str = "",
        path: str = "",
        text: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.details = details or {}
        self.method = method
        self.path = path
        where = f" on {method} {path}" if method else ""
        field = self.details.get("api_name") or self.details.get("param_name")
        about = f" (field {field})" if field else ""
        if text is None:
            text = (
                f"Zoho CRM answered HTTP {status} {code or 'error'}{where}: "
                f"{message or 'no message'}{about}"
                if status
                else f"Zoho CRM could not be reached{where}: {message or 'no answer'}"
            )
        # A subclass may be retryable whatever the status (429, our own slots).
        super().__init__(text, retryable=self.retryable or _unavailable(status))
        self.zoho_message = message


class ZohoRateLimitedError(ZohoApiError):
    """429 TOO_MANY_REQUESTS kept coming after every backoff (concurrency or daily credits).
    Retryable: the limits are rolling, so a later run gets through."""

    retryable = True


class ZohoConcurrencyTimeoutError(ZohoRateLimitedError):
    """No Zoho call slot of the tenant's (see ``limits``) freed up in time: other workers kept
    every one busy. The call never reached Zoho; like a 429, a later attempt gets through."""

    def __init__(self, tenant_id: int, timeout: float, *, method: str = "", path: str = "") -> None:
        where = f" for {method} {path}" if method else ""
        super().__init__(
            0,
            "CONCURRENCY_TIMEOUT",
            f"no call slot in {timeout:g} s",
            method=method,
            path=path,
            text=(
                f"Zoho CRM was kept busy by other work for this organisation: no call slot "
                f"freed up in {timeout:g} s{where} (tenant {tenant_id})."
            ),
        )


class ZohoTokenUnavailableError(ZohoApiError):
    """Zoho's accounts server could not be reached, or answered 5xx, for a token refresh
    through every retry. Retryable, and not a reason to reconnect: the saved authorisation
    was never refused."""

    def __init__(self, status: int, reason: str, *, accounts_server: str = "") -> None:
        server = f" {accounts_server}" if accounts_server else ""
        super().__init__(
            status if status >= 500 else 0,
            "TOKEN_REFRESH_UNAVAILABLE",
            reason,
            method="POST",
            path="/oauth/v2/token",
            text=(
                f"Zoho's accounts server{server} could not refresh the access token "
                f"({reason}); the connection is fine and a later attempt can continue."
            ),
        )


class ZohoTokenError(ZohoError):
    """The accounts server refused a token call (its errors arrive as HTTP 200 bodies), or
    could not be reached (``http_status`` 0) or failed (5xx): only those two are retryable."""

    _retry_when_unavailable = True

    def __init__(self, error: str, description: str = "", *, http_status: int = 200) -> None:
        self.error = error
        self.description = description
        self.http_status = http_status
        text = f"Zoho accounts server refused the token request: {error}"
        if description:
            text += f" ({description})"
        retryable = self._retry_when_unavailable and _unavailable(http_status)
        super().__init__(text, retryable=retryable)


class ZohoTokenRevokedError(ZohoTokenError):
    """The refresh token is dead (``invalid_code``/``invalid_token``): revoked, or deleted by
    Zoho after the user issued too many newer ones."""

    _retry_when_unavailable = False


class ZohoTokenThrottledError(ZohoTokenError):
    """ "Access Denied … too many requests": Zoho's refresh throttle. Clears after 15–30 min
    without token calls; retrying sooner keeps it closed, so it is never retried here."""

    _retry_when_unavailable = False


class ZohoReconnectRequiredError(ZohoError):
    """The saved authorisation no longer works; only an administrator reconnecting fixes it."""

    def __init__(self, message: str = RECONNECT_MESSAGE) -> None:
        super().__init__(message, retryable=False)


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
