"""The ``state`` of an OAuth-style redirect (Zoho connect, Authorize with Amazon): signed,
bound to the browser session and user, single use, expiring.

The nonce lives in the session, so a state only works in the session that started the flow,
and only once; the signed part carries tenant and user so a forged or swapped state fails.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing

MAX_AGE_SECONDS = 10 * 60
PENDING_LIMIT = 5  # concurrent flows (browser tabs) one session may have open


class StateRejectedError(Exception):
    """``reason`` is "missing", "expired", "forged" or "spent"; callers word it for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StateFlow:
    """One kind of flow: where its pending nonces live and what salts its signature."""

    session_key: str
    salt: str

    def issue(self, *, session, tenant_id: int, user_id: int, data: dict | None = None) -> str:
        nonce = secrets.token_urlsafe(16)
        pending = dict(session.get(self.session_key) or {})
        pending[nonce] = {"t": tenant_id, **(data or {})}
        # Keep only the newest few (dicts keep insertion order).
        session[self.session_key] = dict(list(pending.items())[-PENDING_LIMIT:])
        session.modified = True
        return signing.dumps({"t": tenant_id, "u": user_id, "n": nonce}, salt=self.salt)

    def consume(self, *, session, state: str, user_id: int) -> dict:
        """The pending entry ({"t": tenant id, …data}); the state is spent either way."""
        if not state:
            raise StateRejectedError("missing")
        try:
            payload = signing.loads(state, salt=self.salt, max_age=MAX_AGE_SECONDS)
        except signing.SignatureExpired:
            raise StateRejectedError("expired") from None
        except signing.BadSignature:
            raise StateRejectedError("forged") from None
        pending = dict(session.get(self.session_key) or {})
        entry = pending.pop(str(payload.get("n")), None)
        session[self.session_key] = pending
        session.modified = True
        if (
            not isinstance(entry, dict)
            or entry.get("t") != payload.get("t")
            or payload.get("u") != user_id
        ):
            raise StateRejectedError("spent")
        return entry
