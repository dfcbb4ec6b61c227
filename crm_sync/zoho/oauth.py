"""Zoho's OAuth 2.0 authorization-code flow: consent URL, state, code exchange, revocation.

Two rules from Zoho's multi-DC docs shape this module: every token call goes to the
``accounts-server`` the callback named (checked against Zoho's list, since we send it our
client secret), and the token response names the ``api_domain`` every API call goes to.
Access tokens after connecting are ``tokens``' business; one HTTP call to the accounts server
is ``accounts``'.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache

from crm_sync.models import ZohoConnection
from crm_sync.zoho.accounts import TokenResponse, origin, revoke_token, token_call
from crm_sync.zoho.errors import ZohoConnectError, ZohoStateError
from crm_sync.zoho.tokens import reveal
from tenants.oauth_state import StateFlow, StateRejectedError

log = logging.getLogger(__name__)

SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.users.READ",
    "ZohoCRM.org.READ",
)
STATE_FLOW = StateFlow(session_key="zoho_oauth_pending", salt="crm_sync.zoho.oauth.state")

# Zoho's accounts servers per data centre (multi-DC docs; /oauth/serverinfo lists the same).
KNOWN_ACCOUNTS_SERVERS = (
    "https://accounts.zoho.com",
    "https://accounts.zoho.eu",
    "https://accounts.zoho.in",
    "https://accounts.zoho.com.au",
    "https://accounts.zoho.jp",
    "https://accounts.zoho.com.cn",
    "https://accounts.zoho.sa",
    "https://accounts.zoho.uk",
    "https://accounts.zohocloud.ca",
)
SERVERINFO_CACHE_SECONDS = 3600


# ---------------------------------------------------------------------------------------------
# state: signed, bound to the session and user, single use, expiring


def state_issue(*, session, tenant_id: int, user_id: int) -> str:
    """A ``state`` for one authorize redirect (see tenants.oauth_state)."""
    return STATE_FLOW.issue(session=session, tenant_id=tenant_id, user_id=user_id)


_STATE_PROBLEMS = {
    "missing": "The Zoho sign-in answer had no state. Start again from Settings.",
    "expired": "The Zoho sign-in took longer than 10 minutes. Start again from Settings.",
    "forged": "The Zoho sign-in answer was not one we started.",
    "spent": "This Zoho sign-in answer was already used or belongs to another session. "
    "Start again from Settings.",
}


def state_consume(*, session, state: str, user_id: int) -> int:
    """Check a callback's ``state`` and return its tenant id; the state is spent either way."""
    try:
        entry = STATE_FLOW.consume(session=session, state=state, user_id=user_id)
    except StateRejectedError as exc:
        raise ZohoStateError(_STATE_PROBLEMS[exc.reason]) from None
    return int(entry["t"])


def authorize_url(*, state: str) -> str:
    """Where to send the administrator: Zoho's consent page, asking for a refresh token."""
    query = urlencode(
        {
            "scope": ",".join(SCOPES),
            "client_id": settings.ZOHO_CLIENT_ID,
            "response_type": "code",
            "access_type": "offline",
            "prompt": "consent",
            "redirect_uri": settings.ZOHO_REDIRECT_URI,
            "state": state,
        }
    )
    return f"{origin(settings.ZOHO_ACCOUNTS_URL)}/oauth/v2/auth?{query}"


# ---------------------------------------------------------------------------------------------
# accounts servers


def _serverinfo(*, fresh: bool = False) -> dict[str, str]:
    """Zoho's own data-centre list from the configured accounts server (cached an hour)."""
    base = origin(settings.ZOHO_ACCOUNTS_URL)
    key = f"zoho:serverinfo:{base}"
    found = None if fresh else cache.get(key)
    if found is None:
        found = {}
        try:
            resp = requests.get(f"{base}/oauth/serverinfo", timeout=settings.ZOHO_HTTP_TIMEOUT)
            locations = resp.json().get("locations") if resp.ok else None
            if isinstance(locations, dict):
                found = {str(k): origin(str(v)) for k, v in locations.items()}
        except (requests.RequestException, ValueError, AttributeError):
            log.warning("zoho serverinfo unavailable from %s; using the built-in list", base)
        cache.set(key, found, SERVERINFO_CACHE_SECONDS if found else 60)
    return found


def allowed_accounts_server(candidate: str) -> str:
    """The callback's ``accounts-server`` if it is one of Zoho's; we will send it our client
    secret, so a forged callback must not be able to choose it."""
    wanted = origin(candidate or "")
    allowed = {*KNOWN_ACCOUNTS_SERVERS, origin(settings.ZOHO_ACCOUNTS_URL)}
    if wanted and wanted not in allowed:
        allowed.update(_serverinfo().values())
    if wanted and wanted not in allowed:  # Zoho may have opened a data centre since
        allowed.update(_serverinfo(fresh=True).values())
    if not wanted or wanted not in allowed:
        raise ZohoConnectError(
            "Zoho named an accounts server we do not recognise; nothing was connected. "
            "Start again from Settings."
        )
    return wanted


# ---------------------------------------------------------------------------------------------
# code exchange and revocation


def exchange_code(*, accounts_server: str, code: str) -> TokenResponse:
    """Trade the callback's single-use grant code for a refresh and an access token."""
    tokens = token_call(
        accounts_server,
        {
            "grant_type": "authorization_code",
            "client_id": settings.ZOHO_CLIENT_ID,
            "client_secret": settings.ZOHO_CLIENT_SECRET,
            "redirect_uri": settings.ZOHO_REDIRECT_URI,
            "code": code,
        },
        what="code exchange",
    )
    if not tokens.refresh_token:
        raise ZohoConnectError(
            "Zoho did not issue a refresh token, so the sync could not run unattended. "
            "Start again from Settings."
        )
    if not tokens.api_domain:
        raise ZohoConnectError("Zoho did not say which API domain serves this organisation.")
    return tokens


def revoke(*, connection: ZohoConnection) -> bool:
    """Revoke a connection's refresh token, e.g. on uninstall or disconnect."""
    if not connection.refresh_token:
        return False
    ok = revoke_token(
        accounts_server=connection.accounts_server, token=reveal(connection.refresh_token)
    )
    log.info("zoho refresh token revoke tenant=%s ok=%s", connection.tenant_id, ok)
    return ok
