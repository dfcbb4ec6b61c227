"""*Authorize with Amazon*: the SP-API website authorization workflow.

``authorize_start`` makes Amazon's consent URL with a ``state`` bound to this browser session,
user and tenant; ``authorize_finish`` handles Amazon's redirect back: it spends the state,
exchanges ``spapi_oauth_code`` at the LWA token endpoint for the seller's refresh token and
saves kind=spapi credentials (Seller ID = ``selling_partner_id``; the Marketplace IDs the
administrator entered before pressing the button) after checking them with Amazon.
Spec: ../shared/specs/amazon-apis.md §5 (the OAuth code expires after 5 minutes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

from amazon_ext.models import AmazonCredentials, ConnectionKind
from amazon_ext.services.credentials import Verifier, credentials_save
from amazon_ext.validation import CredentialsInvalidError
from tenants.access import tenant_for_user
from tenants.models import Tenant
from tenants.oauth_state import StateFlow, StateRejectedError

STATE_FLOW = StateFlow(
    session_key="amazon_authorize_pending", salt="amazon_ext.spapi.authorize.state"
)
_STATE_PROBLEMS = {
    "missing": "Amazon's answer had no state. Start again from Settings.",
    "expired": "The authorization with Amazon took longer than 10 minutes. Start again.",
    "forged": "This answer from Amazon was not one we started.",
    "spent": "This answer from Amazon was already used or belongs to another session. "
    "Start again from Settings.",
}
RETURN_TO = ("wizard", "settings")


class AmazonAuthorizeError(Exception):
    """Something the administrator should read. ``tenant_id`` is None when the answer cannot
    be tied to one of their tenants (a forged or re-used state)."""

    def __init__(self, message: str, *, tenant_id: int | None = None, return_to: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.tenant_id = tenant_id
        self.return_to = return_to


@dataclass(frozen=True)
class AuthorizeResult:
    tenant: Tenant
    credentials: AmazonCredentials
    return_to: str


def authorize_start(
    *, tenant: Tenant, user, session, marketplace_ids: Sequence[str], return_to: str
) -> str:
    """Amazon's consent URL for an administrator of ``tenant`` (the view has checked that)."""
    state = STATE_FLOW.issue(
        session=session,
        tenant_id=tenant.id,
        user_id=user.pk,
        data={
            "m": list(marketplace_ids),
            "r": return_to if return_to in RETURN_TO else "settings",
        },
    )
    query = urlencode(
        {"application_id": settings.AMAZON_SPAPI_APP_ID, "state": state, "version": "beta"}
    )
    return f"{settings.AMAZON_SPAPI_CONSENT_URL.rstrip('/')}/apps/authorize/consent?{query}"


def _state_consume(*, session, state: str, user_id: int) -> dict:
    """The pending entry of a callback's ``state``; spent whether it fits or not."""
    try:
        return STATE_FLOW.consume(session=session, state=state, user_id=user_id)
    except StateRejectedError as exc:
        raise AmazonAuthorizeError(_STATE_PROBLEMS[exc.reason]) from None


def authorize_finish(
    *,
    user,
    session,
    params: Mapping[str, str],
    redirect_uri: str,
    verify: Verifier | None = None,
) -> AuthorizeResult:
    """Handle Amazon's redirect: check the state, trade the code for the refresh token, save
    the credentials (checked with ``verify`` first). Raises AmazonAuthorizeError."""
    from amazon_ext.amazon.errors import AmazonCredentialError, AmazonError
    from amazon_ext.amazon.spapi.lwa import exchange_authorization_code

    entry = _state_consume(session=session, state=params.get("state", ""), user_id=user.pk)
    tenant = tenant_for_user(tenant_id=int(entry["t"]), user=user, manage=True)
    return_to = entry.get("r") or "settings"

    def failed(message: str) -> AmazonAuthorizeError:
        return AmazonAuthorizeError(message, tenant_id=tenant.id, return_to=return_to)

    if params.get("error"):
        raise failed(
            f"Amazon access was not granted ({params['error'][:60]}); nothing was changed."
        )
    code, seller_id = params.get("spapi_oauth_code", ""), params.get("selling_partner_id", "")
    if not code or not seller_id:
        raise failed("Amazon sent no authorization code or selling partner id; start again.")
    try:
        refresh_token = exchange_authorization_code(code=code, redirect_uri=redirect_uri)
    except AmazonCredentialError as exc:
        raise failed(exc.message) from None
    except AmazonError:
        raise failed("Login with Amazon did not answer; try again in a minute.") from None
    data = {
        "seller_id": seller_id,
        "lwa_client_id": settings.AMAZON_LWA_CLIENT_ID,
        "lwa_client_secret": settings.AMAZON_LWA_CLIENT_SECRET,
        "lwa_refresh_token": refresh_token,
    }
    for position, marketplace_id in enumerate(entry.get("m") or [], 1):
        data[f"marketplace_id_{position}"] = marketplace_id
    try:
        credentials = credentials_save(
            tenant=tenant, data=data, kind=ConnectionKind.SPAPI, verify=verify
        )
    except CredentialsInvalidError as exc:
        problems = "; ".join(exc.errors.values())
        raise failed(
            f"Amazon authorized the app, but the connection was not saved: {problems}"
        ) from None
    return AuthorizeResult(tenant=tenant, credentials=credentials, return_to=return_to)
