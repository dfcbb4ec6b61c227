"""How one Zoho CRM answer is read: its JSON, its error code / message / details in any of
Zoho's shapes, and what it means for the retry policy (done, wait, retry, or fail now).

429 → back off and retry (Zoho sends no Retry-After); 5xx → the same, but only for requests
that are safe to repeat; 401 OAUTH_SCOPE_MISMATCH or AUTHENTICATION_FAILURE → the connection
needs an administrator to reconnect; any other 4xx → ``ZohoApiError`` at once.
"""

from __future__ import annotations

from typing import Any

from crm_sync.models import ZohoConnection
from crm_sync.zoho import tokens
from crm_sync.zoho.errors import ZohoApiError, ZohoRateLimitedError, ZohoReconnectRequired
from crm_sync.zoho.http import Response
from outbound.retry import Outcome

SCOPE_MESSAGE = (
    "Zoho CRM refused a call for lack of permission (OAUTH_SCOPE_MISMATCH); an administrator "
    "must reconnect Zoho CRM in Settings to grant it."
)


def response_json(resp: Response) -> Any:
    """The body as JSON, or None for 204, an empty body or something that is not JSON."""
    if resp.status_code == 204 or not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def error_parts(body: Any) -> tuple[str | None, str | None, dict]:
    """(code, message, details) from any of Zoho's error shapes."""
    entry = body
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
        entry = body["data"][0]
    elif isinstance(body, list) and body:
        entry = body[0]
    if not isinstance(entry, dict):
        return None, None, {}
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    return entry.get("code"), entry.get("message"), details


def classify(
    resp: Response,
    *,
    connection: ZohoConnection,
    method: str,
    path: str,
    results_key: str | None,
    expected: int,
    idempotent: bool,
) -> Outcome[Response]:
    """Zoho's part of the policy: what one answer means. ``results_key``/``expected``: a
    400 holding one result per item sent is a batch where every item failed, which the
    caller reports item by item. A 401 that no token refresh can cure marks the connection
    broken, so Settings asks an administrator to reconnect."""
    status = resp.status_code
    if status < 300:
        return Outcome.done(resp)
    body = response_json(resp)
    if status == 400 and results_key and is_per_item(body, results_key, expected):
        return Outcome.done(resp)  # every item failed; the caller reports each one
    code, message, details = error_parts(body)
    if status == 429:
        error = ZohoRateLimitedError(status, code, message, details, method=method, path=path)
        return Outcome.wait(error)  # no Retry-After from Zoho: the policy's backoff
    error = ZohoApiError(status, code, message, details, method=method, path=path)
    if status >= 500 and idempotent:
        return Outcome.retry(error)
    if status == 401 and code == "OAUTH_SCOPE_MISMATCH":
        tokens.mark_broken(connection=connection, reason=SCOPE_MESSAGE)
        raise ZohoReconnectRequired(SCOPE_MESSAGE)
    if status == 401 and code == "AUTHENTICATION_FAILURE":
        tokens.mark_broken(connection=connection)
        raise ZohoReconnectRequired()
    raise error


def is_per_item(body: Any, key: str, expected: int) -> bool:
    items = body.get(key) if isinstance(body, dict) else None
    return isinstance(items, list) and len(items) == expected
